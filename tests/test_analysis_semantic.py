"""Reading single distilled images: nearest real images, label purity and resemblance of the test
images they help, and the map of what those share (Influence built by hand: no training)."""

import pytest
import torch

from ddlab.analysis.influence import Influence
from ddlab.analysis.semantic import _similarity, nearest_real, semantics, shared_features
from ddlab.synthetic import SyntheticSet


def _real_set(mnist):
    """One training image per class, and the first 500 test images to measure on."""
    index = torch.stack([(mnist.y_train == c).nonzero()[0, 0] for c in range(10)])
    return SyntheticSet(mnist.x_train[index], torch.arange(10)), index, (mnist.x_test[:500], mnist.y_test[:500])


def test_a_training_image_is_its_own_nearest_real_image(mnist):
    synthetic, index, _ = _real_set(mnist)
    neighbours = nearest_real(synthetic.images, mnist, n=3)
    assert neighbours.shape == (10, 3) and neighbours[:, 0].cpu().tolist() == index.cpu().tolist()
    with pytest.raises(ValueError, match="n must be in 1..60000"):
        nearest_real(synthetic.images, mnist, n=0)


def test_influence_that_follows_resemblance_is_pure_and_resembling(mnist):
    synthetic, _, on = _real_set(mnist)
    like_itself = Influence(_similarity(synthetic.images, on[0]).cpu(), 0.9, synthetic.labels)
    result = semantics(synthetic, like_itself, mnist, on=on, k=8, n=5)
    assert result.helped.shape == (10, 8) and result.neighbours.shape == (10, 5)
    assert result.purity.mean() > 0.6 and (result.resemblance > 0).all()
    scattered = Influence(-_similarity(synthetic.images, on[0]).cpu(), 0.9, synthetic.labels)
    opposite = semantics(synthetic, scattered, mnist, on=on, k=8, n=5)
    assert opposite.purity.mean() < 0.2 and (opposite.resemblance < 0).all()
    assert "chance 10%" in result.summary()


def test_semantics_refuses_influence_measured_elsewhere(mnist):
    synthetic, _, on = _real_set(mnist)
    with pytest.raises(ValueError, match=r"influence covers \(10, 500\).*`on` 10000 test images"):
        semantics(synthetic, Influence(torch.zeros(10, 500), 0.5, synthetic.labels), mnist)


def test_shared_features_of_the_whole_class_is_zero_and_of_a_subset_is_not(mnist):
    sevens = (mnist.y_test == 7).nonzero().flatten()
    assert shared_features(sevens, 7, mnist).abs().max() < 1e-4
    assert shared_features(sevens[:5], 7, mnist).abs().max() > 0.1
