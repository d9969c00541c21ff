import pytest
import torch

from lib.gan import build_gan, discriminator_loss, generator_loss, sample_noise
from lib.gan_train import GANConfig, train
from lib.runs import load_torch

TINY = dict(data_source="mnist5k", steps=40, eval_every=20, eval_samples=64, final_samples=100, log_every=4,
            checkpoint_every=10)  # checkpoints fall inside a loss window: resuming must restore it too


@pytest.mark.parametrize("variant", ["mlp"])
def test_shapes_and_ranges(variant):
    G, D = build_gan(variant, latent_dim=100)
    images = G(sample_noise(8, 100))
    assert images.shape == (8, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    logits = D(images)
    assert logits.shape == (8,) and torch.isfinite(logits).all()


def test_one_training_step_changes_both_networks(mnist5k):
    G, D = build_gan("mlp")
    opt_G, opt_D = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)), torch.optim.Adam(D.parameters(), 2e-4)
    before_G, before_D = [p.clone() for p in G.parameters()], [p.clone() for p in D.parameters()]
    fake = G(sample_noise(64, 100))
    loss_D = discriminator_loss(D(mnist5k.train_images[:64]), D(fake.detach()))
    opt_D.zero_grad(), loss_D.backward(), opt_D.step()
    loss_G = generator_loss(D(fake))
    opt_G.zero_grad(), loss_G.backward(), opt_G.step()
    assert torch.isfinite(loss_D) and torch.isfinite(loss_G)
    assert all(not torch.equal(a, b) for a, b in zip(before_G, G.parameters()) if a.dim() > 1)
    assert all(not torch.equal(a, b) for a, b in zip(before_D, D.parameters()))


def test_losses_are_equation_10():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    D_real, D_fake = real.sigmoid(), fake.sigmoid()
    expected_D = -(D_real.log().mean() + (1 - D_fake).log().mean())
    assert discriminator_loss(real, fake).item() == pytest.approx(expected_D.item(), rel=1e-6)
    assert generator_loss(fake).item() == pytest.approx(-D_fake.log().mean().item(), rel=1e-6)
    # logits far beyond float32's sigmoid range still give finite losses
    assert torch.isfinite(discriminator_loss(torch.tensor([200.0]), torch.tensor([200.0])))


def test_interrupted_run_resumes_to_the_same_weights(gan_dir):
    config = GANConfig(**TINY)
    whole_dir = gan_dir("whole")
    whole = train(config, whole_dir, progress=False)
    resumed_dir = gan_dir("resumed")
    assert train(config, resumed_dir, progress=False, stop_after=17) == {}  # "killed" after step 17
    run = next((resumed_dir / "runs").iterdir())
    assert load_torch(run / "latest.pt")["step"] == 10 and not (run / "final.pt").exists()  # last checkpoint
    resumed = train(config, resumed_dir, progress=False)
    a = load_torch(whole_dir / whole["checkpoints"]["final"])
    b = load_torch(resumed_dir / resumed["checkpoints"]["final"])
    for part in ("generator", "discriminator"):
        for name, tensor in a[part].items():
            assert torch.equal(tensor, b[part][name]), (part, name)
    assert a["history"]["losses"] == b["history"]["losses"]
    assert whole["final"] == resumed["final"]


def test_finished_run_is_reused_and_outputs_are_complete(gan_dir):
    import numpy as np

    out = gan_dir("reuse")
    first = train(GANConfig(**TINY), out, progress=False)
    stamp = (out / first["checkpoints"]["final"]).stat().st_mtime_ns
    again = train(GANConfig(**TINY), out, progress=False)
    assert (out / first["checkpoints"]["final"]).stat().st_mtime_ns == stamp  # not retrained
    assert again["final"] == first["final"]
    for name in ("start", "half", "final"):
        assert (out / first["checkpoints"][name]).exists()
    assert load_torch(out / first["checkpoints"]["half"])["step"] == TINY["steps"] // 2
    samples = np.load(out / "samples_final.npz")["images"]
    assert samples.shape == (TINY["final_samples"], 28, 28) and 0 <= samples.min() and samples.max() <= 1
    assert [e["step"] for e in first["curves"]["evals"]] == [0, 20, 40]
    assert first["data_source"] == "mnist5k" and (out / "metrics.json").exists()


@pytest.mark.parametrize("bad, name", [
    (dict(data_source="svhn"), "data_source"), (dict(variant="resnet"), "variant"),
    (dict(batch_size=0), "batch_size"), (dict(batch_size=-4), "batch_size"), (dict(lr=0), "lr"),
    (dict(lr=-1e-3), "lr"), (dict(latent_dim=0), "latent_dim"), (dict(steps=0), "steps"),
    (dict(beta1=1.0), "beta1"), (dict(eval_samples=1), "eval_samples"),
])
def test_bad_parameters_fail_before_any_work(bad, name, tmp_path):
    with pytest.raises(ValueError, match=name):
        train(GANConfig(**(TINY | bad)), tmp_path)
    assert not any(tmp_path.iterdir())
