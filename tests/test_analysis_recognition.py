"""Recognition: real-trained networks recognise real images posing as a distilled set, and get
better at it as their real training goes on; the real-training loop checks its budget."""

import pytest
import torch

from ddlab.analysis import real_training
from ddlab.analysis.recognition import recognition, recognition_during_training
from ddlab.synthetic import SyntheticSet


def _sets(mnist):
    g = torch.Generator().manual_seed(0)
    real = torch.cat([mnist.sample_per_class(c, 5, g) for c in range(10)])
    return {
        "real": SyntheticSet(real, torch.arange(10).repeat_interleave(5)),
        "noise": SyntheticSet(torch.randn(10, 1, 28, 28, generator=g), torch.arange(10)),
    }


def test_networks_trained_on_real_data_recognise_real_images(mnist):
    result = recognition(_sets(mnist), mnist, archs=("mlp",), n_models=2, train_examples=3000, epochs=2)
    assert result.names == ("real", "noise") and result.archs == ("mlp",)
    assert result.accuracy.shape == (1, 2, 2) and result.test_accuracy.shape == (1, 2)
    assert result.test_accuracy.min() > 0.6  # the MLP judges: 48 steps on 3,000 images
    assert result.accuracy[0, 0].min() > 0.6  # ... recognise the real images
    assert "mlp" in result.summary() and "noise" in result.summary()


def test_recognition_rises_along_real_training(mnist):
    curve = recognition_during_training(
        _sets(mnist), mnist, arch="mlp", steps=30, every=10, n_models=2, test_examples=500
    )
    assert curve.steps == [0, 10, 20, 30]
    assert set(curve.accuracy) == {"real", "noise", "test"}
    assert all(a.shape == (4, 2) for a in curve.accuracy.values())
    assert curve.mean("test")[-1] > 0.6 > curve.mean("test")[0]
    assert curve.mean("real")[-1] > 0.6 > curve.mean("real")[0]


def test_recognition_during_training_keeps_names_apart_and_the_budget_checked(mnist):
    with pytest.raises(ValueError, match="'test' names the real test images"):
        recognition_during_training({"test": _sets(mnist)["real"]}, mnist, arch="mlp", steps=2, every=1)
    net = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError, match="steps=500 x batch_size=128 needs 64000 images; mnist has 60000"):
        real_training.watch(net, {}, mnist, 500, 10, lambda p: None, torch.Generator())
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        real_training.watch(net, {}, mnist, 5, 0, lambda p: None, torch.Generator())
