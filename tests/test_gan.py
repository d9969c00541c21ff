import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from lib.ema import refresh_batchnorm
from lib.files import load_json, load_torch, save_json
from lib.gan import architecture, build_gan, discriminator_loss, generator_loss, load_generator, sample_noise
from lib.gan_runs import CODE, publish, read_metrics, train
from lib.gan_train import GANConfig, GANState, train_step
from lib.runs import identity
from lib.streams import Stream, generator_for

TINY = dict(data_source="mnist5k", steps=40, eval_every=20, eval_samples=64, final_samples=100, log_every=4,
            checkpoint_every=10, augment=("translation",))  # checkpoints inside a loss window: resuming restores it


@pytest.mark.parametrize("variant", ["mlp", "conv"])
def test_shapes_and_ranges(variant):
    G, D = build_gan(variant, latent_dim=100)
    images = G(sample_noise(8, 100))
    assert images.shape == (8, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    logits = D(images)
    assert logits.shape == (8,) and torch.isfinite(logits).all()


def test_one_training_step_changes_both_networks_and_the_average(mnist5k):
    state = GANState.new(GANConfig(**TINY), torch.device("cpu"))
    before = {name: [p.clone() for p in net.parameters()] for name, net in
              (("G", state.G), ("D", state.D), ("ema", state.ema.average))}
    z = sample_noise(64, 100, generator_for(0, Stream.GAN_NOISE, 0))
    stats = train_step(state, mnist5k.train_images[:64], z, generator_for(0, Stream.GAN_AUGMENT, 0))
    assert stats.shape == (4,) and torch.isfinite(stats).all() and state.step == 1
    for name, net in (("G", state.G), ("D", state.D), ("ema", state.ema.average)):
        changed = [not torch.equal(a, b) for a, b in zip(before[name], net.parameters()) if a.dim() > 1]
        assert all(changed), f"{name} did not move"
    assert all(p.requires_grad for p in state.D.parameters()), "D trains again at the next step"


def test_losses_are_equation_10():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    D_real, D_fake = real.sigmoid(), fake.sigmoid()
    expected_D = -(D_real.log().mean() + (1 - D_fake).log().mean())
    assert discriminator_loss(real, fake).item() == pytest.approx(expected_D.item(), rel=1e-6)
    assert generator_loss(fake).item() == pytest.approx(-D_fake.log().mean().item(), rel=1e-6)
    # logits far beyond float32's sigmoid range still give finite losses
    assert torch.isfinite(discriminator_loss(torch.tensor([200.0]), torch.tensor([200.0])))


def test_interrupted_run_resumes_to_the_same_weights(gan_dir):
    config = GANConfig(**TINY)  # with EMA and augmentation
    assert config.ema_decay > 0 and config.augment
    whole_dir = gan_dir("whole")
    whole = train(config, whole_dir, progress=False)
    resumed_dir = gan_dir("resumed")
    assert train(config, resumed_dir, progress=False, stop_after=17) == {}  # "killed" after step 17
    run = next((resumed_dir / "runs").iterdir())
    assert load_torch(run / "latest.pt")["step"] == 10 and not (run / "final.pt").exists()  # last checkpoint
    resumed = train(config, resumed_dir, progress=False)
    a = load_torch(whole_dir / whole["checkpoints"]["final"])
    b = load_torch(resumed_dir / resumed["checkpoints"]["final"])
    for part in ("generator", "generator_ema", "discriminator"):
        for name, tensor in a[part].items():
            assert torch.equal(tensor, b[part][name]), (part, name)
    assert a["history"]["losses"] == b["history"]["losses"]
    assert whole["final"] == resumed["final"]


def test_samples_come_from_the_average_not_the_raw_generator_and_both_are_measured(gan_dir):
    out = gan_dir("ema")
    result = train(GANConfig(**TINY), out, progress=False)
    assert result["final"] != result["final_raw"] and result["final"]["n"] == result["final_raw"]["n"]
    final = out / result["checkpoints"]["final"]
    z = sample_noise(8, 100, generator_for(0, Stream.GAN_FIXED))
    averaged, raw = load_generator(final, "cpu")(z), load_generator(final, "cpu", ema=False)(z)
    assert not torch.allclose(averaged, raw)
    start = out / result["checkpoints"]["start"]
    averaged, raw = load_generator(start, "cpu"), refresh_batchnorm(load_generator(start, "cpu", ema=False), seed=0)
    assert torch.equal(averaged(z), raw(z)), "at step 0 the average is the raw generator"


def test_finished_run_is_reused_and_publishing_writes_the_outputs(gan_dir):
    out = gan_dir("reuse")
    first = train(GANConfig(**TINY), out, progress=False)
    stamp = (out / first["checkpoints"]["final"]).stat().st_mtime_ns
    again = train(GANConfig(**TINY), out, progress=False)
    assert (out / first["checkpoints"]["final"]).stat().st_mtime_ns == stamp  # not retrained
    assert again["final"] == first["final"]
    for name in ("start", "half", "final"):
        assert (out / first["checkpoints"][name]).exists()
    assert load_torch(out / first["checkpoints"]["half"])["step"] == TINY["steps"] // 2
    assert [e["step"] for e in first["curves"]["evals"]] == [0, 20, 40]
    assert {"D_train", "D_validation", "D_gap", "D_generated", "salt_noise"} <= first["curves"]["evals"][-1].keys()
    assert 0 < first["curves"]["evals"][-1]["D_generated"] < 1 and "D_generated" in first["final"]
    assert first["real_baseline"]["salt_noise"] < 0.01  # real digits: about one isolated pixel in a thousand images
    assert first["architecture"] == architecture("mlp", 100) and first["code"] == CODE
    with pytest.raises(FileNotFoundError, match="make all"):
        read_metrics(out)
    published = publish(first, out, "cpu")
    assert read_metrics(out) == first and len(published["fixed_grids"]) == 3
    samples = np.load(out / "samples_final.npz")["images"]
    assert samples.shape == (TINY["final_samples"], 28, 28) and 0 <= samples.min() and samples.max() <= 1
    since = time.time()  # force: trained again once, then reused by the same notebook run
    train(GANConfig(**TINY), out, progress=False, retrain_before=since)
    retrained = (out / first["checkpoints"]["final"]).stat().st_mtime_ns
    assert retrained != stamp
    train(GANConfig(**TINY), out, progress=False, retrain_before=since)
    assert (out / first["checkpoints"]["final"]).stat().st_mtime_ns == retrained


@pytest.mark.parametrize("bad, name", [
    (dict(data_source="svhn"), "data_source"), (dict(variant="resnet"), "variant"),
    (dict(batch_size=0), "batch_size"), (dict(batch_size=1), "batch_size"), (dict(lr_G=0), "lr_G"),
    (dict(lr_D=-1e-3), "lr_D"), (dict(latent_dim=0), "latent_dim"), (dict(steps=0), "steps"),
    (dict(beta1=1.0), "beta1"), (dict(eval_samples=1), "eval_samples"), (dict(ema_decay=1.0), "ema_decay"),
    (dict(ema_decay=-0.5), "ema_decay"), (dict(beta2=1), "beta2"), (dict(augment=["translation", "rotate"]), "augment"),
])
def test_bad_parameters_fail_before_any_work(bad, name, tmp_path):
    with pytest.raises(ValueError, match=name):
        train(GANConfig(**(TINY | bad)), tmp_path)
    assert not any(tmp_path.iterdir())


def test_batch_larger_than_the_training_set_fails_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="batch_size must be at most the 3,500 training images of mnist5k; got 5000"):
        train(GANConfig(**(TINY | dict(batch_size=5000))), tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_finished_run_measured_by_other_code_is_measured_again_from_its_checkpoint(gan_dir):
    out = gan_dir("remeasure")
    first = train(GANConfig(**TINY), out)
    folder = out / first["run_dir"]
    final_written = (folder / "final.pt").stat().st_mtime_ns
    old = {k: v for k, v in first.items() if k != "final"} | dict(code=dict(first["code"], measure={}))
    save_json(old, folder / "result.json")  # as an earlier version, measuring less, left it
    again = train(GANConfig(**TINY), out)
    assert again["final"] == first["final"] and (folder / "final.pt").stat().st_mtime_ns == final_written
    assert load_json(folder / "result.json")["code"]["measure"] == CODE["measure"] and "remeasured_seconds" in again


def test_a_result_whose_checkpoints_were_removed_is_trained_again(gan_dir):
    out = gan_dir("cleaned")
    first = train(GANConfig(**TINY), out)
    (out / first["checkpoints"]["start"]).unlink()
    again = train(GANConfig(**TINY), out)
    assert (out / again["checkpoints"]["start"]).exists() and again["final"] == first["final"]


def test_a_run_trained_on_another_split_of_the_digits_is_trained_again(gan_dir):
    out = gan_dir("resplit")
    first = train(GANConfig(**TINY), out)
    folder = out / first["run_dir"]
    final_written = (folder / "final.pt").stat().st_mtime_ns
    save_json(first | dict(data="mnist5k: 4,000 train / 1,000 test images"), folder / "result.json")  # an older split
    again = train(GANConfig(**TINY), out)
    assert (folder / "final.pt").stat().st_mtime_ns != final_written, "trained again, not reused"
    assert again["data"] == "mnist5k: 3,500 train / 500 validation / 1,000 test images"
    assert again["final"] == first["final"], "the same seed on the same digits gives the same run"


def test_every_field_of_the_gan_config_is_declared_in_its_identity_or_set_apart():
    assert "data_dir" not in identity(GANConfig()) and "checkpoint_every" not in identity(GANConfig())
    assert identity(GANConfig(data_dir="elsewhere")) == identity(GANConfig())


def test_the_ablation_shares_a_run_between_a_configuration_and_its_moving_average():
    from lib.ablation import RUNGS, trajectories, trajectory_config

    config = GANConfig(**(TINY | dict(ema_decay=0.99, augment=("cutout",), batch_size=96)))
    runs = trajectories(config, list(RUNGS), 20)
    assert set(runs) == {"template", "template+betas", "template+rates", "template+augment", "recipe", "recipe-conv"}, \
        "six runs for eight rungs"
    assert runs["recipe"] == replace(config, steps=20) and runs["recipe-conv"].variant == "conv"
    template = trajectory_config(config, "template", 20)
    assert (template.batch_size, template.lr_G, template.lr_D, template.augment) == (64, 2e-4, 2e-4, ())
    assert (template.beta1, template.beta2) == (0.9, 0.999), "the template's Adam(lr=...) keeps PyTorch's betas"
    assert template.ema_decay == 0.99, "the average is kept so that template+ema can sample it"
    assert runs["template+augment"].augment == ("cutout",)
    assert runs["template+betas"] == replace(template, beta1=config.beta1, beta2=config.beta2), "one change: betas"
    assert runs["template+rates"] == replace(runs["template+betas"], lr_G=config.lr_G, lr_D=config.lr_D), \
        "one change: the rates"
    assert trajectory_config(replace(config, augment=()), "template+augment", 20).augment == ("translation",)
    assert all(r.steps == 20 and r.seed == config.seed for r in runs.values())


def test_the_ablation_reads_the_recipe_at_half_its_steps_from_the_runs_own_checkpoint(gan_dir):
    from lib.ablation import read_ablation, rung_samples, save_ablation, train_ladder
    from lib.gan_runs import evaluator_for

    out = gan_dir("ladder")
    config = GANConfig(**TINY)
    run = train(config, out)
    ladder = train_ladder(run, config, ["template", "template+ema", "recipe"], TINY["steps"] // 2, out,
                          evaluator_for(run, out), workers=1)
    assert ladder["recipe"]["config"]["steps"] == TINY["steps"] // 2
    assert ladder["template"]["run_dir"] == ladder["template+ema"]["run_dir"], "one run, read two ways"
    assert ladder["template"]["final"] != ladder["template+ema"]["final"]
    assert len(list((out / "runs").iterdir())) == 2, "the run itself and the template: the recipe is not retrained"
    assert ladder["recipe"]["checkpoint"].endswith("half.pt") and ladder["template"]["checkpoint"].endswith("final.pt")
    samples = rung_samples(out, save_ablation(out, ladder, TINY["steps"] // 2), n=4)
    assert all(images.shape == (4, 1, 28, 28) and 0 <= images.min() <= images.max() <= 1 for images in samples.values())
    assert not torch.equal(samples["template"], samples["template+ema"]), "the raw generator and its average differ"
    assert torch.equal(samples["recipe"], rung_samples(out, read_ablation(out), n=4)["recipe"]), "the same noise"


def test_the_run_and_its_ladder_train_side_by_side_with_the_same_numbers_on_one_or_two_workers(gan_dir):
    from lib.ablation import extra_runs, train_ladder, train_with_ladder
    from lib.gan_runs import evaluator_for

    config, rungs, steps = GANConfig(**TINY), ["template", "template+ema", "recipe"], TINY["steps"] // 2
    assert list(extra_runs(config, rungs, steps)) == ["template"], "the recipe at half its steps is the run's half.pt"
    results = {}
    for workers in (1, 2):
        out = gan_dir(f"side-by-side-{workers}")
        run = train_with_ladder(config, rungs, steps, out, workers=workers)
        assert len(list((out / "runs").iterdir())) == 2, "the run and the template, trained together"
        assert run["threads"] == 1
        ladder = train_ladder(run, config, rungs, steps, out, evaluator_for(run, out), workers=workers)
        assert ladder["template"]["train_seconds"] > 0 and len(list((out / "runs").iterdir())) == 2, "reused"
        results[workers] = (run["final"], ladder["template"]["final"])
    assert results[1] == results[2], "one thread per run: the numbers do not depend on the workers"
