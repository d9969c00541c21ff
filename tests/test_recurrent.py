import math
import warnings

import numpy as np
import pytest
import torch

from lib.bptt import LSTMRecurrence, RNNRecurrence
from lib.recurrent import GRU, LSTM, MODELS, VanillaRNN, build_model, loss_fn
from lib.recurrent_measure import gradient_flow, lstm_from_torch, rnn_from_torch, torch_agreement, torch_gates

B, D, H, K, L = 4, 3, 5, 10, 6


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def randomise(model):
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model


def test_lstm_equations_against_numpy():
    """(1)-(8) recomputed step by step in NumPy from the named weight blocks."""
    model = randomise(LSTM(L + 1, D, H, K)).double()
    x = torch.randn(B, L, D, dtype=torch.double)
    W_x, W_h, b = (p.detach().numpy() for p in (model.W_x, model.W_h, model.b))
    blocks = {name: slice(k * H, (k + 1) * H) for k, name in enumerate("oifg")}  # documented gate order
    W = {(gate, src): (W_x if src == "x" else W_h)[:, blocks[gate]].T for gate in "oifg" for src in "xh"}
    bias = {gate: b[blocks[gate]] for gate in "oifg"}
    h, c = np.zeros((B, H)), np.zeros((B, H))
    hs = []
    for t in range(L):
        xt = x[:, t].numpy()
        pre = {gate: xt @ W[gate, "x"].T + h @ W[gate, "h"].T + bias[gate] for gate in "oifg"}
        g = np.tanh(pre["g"])  # (1)
        i, f, o = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])  # (2)-(4)
        c = g * i + c * f  # (5)
        h = np.tanh(c) * o  # (6)
        hs.append(h)
    p = h @ model.W_ph.detach().numpy() + model.b_p.detach().numpy()  # (7)
    y = np.exp(p) / np.exp(p).sum(1, keepdims=True)  # (8)
    targets = torch.randint(0, K, (B,))
    loss = -np.log(y[np.arange(B), targets.numpy()]).mean()  # (9)
    for fused in (False, True):
        model.fused = fused
        ours = model.hidden_states(x) if fused else torch.stack(model.hidden_states_reference(x))
        np.testing.assert_allclose(ours.detach().numpy(), np.stack(hs), atol=1e-12)
        np.testing.assert_allclose(torch.softmax(model(x), 1).detach().numpy(), y, atol=1e-12)
        assert loss_fn(model(x), targets).item() == pytest.approx(loss, abs=1e-12)


def test_rnn_equation_against_numpy():
    model = randomise(VanillaRNN(L + 1, D, H, K)).double()
    x = torch.randn(B, L, D, dtype=torch.double)
    W_hx, W_hh, b_h = (p.detach().numpy() for p in (model.W_hx, model.W_hh, model.b_h))
    h = np.zeros((B, H))
    for t in range(L):
        h = np.tanh(x[:, t].numpy() @ W_hx + h @ W_hh + b_h)
    p = h @ model.W_ph.detach().numpy() + model.b_p.detach().numpy()
    for fused in (False, True):
        model.fused = fused
        np.testing.assert_allclose(model(x).detach().numpy(), p, atol=1e-12)


@pytest.mark.parametrize("fused", [False, True])
def test_lstm_matches_torch_lstm_outputs_and_gradients(fused):
    reference, head = torch.nn.LSTM(D, H), torch.nn.Linear(H, K)
    model, reorder = lstm_from_torch(reference, head, L + 1, fused), torch_gates
    x, targets = torch.randn(B, L, D), torch.randint(0, K, (B,))
    theirs = head(reference(x.transpose(0, 1))[0][-1])
    ours = model(x)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    loss_fn(theirs, targets).backward()
    loss_fn(ours, targets).backward()
    torch.testing.assert_close(model.W_x.grad, reorder(reference.weight_ih_l0.grad).T, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.W_h.grad, reorder(reference.weight_hh_l0.grad).T, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.b.grad, reorder(reference.bias_ih_l0.grad), atol=1e-5, rtol=0)
    torch.testing.assert_close(model.W_ph.grad, head.weight.grad.T, atol=1e-5, rtol=0)


@pytest.mark.parametrize("fused", [False, True])
def test_rnn_matches_torch_rnn_outputs_and_gradients(fused):
    reference, head = torch.nn.RNN(D, H), torch.nn.Linear(H, K)
    model = rnn_from_torch(reference, head, L + 1, fused)
    x, targets = torch.randn(B, L, D), torch.randint(0, K, (B,))
    theirs, ours = head(reference(x.transpose(0, 1))[0][-1]), model(x)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    loss_fn(theirs, targets).backward()
    loss_fn(ours, targets).backward()
    torch.testing.assert_close(model.W_hh.grad, reference.weight_hh_l0.grad.T, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.W_hx.grad, reference.weight_ih_l0.grad.T, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.b_h.grad, reference.bias_hh_l0.grad, atol=1e-5, rtol=0)


