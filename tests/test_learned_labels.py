"""DD with learned labels (Sucholutsky & Schonlau 2021): the outer loss reaches the label vectors,
sets with learned labels train on them, save and load them, and fewer images than classes start
from labels that cover every class."""

import pytest
import torch

from ddlab import DD, SyntheticSet, assets, distill, evaluate
from ddlab.methods.dd import DatasetDistillation, initial_labels

TINY = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=3, learn_labels=True)


def test_the_outer_loss_reaches_the_label_vectors_and_matches_finite_differences(mnist):
    method = DatasetDistillation(TINY, mnist, torch.Generator().manual_seed(0))
    state = method.generator.get_state()
    method.outer_loss().backward()
    analytic = method.label_vectors.grad[3, 7].item()
    assert method.label_vectors.grad.abs().sum() > 0

    def loss_with(shift: float) -> float:
        with torch.no_grad():
            method.label_vectors[3, 7] += shift
            method.generator.set_state(state)  # the same real batch
            value = method.outer_loss().item()
            method.label_vectors[3, 7] -= shift
        return value

    h = 1e-3  # float32: the loss moves by ~1e-5
    numeric = (loss_with(h) - loss_with(-h)) / (2 * h)
    assert analytic == pytest.approx(numeric, rel=0.1)


def test_fixed_labels_are_not_learned(mnist):
    method = DatasetDistillation(DD(init="fixed", ipc=1, steps=1, iterations=1), mnist, torch.Generator())
    assert method.parameters() == [method.images, method.raw_lrs]
    assert method.snapshot().soft_labels is None


def test_a_learned_label_set_trains_on_its_labels_and_round_trips(mnist, tmp_path):
    made = distill(TINY, mnist, seed=0, progress=False)
    assert made.soft_labels.shape == (10, 10) and made.trains_on_soft_labels
    assert torch.equal(made.labels, made.soft_labels.argmax(1))
    ((batch_images, batch_targets),) = made.batches()
    assert torch.equal(batch_targets, made.soft_labels)  # the unroll trains on the learned labels
    assert made.with_hard_labels().targets.dtype == torch.int64
    loaded = SyntheticSet.load(made.save(tmp_path / "soft.pt"))
    assert torch.equal(loaded.soft_labels, made.soft_labels) and loaded.config["learn_labels"] is True


def test_soft_labels_change_what_the_networks_learn(mnist):
    made = assets.load("dd_fixed_labels_mnist_10")
    flipped = SyntheticSet(
        made.images, made.labels, made.lrs, made.config, soft_labels=made.soft_labels.roll(1, dims=1)
    )  # every image taught the next class
    assert evaluate(flipped, mnist).mean < evaluate(made, mnist).mean - 0.5


def test_fewer_images_than_classes_start_from_labels_that_cover_every_class():
    labels = torch.arange(5)
    start = initial_labels(labels, 10, n_images=5)
    assert start.shape == (5, 10) and torch.allclose(start.sum(1), torch.ones(5))
    assert (start > 0).any(0).all()  # each class is taught by some image
    assert start[0, 0] == start[0, 5] == 0.5  # image i of 5: classes i and i + 5


def test_five_images_distil(mnist):
    made = distill(
        DD(init="fixed", n_images=5, steps=1, epochs=2, real_batch=64, iterations=2, learn_labels=True),
        mnist,
        seed=0,
        progress=False,
    )
    assert made.images.shape == (5, 1, 28, 28) and made.soft_labels.shape == (5, 10)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(n_images=5), "learn_labels=True"),
        (dict(n_images=-1, learn_labels=True), "DD.n_images=-1"),
        (dict(n_images=5, steps=2, ipc=2, learn_labels=True), "split evenly"),
        (dict(learn_labels="yes"), "True or False"),
    ],
)
def test_bad_label_settings_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        DD(**overrides)


def test_as_many_images_as_classes_is_refused_as_n_images(mnist):
    with pytest.raises(ValueError, match="use ipc"):
        distill(DD(init="fixed", n_images=10, steps=1, learn_labels=True, iterations=1), mnist, progress=False)


def test_a_run_continues_from_a_learned_label_set(mnist):
    first = distill(TINY, mnist, seed=0, progress=False)
    second = distill(TINY, mnist, seed=1, progress=False, start_from=first)
    assert not torch.equal(second.soft_labels, first.soft_labels)
    with pytest.raises(ValueError, match="learned labels"):
        distill(TINY, mnist, seed=1, progress=False, start_from=first.with_hard_labels())


def test_kip_labels_are_regression_targets_not_training_targets(mnist):
    from ddlab.methods import KIP

    made = distill(KIP(ipc=1, learn_labels=True, iterations=1, real_batch=20), mnist, progress=False, validate=False)
    assert made.soft_labels is not None and not made.trains_on_soft_labels
    assert torch.equal(made.targets, made.labels)
