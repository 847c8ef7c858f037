"""DSA's augmentations: siamese (one draw for both batches), seeded, shape-preserving, correct on
hand-made images, and differentiable w.r.t. the pixels (gradcheck in float64)."""

import pytest
import torch

from ddlab import augment
from ddlab.augment import DC_MNIST, DSA, OPS, Augmentation


def _images(n=4, seed=0, dtype=torch.float32):
    return torch.randn(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("op", OPS)
def test_siamese_applies_the_same_transform_to_both_batches(op):
    only = Augmentation(ops=(op,))
    x = _images(3)
    real, syn = augment.siamese(x, x.clone(), _gen(), only)
    assert real.shape == syn.shape == x.shape
    torch.testing.assert_close(real, syn, rtol=0, atol=0)
    assert not torch.equal(real, x)  # it did transform
    # one draw for the whole batch: a batch of one image repeated stays identical rows
    same = x[:1].expand(5, -1, -1, -1)
    out, _ = augment.siamese(same, x[:2], _gen(), only)
    assert all(torch.equal(out[0], out[i]) for i in range(5))


@pytest.mark.parametrize("op", OPS)
def test_per_image_augment_draws_each_image_separately_and_keeps_shape(op):
    same = _images(1).expand(6, -1, -1, -1)
    out = augment.augment(same, _gen(), Augmentation(ops=(op,)))
    assert out.shape == same.shape
    assert not all(torch.equal(out[0], out[i]) for i in range(1, 6))


def test_seeds_decide_the_draw():
    x = _images(4)
    a, _ = augment.siamese(x, x, _gen(1))
    b, _ = augment.siamese(x, x, _gen(1))
    c = [augment.siamese(x, x, _gen(s))[0] for s in range(2, 6)]
    assert torch.equal(a, b)
    assert not any(torch.equal(a, other) for other in c)
    assert not torch.equal(augment.augment(x, _gen(1)), augment.augment(x, _gen(2)))


@pytest.mark.parametrize("op", OPS)
def test_gradients_reach_the_pixels(op):
    """gradcheck compares autograd with finite differences for a fixed parameter draw."""
    x = torch.randn(2, 1, 12, 12, generator=_gen(2), dtype=torch.float64).requires_grad_()
    draw = augment.sample(op, 2, 12, DSA, _gen(3))
    assert torch.autograd.gradcheck(lambda images: augment.apply(op, images, draw, DSA), (x,), eps=1e-6, atol=1e-5)


def test_siamese_gradient_flows_to_the_synthetic_batch_only_through_its_own_images():
    x_real, x_syn = _images(8), _images(2, seed=1).requires_grad_()
    _, out = augment.siamese(x_real, x_syn, _gen(0))
    out.sum().backward()
    assert x_syn.grad is not None and x_syn.grad.abs().sum() > 0


def test_translate_moves_whole_pixels_and_fills_with_zero():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    out = augment.translate(x, torch.tensor([1]), torch.tensor([-2]))  # one down, two left
    expected = torch.zeros_like(x)
    expected[..., 1:, :2] = x[..., :3, 2:]
    assert torch.equal(out, expected)


def test_cutout_zeroes_a_square_clipped_at_the_border():
    x = torch.ones(2, 1, 10, 10)
    out = augment.cutout(x, torch.tensor([5, 0]), torch.tensor([5, 9]), size=4)
    assert (out[0] == 0).sum() == 16 and torch.all(out[0, 0, 3:7, 3:7] == 0)
    assert (out[1] == 0).sum() == 2 * 3 and torch.all(out[1, 0, :2, 7:] == 0)  # rows -2..1, cols 7..10


def test_affine_rotation_by_90_degrees_is_rot90():
    x = _images(1)
    quarter = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])
    torch.testing.assert_close(augment.affine(x, quarter), torch.rot90(x, 1, dims=(-2, -1)), atol=1e-5, rtol=0)
    identity = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    torch.testing.assert_close(augment.affine(x, identity), x, atol=1e-5, rtol=0)