def test_the_measured_agreement_with_torch_covers_both_models_and_paths_and_sees_a_wrong_weight(monkeypatch):
    rows = torch_agreement(seq_length=6, batch=8, hidden_dim=8)
    assert {(r["model"], r["path"]) for r in rows} == {(m, p) for m in ("lstm", "rnn")
                                                        for p in ("reference loop", "hand-written BPTT")}
    assert max(r["output"] for r in rows) < 1e-5 and max(r["gradient"] for r in rows) < 1e-5
    import lib.recurrent_measure as measure
    monkeypatch.setattr(measure, "TORCH_GATES", [0, 1, 2, 3])  # the gates in torch's order, read as ours
    assert min(r["output"] for r in torch_agreement(seq_length=6, batch=8, hidden_dim=8) if r["model"] == "lstm") > 1e-3


def test_gru_matches_torch_gru_outputs_and_gradients():
    """Our GRU's reference loop with nn.GRU's weights (the same r | z | n stacking) gives nn.GRU's numbers."""
    reference, head = torch.nn.GRU(D, H), torch.nn.Linear(H, K)
    model = GRU(L + 1, D, H, K)
    with torch.no_grad():
        model.W_x.copy_(reference.weight_ih_l0.T)
        model.W_h.copy_(reference.weight_hh_l0.T)
        model.b_x.copy_(reference.bias_ih_l0)
        model.b_h.copy_(reference.bias_hh_l0)
        model.W_ph.copy_(head.weight.T)
        model.b_p.copy_(head.bias)
    x, targets = torch.randn(B, L, D), torch.randint(0, K, (B,))
    theirs, ours = head(reference(x.transpose(0, 1))[0][-1]), model(x)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    loss_fn(theirs, targets).backward()
    loss_fn(ours, targets).backward()
    torch.testing.assert_close(model.W_x.grad, reference.weight_ih_l0.grad.T, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.W_h.grad, reference.weight_hh_l0.grad.T, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.b_h.grad, reference.bias_hh_l0.grad, atol=1e-5, rtol=0)
    torch.testing.assert_close(model.W_ph.grad, head.weight.grad.T, atol=1e-5, rtol=0)


def test_every_registered_model_builds_with_its_initialisation_and_predicts():
    for key, spec in MODELS.items():
        torch.manual_seed(0)
        model = build_model(key, seq_length=9, input_dim=10, hidden_dim=8, output_dim=K)
        assert isinstance(model, spec.build) and model(torch.randn(3, 8, 10)).shape == (3, K)
        assert spec.label and spec.colour and spec.learning_rate > 0
    chrono, zero = (build_model(k, seq_length=50, input_dim=10, hidden_dim=8) for k in ("lstm-chrono", "lstm"))
    assert torch.all(zero.b == 0) and chrono.b.view(4, 8)[2].min() > 0  # the forget-gate biases differ by entry
    with pytest.raises(ValueError, match="model must be one of"):
        build_model("transformer", seq_length=5, input_dim=10, hidden_dim=8)


