"""The pieces the GAN recipe adds to the course template: EMA of G, DiffAugment, the salt-noise measure."""
import pytest
import torch
from torch import nn

from lib.augment import cutout, diff_augment, translation
from lib.ema import EMA, refresh_batchnorm, warmup_decay
from lib.evaluate import salt_noise
from lib.gan import MLPGenerator
from lib.streams import Stream, generator_for


# ---------------------------------------------------------------- EMA

def test_ema_follows_the_known_arithmetic():
    net = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(0.0)
    ema = EMA(net, decay=0.5)
    expected = 0.0
    for step, value in enumerate([10.0, 20.0, 30.0, 40.0]):
        with torch.no_grad():
            net.weight.fill_(value)
        ema.update(net, step)
        decay = min(0.5, (1 + step) / (10 + step))  # warm-up: 0.1, 0.18, 0.25, 0.31
        expected = decay * expected + (1 - decay) * value
        assert ema.average.weight.item() == pytest.approx(expected, rel=1e-6)
    assert warmup_decay(0.999, 0) == pytest.approx(0.1) and warmup_decay(0.999, 10 ** 6) == 0.999


def test_ema_with_decay_zero_is_the_raw_network_statistics_and_all_and_does_not_train():
    net = MLPGenerator(latent_dim=100)
    ema = EMA(net, decay=0.0)
    net(torch.randn(16, 100))  # a training-mode pass moves BatchNorm's running statistics
    with torch.no_grad():
        next(net.parameters()).add_(1.0)
    ema.update(net, step=5)
    assert all(torch.equal(a, b) for a, b in zip(ema.average.state_dict().values(), net.state_dict().values()))
    assert not any(p.requires_grad for p in ema.average.parameters())


@pytest.mark.parametrize("decay", [1.0, -0.1, 1.5, "0.9", True, None])
def test_ema_rejects_a_decay_outside_0_1(decay):
    with pytest.raises(ValueError, match="ema_decay must be a number in \\[0, 1\\)"):
        EMA(nn.Linear(1, 1), decay)


def test_refresh_batchnorm_measures_the_networks_own_statistics():
    G = MLPGenerator(latent_dim=100)
    norms = [m for m in G.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.all(m.running_mean == 0) for m in norms)  # never trained: the initial statistics
    refresh_batchnorm(G, seed=0)
    assert not G.training
    first = [m.running_mean.clone() for m in norms]
    assert all(m.running_mean.abs().sum() > 0 for m in norms)
    refresh_batchnorm(G, seed=0)
    assert all(torch.equal(a, m.running_mean) for a, m in zip(first, norms)), "same seed, same statistics"
    assert all(m.momentum == 0.1 for m in norms), "the layers' own momentum is restored"


# ---------------------------------------------------------------- DiffAugment

def images(batch=6):
    return torch.rand(batch, 1, 28, 28, generator=generator_for(0, Stream.GAN_FIXED)) * 2 - 1


@pytest.mark.parametrize("transform", [translation, cutout])
def test_augmentation_keeps_shape_and_range_and_is_differentiable(transform):
    x = images().requires_grad_()
    y = transform(x, generator_for(0, Stream.GAN_AUGMENT, 0))
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # every output pixel is an input pixel or the background, so each input pixel's gradient is 0 or 1
    assert set(x.grad.unique().tolist()) <= {0.0, 1.0}


def test_same_seed_same_augmentation_other_step_another():
    x = images()
    policy = ("translation", "cutout")
    a = diff_augment(x, policy, generator_for(3, Stream.GAN_AUGMENT, 7))
    b = diff_augment(x, policy, generator_for(3, Stream.GAN_AUGMENT, 7))
    c = diff_augment(x, policy, generator_for(3, Stream.GAN_AUGMENT, 8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(diff_augment(x, (), generator_for(3, Stream.GAN_AUGMENT, 7)), x)


def test_translation_moves_a_pixel_and_fills_with_background():
    x = torch.full((200, 1, 28, 28), -1.0)
    x[:, 0, 14, 14] = 1.0
    y = translation(x, generator_for(0, Stream.GAN_AUGMENT, 0))
    assert torch.all((y == 1).flatten(1).sum(1) == 1), "a shift by at most 4 pixels keeps the centre pixel"
    where = (y[:, 0] == 1).nonzero()[:, 1:] - 14
    assert where.abs().max() <= 4 and len({tuple(w) for w in where.tolist()}) > 20, "each image its own shift"


def test_cutout_blanks_one_square_of_half_the_side():
    y = cutout(torch.ones(500, 1, 28, 28), generator_for(0, Stream.GAN_AUGMENT, 0))
    blanked = (y == -1).flatten(1).sum(1)
    assert blanked.max() == 14 * 14 and blanked.min() > 0, "a 14x14 square, clipped at the edges"


@pytest.mark.parametrize("policy", ["translation", ["flip"], [3]])
def test_unknown_augmentation_is_rejected(policy):
    from lib.gan_train import GANConfig

    with pytest.raises(ValueError, match="augment"):
        GANConfig(augment=policy)


# ---------------------------------------------------------------- salt noise

def test_salt_noise_counts_planted_isolated_pixels_exactly(mnist5k):
    real = (mnist5k.test_images[:200] + 1) / 2
    assert salt_noise(real) == 0.0, "strokes are wide: no isolated pixel in real digits"
    planted = torch.zeros(4, 28, 28)
    planted[0, 5, 5] = planted[0, 20, 3] = 0.9  # two isolated pixels
    planted[1, 0, 0] = 0.6  # one, in a corner (outside the image counts as dark)
    planted[2, 10, 10] = planted[2, 10, 11] = 0.9  # two bright neighbours: not isolated
    planted[3, 15, 15], planted[3, 16, 16] = 0.9, 0.2  # a dim neighbour (< 0.25) does not count
    assert salt_noise(planted) == pytest.approx((2 + 1 + 0 + 1) / 4)
    planted[3, 16, 16] = 0.3  # a neighbour at 0.3 is not dark
    assert salt_noise(planted) == pytest.approx(3 / 4)
