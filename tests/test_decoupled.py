"""Decoupled distillation (SRe2L, RDED): the BatchNorm-statistics loss by hand, RDED's choice and
stitching, the teacher's verified cache, a short recovery that lowers its loss, and the one-line errors."""

import dataclasses
import math

import pytest
import torch
from torch.nn import functional as F

from ddlab.distill import distill
from ddlab.experiments import fair
from ddlab.methods import RDED, SRe2L, bn_statistics_loss, rded
from ddlab.methods.rded import patch_losses, random_crops, select, stitch
from ddlab.protocol import Protocol
from ddlab.sources import teachers
from ddlab.sources.teachers import TeacherSpec

# A teacher trained in about a second: width 8, 2,048 images, one epoch.
TINY = TeacherSpec(width=8, epochs=1, train_examples=2048, batch_size=64, lr=0.05)
# The methods' teacher: their configs keep the teacher's optimiser, so a few more images (about 88%).
TINY_SETTINGS = dict(width=8, teacher_epochs=2, teacher_examples=8192)


@pytest.fixture(scope="module")
def teacher(mnist):
    return teachers.train(TINY, mnist)


@pytest.fixture(scope="module")
def data_root(mnist, tmp_path_factory):
    """The methods read their teacher from the cache: here a fresh one, trained once for the module."""
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.mktemp("data")
        patch.setenv("DDLAB_DATA", str(root))
        patch.setattr(teachers, "_loaded", {})
        yield root


def test_bn_statistics_loss_is_the_sum_of_the_norms_written_out():
    generator = torch.Generator().manual_seed(0)
    layers = [tuple(torch.randn(c, generator=generator).abs() for _ in range(4)) for c in (3, 5)]
    by_hand = 0.0
    for layer, (mean, var, running_mean, running_var) in enumerate(layers):
        weight = 10.0 if layer == 0 else 1.0
        by_hand += weight * (
            math.sqrt(sum((m - r) ** 2 for m, r in zip(mean.tolist(), running_mean.tolist())))
            + math.sqrt(sum((v - r) ** 2 for v, r in zip(var.tolist(), running_var.tolist())))
        )
    assert bn_statistics_loss(layers, first_multiplier=10.0).item() == pytest.approx(by_hand, rel=1e-6)
    assert bn_statistics_loss(layers, first_multiplier=1.0).item() < by_hand


def test_batch_statistics_are_those_batchnorm_normalises_with(teacher, mnist):
    x = mnist.x_train[:32]
    _, statistics = teacher.net.forward_with_statistics(x)
    mean, variance, running_mean, running_var = statistics[0]
    conv = teacher.net.features[0](x)  # what enters the first BatchNorm
    train_mode = F.batch_norm(conv, None, None, training=True)  # normalised by the batch's own statistics
    assert torch.allclose((conv - mean[:, None, None]) / (variance[:, None, None] + 1e-5).sqrt(), train_mode, atol=1e-4)
    assert running_mean is teacher.net.features[1].running_mean and len(statistics) == TINY.depth


def test_teacher_learns_and_is_frozen(teacher):
    assert teacher.test_accuracy > 0.8, (
        f"a teacher trained on 2,048 images should pass 80%, got {teacher.test_accuracy:.2f}"
    )
    assert not teacher.net.training and not any(p.requires_grad for p in teacher.net.parameters())


def test_teacher_cache_round_trips_verified(teacher, mnist, tmp_path, monkeypatch):
    path = teachers.save(teacher, teachers.cache_path(TINY, mnist, tmp_path), mnist)
    assert path.parent == tmp_path / "teachers" and path.with_name(path.name + ".sha256").is_file()
    monkeypatch.setattr(teachers, "train", lambda *a: pytest.fail("a valid cache must not be retrained"))
    monkeypatch.setattr(teachers, "_loaded", {})
    loaded = teachers.load_or_train(TINY, mnist, root=tmp_path)
    assert loaded.test_accuracy == teacher.test_accuracy
    x = mnist.x_test[:64]
    assert torch.equal(loaded.net(x), teacher.net(x))  # running statistics included


def test_tampered_or_foreign_teacher_cache_is_refused(teacher, mnist, tmp_path):
    path = teachers.save(teacher, teachers.cache_path(TINY, mnist, tmp_path), mnist)
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"^teacher cache .* fails its sha256 check .*rebuild=True$"):
        teachers.load(path, TINY, mnist)
    other = teachers.save(teacher, tmp_path / "other.pt", mnist)
    with pytest.raises(ValueError, match=r"trained for other settings \(differing: epochs\)$"):
        teachers.load(other, dataclasses.replace(TINY, epochs=2), mnist)


def test_soft_labels_flatten_with_the_temperature(teacher, mnist):
    x = mnist.x_test[:16]
    sharp, flat = teacher.soft_labels(x, 1.0), teacher.soft_labels(x, 20.0)
    assert torch.allclose(sharp.sum(1), torch.ones(16)) and torch.equal(sharp.argmax(1), flat.argmax(1))
    assert (flat.max(1).values < sharp.max(1).values).all()
    with pytest.raises(ValueError, match=r"^temperature must be a positive number, got 0$"):
        teacher.soft_labels(x, 0)