@pytest.mark.parametrize("cls", [LSTM, VanillaRNN])
def test_fast_path_equals_reference_path(cls):
    model = cls(21, 10, 32, K)
    x, targets = torch.randn(8, 20, 10), torch.randint(0, K, (8,))
    grads = {}
    for fused in (False, True):
        model.fused = fused
        model.zero_grad()
        out = model(x)
        loss_fn(out, targets).backward()
        grads[fused] = (out.detach(), [p.grad.clone() for p in model.parameters()])
        with torch.no_grad():  # inference keeps no per-step state for a backward pass
            torch.testing.assert_close(model(x), out.detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(grads[True][0], grads[False][0], atol=1e-5, rtol=0)
    for a, b in zip(grads[True][1], grads[False][1]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_hand_written_backward_passes_gradcheck():
    """In float64, so on the PyTorch-operations path; gradients for x, W and b."""
    D, H = 3, 4
    x = torch.randn(5, 2, D, dtype=torch.double, requires_grad=True)
    for function, gates in ((LSTMRecurrence, 4), (RNNRecurrence, 1)):
        W = torch.randn(D + H, gates * H, dtype=torch.double, requires_grad=True)
        b = torch.randn(gates * H, dtype=torch.double, requires_grad=True)
        assert torch.autograd.gradcheck(function.apply, (x, W, b))


@pytest.mark.parametrize("cls", [LSTM, VanillaRNN])
def test_fused_c_kernel_and_pytorch_fallback_agree(cls, monkeypatch):
    from lib import cpu_kernels

    assert cpu_kernels.kernels() is not None, "the C kernels should build where gcc is present"
    model = cls(13, 10, 24, K)
    x, targets = torch.randn(6, 12, 10), torch.randint(0, K, (6,))
    results = []
    for usable in (True, False):
        monkeypatch.setattr(cpu_kernels, "usable", lambda *tensors, usable=usable: usable)
        model.zero_grad()
        out = model(x)
        loss_fn(out, targets).backward()
        results.append((out.detach(), [p.grad.clone() for p in model.parameters()]))
        with torch.no_grad():
            torch.testing.assert_close(model(x), out.detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(results[0][0], results[1][0], atol=1e-5, rtol=0)
    for a, b in zip(results[0][1], results[1][1]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_missing_compiler_falls_back_with_one_warning(monkeypatch, tmp_path):
    from lib import cpu_kernels

    monkeypatch.setattr(cpu_kernels, "_library", None)
    monkeypatch.delenv(cpu_kernels.FALLBACK_ENV, raising=False)
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.warns(UserWarning, match="could not be built") as caught:
        assert cpu_kernels.kernels() is None
    assert "\n" not in str(caught[0].message)  # one line, whatever the compiler printed
    model = LSTM(6, 10, 8, K)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not at every call
        assert model(torch.randn(2, 5, 10)).shape == (2, K)


def test_a_compiler_without_openmp_or_native_flags_still_builds_the_kernels(monkeypatch, tmp_path):
    """Apple's clang rejects -fopenmp (and some -march=native): the build is retried without them."""
    import shutil

    from lib import cpu_kernels

    picky = tmp_path / "picky-cc"
    picky.write_text(f"#!/bin/sh\nfor a in \"$@\"; do case $a in -fopenmp|-march=native) "
                     f"echo \"unsupported option $a\" >&2; exit 1;; esac; done\nexec {shutil.which('gcc')} \"$@\"\n")
    picky.chmod(0o755)
    monkeypatch.setattr(cpu_kernels, "_library", None)
    monkeypatch.setenv("CC", str(picky))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cpu_kernels.kernels() is not None


def test_an_unwritable_cache_folder_falls_back_to_a_temporary_one(monkeypatch, tmp_path):
    from lib import cpu_kernels

    blocked = tmp_path / "not-a-folder"  # a file where the cache folder should be: no folder can be made (even as root)
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    folder = cpu_kernels.cache_dir()
    assert folder.is_dir() and not folder.is_relative_to(blocked)


def test_forget_bias_initialisations():
    T = 50
    zero = LSTM(T, 10, 64, K, forget_bias_init="zero")
    assert torch.all(zero.b == 0)
    one = LSTM(T, 10, 64, K, forget_bias_init="one")
    _, b_i, b_f, _ = one.b.detach().view(4, 64)
    assert torch.all(b_f == 1) and torch.all(b_i == 0)
    chrono = LSTM(T, 10, 64, K, forget_bias_init="chrono")
    b_o, b_i, b_f, b_g = chrono.b.detach().view(4, 64)
    assert b_f.min() >= 0 and b_f.max() <= math.log(T - 1) + 1e-6 and b_f.std() > 0.3
    assert torch.equal(b_i, -b_f) and torch.all(b_o == 0) and torch.all(b_g == 0)
    with pytest.raises(ValueError, match="forget_bias_init"):
        LSTM(T, 10, 64, K, forget_bias_init="two")


def test_model_api_shapes_and_predict_digits():
    for cls in (LSTM, VanillaRNN, GRU):
        for input_dim in (1, 10):
            model = cls(7, input_dim, 16, K)
            assert model(torch.randn(5, 6, input_dim)).shape == (5, K)
            assert model.predict_digits(torch.randint(0, 10, (5, 6))).shape == (5,)


@pytest.mark.parametrize("cls", [LSTM, VanillaRNN, GRU])
def test_gradient_flow_has_one_value_per_step_and_the_carry_factor_is_the_models(cls):
    model = cls(9, 10, 16, K)
    flow = gradient_flow(model, examples=32)
    assert len(flow["norms"]) == len(flow["carry"]) == 8 and min(flow["norms"]) > 0
    assert all(0 <= c <= 1 for c in flow["carry"])
    assert (flow["weight_norm"] is not None) == (cls is VanillaRNN)


def test_the_zero_init_lstm_carries_half_its_cell_at_every_step_before_training():
    """sigmoid(0) = 1/2 is the forget gate of every unit at the first step; later steps stay near it."""
    flow = gradient_flow(LSTM(12, 10, 32, K, forget_bias_init="zero"), examples=64)
    assert flow["carry"][0] == pytest.approx(0.5, abs=0.05)
    chrono = gradient_flow(LSTM(12, 10, 32, K, forget_bias_init="chrono"), examples=64)
    assert min(chrono["carry"]) > max(flow["carry"])  # chrono opens the gates before any training
    assert len(flow["kept"]) == 32 and max(flow["kept"]) < 0.01, "half kept per step: about 2^-9 after 10 steps"
    assert max(chrono["kept"]) > 0.2, "chrono's slowest units keep much of what they held at t = 1"


def test_the_lstm_state_is_h_beside_the_cell_of_equation_5():
    model = randomise(LSTM(L + 1, D, H, K)).double()
    x = torch.randn(B, L, D, dtype=torch.double)
    hidden = model.hidden_states_reference(x)
    state = model.state(x, hidden)  # (T-1, B, 2H)
    assert state.shape == (L, B, 2 * H) and torch.equal(state[..., :H], torch.stack(hidden))
    o = torch.sigmoid(x.transpose(0, 1) @ model.W_x.chunk(4, dim=1)[0]  # (4) the output gate, from h_(t-1)
                      + torch.stack([torch.zeros_like(hidden[0]), *hidden[:-1]]) @ model.W_h.chunk(4, dim=1)[0]
                      + model.b.chunk(4)[0])
    assert torch.allclose(torch.tanh(state[..., H:]) * o, state[..., :H]), "(6) h = tanh(c) o"


def test_the_first_digit_is_read_from_a_state_that_holds_it_and_not_from_one_that_holds_nothing():
    from lib.recurrent_measure import first_digit_readout

    model = VanillaRNN(8, 10, 32, 10)
    readout = first_digit_readout(model, examples=300)
    assert len(readout) == 7 and readout[0] > 0.95, "h_1 depends on the first digit alone: ten states, told apart"
    with torch.no_grad():
        model.W_hx.zero_(), model.W_hh.zero_()
    blank = first_digit_readout(model, examples=300)
    assert max(blank) < 0.2, "a state that ignores the input names the first digit at chance"


def test_the_gradient_on_the_cell_is_autograds_and_runs_along_the_forget_gates():
    """cell_gradients' recursion from (5) and (6) against autograd on a copy of the reference loop that keeps
    each c_t as a node of the graph."""
    from lib.palindrome import PalindromeDataset, encode
    from lib.recurrent_measure import _state_gradients, cell_gradients

    model = randomise(LSTM(9, 10, H, K))
    _, hidden, grads = _state_gradients(model, 16)
    digits, targets = PalindromeDataset(9).validation_set(16)
    x = encode(digits, 10)
    (W_ox, W_ix, W_fx, W_gx), (W_oh, W_ih, W_fh, W_gh) = model.W_x.chunk(4, dim=1), model.W_h.chunk(4, dim=1)
    b_o, b_i, b_f, b_g = model.b.chunk(4)
    h = c = x.new_zeros(16, H)
    cells = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        f = torch.sigmoid(x_t @ W_fx + h @ W_fh + b_f)
        c = torch.tanh(x_t @ W_gx + h @ W_gh + b_g) * torch.sigmoid(x_t @ W_ix + h @ W_ih + b_i) + c * f
        c.retain_grad()
        cells.append(c)
        h = torch.tanh(c) * torch.sigmoid(x_t @ W_ox + h @ W_oh + b_o)
    loss_fn(model.output(h), targets, reduction="sum").backward()
    mine = cell_gradients(model, x, hidden, grads)
    assert len(mine) == 8 and all(torch.allclose(a, b.grad, atol=1e-6) for a, b in zip(mine, cells))
    flow = gradient_flow(LSTM(12, 10, 32, K, forget_bias_init="chrono"), examples=64)
    assert len(flow["cell_norms"]) == 11 and "cell_norms" not in gradient_flow(VanillaRNN(12, 10, 32, K), examples=16)


def test_the_read_out_control_keeps_the_first_digit_and_breaks_the_mirror():
    """On palindromes an untrained chrono LSTM's state names the first digit again at the last step (the second
    half repeats the first); on the control, whose digits after the first are random, it does not."""
    from lib.recurrent_measure import first_digit_readout

    torch.manual_seed(0)
    model = LSTM(20, 10, 128, K, forget_bias_init="chrono")
    mirrored, control = first_digit_readout(model, examples=500), first_digit_readout(model, 500, mirrored=False)
    assert mirrored[0] == control[0] == 1.0, "the first step reads the first digit alone, in both"
    assert mirrored[-1] > control[-1] + 0.2
