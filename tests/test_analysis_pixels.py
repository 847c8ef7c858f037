"""Pixel statistics: real images stay in [0, 1], overshooting ones are counted, before any clamping."""

import pytest
import torch

from ddlab.analysis.pixels import pixel_stats


def test_real_images_lie_in_range_and_average_to_mnists_mean(mnist):
    stats = pixel_stats(mnist.x_train[:2000], mnist)
    assert stats.outside == 0.0 and stats.low >= -1e-4 and stats.high <= 1 + 1e-4
    assert abs(stats.mean - mnist.mean[0]) < 0.01  # 0.1307 over all of MNIST
    widths = stats.edges[1:] - stats.edges[:-1]
    assert torch.isclose((stats.density * widths).sum(), torch.tensor(1.0, dtype=torch.float64))
    assert "0.0% outside [0, 1]" in str(stats)


def test_values_beyond_black_and_white_are_counted_where_they_are(mnist):
    pixels = torch.tensor([-0.5, 1.5, 1.5, 0.25]).view(4, 1, 1, 1).expand(4, 1, 28, 28)
    stats = pixel_stats(mnist.normalize(pixels), mnist, bins=12, span=(-1.0, 2.0))  # bins 0.25 wide
    assert stats.below == pytest.approx(0.25) and stats.above == pytest.approx(0.5)
    assert stats.outside == pytest.approx(0.75)
    assert (stats.low, stats.high) == pytest.approx((-0.5, 1.5), abs=1e-5)
    mass = stats.density * 0.25
    assert mass[2] == pytest.approx(0.25) and mass[10] == pytest.approx(0.5) and mass[5] == pytest.approx(0.25)


def test_to_pixels_keeps_the_overshoot_only_when_asked(mnist):
    x = mnist.normalize(torch.tensor([-0.5, 0.5, 1.5]).view(3, 1, 1, 1))
    assert mnist.to_pixels(x).flatten().tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert mnist.to_pixels(x, clamp=False).flatten().tolist() == pytest.approx([-0.5, 0.5, 1.5])


def test_pixel_stats_rejects_bad_input(mnist):
    with pytest.raises(ValueError, match=r"images must have shape \(N, 1, 28, 28\), got \(3, 28, 28\)"):
        pixel_stats(torch.zeros(3, 28, 28), mnist)
    with pytest.raises(ValueError, match="need bins > 0 and a span around"):
        pixel_stats(torch.zeros(3, 1, 28, 28), mnist, span=(0.0, 1.0))
