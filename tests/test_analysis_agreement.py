"""Prediction agreement: each distilled-data network is matched by accuracy to a subset-trained
network and to an early-stopped checkpoint, and agreement is counted image by image."""

import pytest
import torch

from ddlab import profile
from ddlab.analysis.agreement import _closest, _protocols, agreement
from ddlab.protocol import Protocol
from ddlab.synthetic import SyntheticSet


def test_closest_picks_the_nearest_accuracy():
    assert _closest(torch.tensor([0.5, 0.9]), torch.tensor([0.1, 0.52, 0.85, 0.99])).tolist() == [1, 2]


def test_agreement_matches_accuracy_and_counts_identical_predictions(mnist):
    g = torch.Generator().manual_seed(0)
    stand_in = SyntheticSet(
        torch.cat([mnist.sample_per_class(c, 5, g) for c in range(10)]), torch.arange(10).repeat_interleave(5)
    )
    tiny = Protocol(arch="mlp", augmentation="none", epochs=20, batch_size=16)
    results = agreement(
        {"stand-in": stand_in, "again": stand_in}, mnist, tiny, n_models=2, subset_ipcs=(2, 5, 20), steps=30, every=3
    )
    assert list(results) == ["stand-in", "again"]
    result = results["stand-in"]
    for field in (result.accuracy, result.subset, result.early, result.subset_accuracy, result.early_accuracy):
        assert field.shape == (2,) and ((0 <= field) & (field <= 1)).all()
    assert result.accuracy.min() > 0.5  # 50 real images, 20 epochs
    assert (result.early_accuracy - result.accuracy).abs().max() < 0.05  # checkpoints every 3 steps
    assert (result.subset_accuracy - result.accuracy).abs().max() < 0.15  # only 3 subset sizes
    # two classifiers can only disagree where at least one of them is wrong
    assert (result.early >= result.accuracy + result.early_accuracy - 1 - 1e-6).all()
    assert (result.subset >= result.accuracy + result.subset_accuracy - 1 - 1e-6).all()
    assert (result.subset < 1).all() and (result.early < 1).all()  # different networks
    assert "early-stopped" in result.summary()


def test_agreement_refuses_no_sets_and_trains_every_set_on_the_first_sets_network(mnist, monkeypatch):
    with pytest.raises(ValueError, match="at least one distilled set"):
        agreement({}, mnist)
    monkeypatch.setenv(profile.ENV_VAR, "full")  # the full profile keeps each set's own width
    images, labels = mnist.x_train[:10], mnist.y_train[:10]
    sets = {
        "narrow": SyntheticSet(images, labels, None, {"method": "dm", "width": 16}),
        "wide": SyntheticSet(images, labels, None, {"method": "mtt", "width": 32, "learned_lr": 0.03}),
    }
    chosen = _protocols(sets, None)
    assert {(p.arch, p.width) for p in chosen.values()} == {("convnet", 16)}
    assert chosen["wide"].lr == 0.03 and chosen["narrow"].lr == Protocol.lr  # the rest stays each set's own
    tiny = Protocol(arch="mlp", augmentation="none", epochs=1)
    assert _protocols(sets, tiny) == {"narrow": tiny, "wide": tiny}


def test_agreement_on_the_first_test_images_is_the_full_measure_cut_to_them(mnist, monkeypatch):
    """test_examples only narrows what is measured: accuracies become shares of the first 500 test
    images (and differ from those on all 10,000)."""
    g = torch.Generator().manual_seed(0)
    stand_in = SyntheticSet(
        torch.cat([mnist.sample_per_class(c, 2, g) for c in range(10)]), torch.arange(10).repeat_interleave(2)
    )
    tiny = Protocol(arch="mlp", augmentation="none", epochs=5, batch_size=16)
    cut = agreement({"s": stand_in}, mnist, tiny, n_models=2, subset_ipcs=(1, 2), steps=6, every=3, test_examples=500)[
        "s"
    ]
    full = agreement({"s": stand_in}, mnist, tiny, n_models=2, subset_ipcs=(1, 2), steps=6, every=3)["s"]
    assert cut.accuracy.shape == (2,) and not torch.equal(cut.accuracy, full.accuracy)
    assert ((cut.accuracy * 500).round() - cut.accuracy * 500).abs().max() < 1e-3  # a share of 500 images