def test_selection_keeps_each_images_best_crop_then_the_lowest():
    losses = torch.tensor([[3.0, 0.5, 2.0], [0.1, 4.0, 4.0], [5.0, 6.0, 0.9], [2.0, 2.5, 7.0]])  # (images, crops)
    image, crop = select(losses, 3)
    assert image.tolist() == [1, 0, 2] and crop.tolist() == [0, 1, 2]


def test_patch_losses_pick_the_patches_the_teacher_finds_typical(teacher, mnist):
    fill = mnist.normalize(torch.zeros(mnist.image_shape))
    sevens = mnist.per_class(7)[:8]
    patches = random_crops(sevens, 2, 14, 0.08, torch.Generator().manual_seed(0))  # (8, 2, 1, 14, 14)
    losses = patch_losses(teacher, patches, 7, fill)
    assert losses.shape == (8, 2)
    canvas = fill.expand(1, *fill.shape).clone()
    canvas[:, :, 7:21, 7:21] = patches[3, 1]
    assert losses[3, 1].item() == pytest.approx(
        F.cross_entropy(teacher.net(canvas), torch.tensor([7])).item(), rel=1e-5
    )


def test_stitching_fills_each_image_factor_by_factor():
    patches = torch.arange(8.0).view(8, 1, 1, 1).expand(8, 1, 14, 14)  # 2 images x 4 places, patch k: value k
    images = stitch(patches, 2)
    assert images.shape == (2, 1, 28, 28)
    assert [images[0, 0, r, c].item() for r, c in ((0, 0), (0, 14), (14, 0), (14, 14))] == [0, 2, 4, 6]
    assert [images[1, 0, r, c].item() for r, c in ((0, 0), (0, 14), (14, 0), (14, 14))] == [1, 3, 5, 7]
    with pytest.raises(ValueError, match=r"^cannot stitch 6 patches 2 x 2: 6 is not a multiple of 4$"):
        stitch(patches[:6], 2)


def test_rded_makes_stitched_relabelled_images(mnist, data_root):
    config = RDED(ipc=2, candidates=12, **TINY_SETTINGS)
    made = rded(config, mnist, seed=0)
    assert made.images.shape == (20, 1, 28, 28) and made.labels.tolist() == [c for c in range(10) for _ in range(2)]
    teacher = teachers.load_or_train(config.teacher(), mnist)
    assert made.trains_on_soft_labels and torch.equal(made.soft_labels, teacher.soft_labels(made.images, 20.0))
    quarter = made.images[:, :, :14, :14]  # each image's first place: a patch of its own class's images
    assert not torch.equal(quarter[0], quarter[1]) and torch.equal(rded(config, mnist, seed=0).images, made.images)


def test_a_short_recovery_lowers_its_loss(mnist, data_root):
    config = SRe2L(ipc=1, iterations=30, **TINY_SETTINGS)
    made = distill(config, mnist, validate=False, progress=False)
    losses = made.history["loss"]
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5, f"recovery losses {losses[:5]} ... {losses[-5:]}"
    assert made.trains_on_soft_labels and made.soft_labels.shape == (10, 10)
    low, high = mnist.normalize(torch.zeros(1)).item(), mnist.normalize(torch.ones(1)).item()
    assert made.images.min() >= low - 1e-6 and made.images.max() <= high + 1e-6  # clipped to valid pixels
    assert (made.soft_labels.argmax(1) == made.labels).all()  # the teacher reads them as meant


def test_random_real_images_take_the_given_teachers_labels(mnist, data_root):
    made = rded(RDED(ipc=1, candidates=8, **TINY_SETTINGS), mnist)
    seen = []

    def labels(images):
        seen.append(images)
        return torch.full((len(images), 10), 0.1)

    judge = fair.Judge(Protocol(width=8, augmentation="none", epochs=2), n_models=1, test_examples=200)
    scores = fair.fair_scores(
        made, mnist, judge, fair.WholeData(epochs=1, n_models=1, examples=256), root=data_root, teacher=labels
    )
    assert len(seen) == 1 and seen[0].shape == made.images.shape and not torch.equal(seen[0], made.images)
    assert scores.soft is not None and scores.random_soft.mean < 0.2  # uniform labels teach nothing


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SRe2L(r_bn=0), r"^SRe2L\.r_bn must be positive, got 0$"),
        (lambda: SRe2L(jitter=-1), r"^SRe2L\.jitter must be a whole number of pixels >= 0, got -1$"),
        (lambda: SRe2L(temperature=0.0), r"^SRe2L\.temperature must be positive, got 0\.0$"),
        (lambda: RDED(factor=0), r"^RDED\.factor must be positive, got 0$"),
        (lambda: RDED(min_scale=1.5), r"^RDED\.min_scale must be in \(0, 1\], got 1\.5$"),
        (lambda: RDED(ipc=100, candidates=300), r"^RDED\.candidates=300 is fewer than the ipc \* factor\^2 = 400 "),
        (lambda: TeacherSpec(epochs=0), r"^TeacherSpec\.epochs must be a positive integer, got 0$"),
    ],
)
def test_bad_settings_raise_one_line_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_rded_factor_must_divide_the_image(mnist, data_root):
    with pytest.raises(ValueError, match=r"^RDED\.factor=3 does not divide mnist's 28-pixel images$"):
        rded(RDED(factor=3, candidates=9, **TINY_SETTINGS), mnist)
