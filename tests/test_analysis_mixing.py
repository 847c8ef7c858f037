"""Mixing distilled and real images: noise posing as a distilled set teaches nothing until real
images are added, while the same number of real images does; bad sets are refused."""

import pytest
import torch

from ddlab.analysis.mixing import mixing
from ddlab.protocol import Protocol
from ddlab.synthetic import SyntheticSet

TINY = Protocol(arch="mlp", augmentation="none", epochs=15, batch_size=8, lr=0.03)


def test_noise_helps_nobody_and_real_images_added_to_it_do(mnist):
    g = torch.Generator().manual_seed(0)
    noise = SyntheticSet(torch.randn(20, 1, 28, 28, generator=g), torch.arange(10).repeat(2))
    result = mixing(noise, mnist, ks=(0, 5), protocol=TINY, n_models=2)
    assert result.ipc == 2 and result.ks == (0, 5)
    assert result.distilled.shape == result.real.shape == (2, 2)
    assert result.distilled[0].max() < 0.2  # noise alone: about chance (0.1)
    assert result.real[0].min() > 0.3  # 2 real images per class instead
    assert result.distilled[1].min() > 0.3  # noise + 5 real per class learns
    assert result.real[1].mean() > result.real[0].mean()  # 7 real per class beat 2
    assert "distilled + k real" in result.summary()


def test_mixing_refuses_unbalanced_sets_and_bad_ks(mnist):
    unbalanced = SyntheticSet(torch.zeros(3, 1, 28, 28), torch.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match=r"same number of distilled images in every class, got \[2, 1, 0"):
        mixing(unbalanced, mnist, protocol=TINY)
    balanced = SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10))
    with pytest.raises(ValueError, match=r"ks must be non-negative integers of real images per class, got \(0, -2\)"):
        mixing(balanced, mnist, ks=(0, -2), protocol=TINY)