def test_color_on_one_channel_is_brightness_and_contrast():
    x = _images(3)
    assert torch.equal(augment.saturation(x, torch.tensor([1.7])), x)  # a digit is its own channel mean
    out = augment.contrast(augment.brightness(x, torch.tensor([0.25])), torch.tensor([2.0]))
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    torch.testing.assert_close(out, (x - mean) * 2 + mean + 0.25)


def test_dc_mnist_augmentation_picks_a_family_per_image():
    x = _images(1).expand(64, -1, -1, -1)
    out = augment.augment(x, _gen(0), DC_MNIST)
    assert out.shape == x.shape
    assert len({tuple(row.flatten()[:50].tolist()) for row in out}) > 32  # nearly every image differs


def test_bad_settings_are_rejected():
    available = "available: color, crop, cutout, scale, rotate, flip"
    with pytest.raises(ValueError, match=f"unknown augmentation 'blur'; {available}"):
        Augmentation(ops=("blur",))
    with pytest.raises(ValueError, match=f"unknown augmentation 'blur'; {available}"):
        Augmentation(always=("blur",))
    with pytest.raises(ValueError, match="one_per='class' is not allowed"):
        Augmentation(one_per="class")


def test_shifted_images_come_back_with_plain_strides():
    """With one channel, the shift's permuted result counts as contiguous but looks channels-last to a
    convolution, which then takes another CPU path for its backward (see test_dm's default-size test)."""
    shifted = augment.translate(torch.randn(1, 1, 28, 28), torch.tensor([1]), torch.tensor([-2]))
    assert shifted.stride() == (784, 784, 28, 1)


def test_flip_mirrors_about_half_the_images_and_leaves_the_rest():
    x = _images(200)
    out = augment.augment(x, _gen(), Augmentation(ops=("crop",), crop=0.0, always=("flip",)))
    mirrored = torch.tensor([torch.equal(o, i.flip(-1)) for o, i in zip(out, x)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x)])
    assert bool((mirrored ^ kept).all())  # each image exactly mirrored or exactly kept
    assert 70 < int(mirrored.sum()) < 130


def test_always_families_reach_every_image_before_the_drawn_one():
    x = torch.zeros(50, 1, 28, 28)
    x[:, :, :14] = 1.0  # a top half a brightness shift can move
    strength = Augmentation(ops=("crop",), crop=0.0, always=("color",))
    out = augment.augment(x, _gen(), strength)
    assert all(not torch.equal(o, i) for o, i in zip(out, x))  # color on each image, crop 0 moves nothing
    real, syn = augment.siamese(x[:3], x[3:6].clone(), _gen(), strength)
    torch.testing.assert_close(real, syn, rtol=0, atol=0)  # siamese: one color draw shared


def test_cutmix_pastes_a_box_and_mixes_labels_by_its_area():
    n = 8
    x = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 28, 28).contiguous()
    y = torch.eye(n)
    for seed in range(20):
        mixed, soft = augment.cutmix(x, y, _gen(seed), p=1.0)
        torch.testing.assert_close(soft.sum(1), torch.ones(n))
        for i in range(n):
            own = float((mixed[i] == i).float().mean())  # the share of image i still its own
            donors = [c for c in range(n) if c != i and soft[i, c] > 0]
            if donors:  # pasted from another image: its label weight is the pasted area
                assert abs(soft[i, i] - own) < 1e-6 and abs(soft[i, donors[0]] - (1 - own)) < 1e-6
    untouched, same = augment.cutmix(x, y, _gen(0), p=0.0)
    assert untouched is x and same is y


def test_soft_cutmix_labels_give_the_codes_mixed_loss():
    """IDC's code: ratio * CE(y) + (1 - ratio) * CE(y shuffled); here one soft-label CE."""
    logits = torch.randn(6, 10, generator=_gen(1))
    y_a, y_b, ratio = torch.tensor([0, 1, 2, 3, 4, 5]), torch.tensor([5, 4, 3, 2, 1, 0]), 0.37
    code = ratio * torch.nn.functional.cross_entropy(logits, y_a) + (1 - ratio) * torch.nn.functional.cross_entropy(
        logits, y_b
    )
    soft = ratio * torch.eye(10)[y_a] + (1 - ratio) * torch.eye(10)[y_b]
    torch.testing.assert_close(torch.nn.functional.cross_entropy(logits, soft), code)
