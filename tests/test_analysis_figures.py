"""The analyses' figures draw what their results hold (built by hand here: no training)."""

import pytest
import torch

from ddlab.analysis.figures import plot_along_training, plot_mixing, plot_pixels
from ddlab.analysis.hessian import CurvatureCurve
from ddlab.analysis.mixing import Mixing
from ddlab.analysis.pixels import pixel_stats
from ddlab.analysis.recognition import RecognitionCurve


def test_mixing_figure_has_one_line_per_arm_with_mean_accuracies():
    result = Mixing((0, 2, 10), 1, torch.tensor([[0.9, 0.8], [0.6, 0.7], [0.8, 0.8]]), torch.full((3, 2), 0.5))
    ax = plot_mixing(result)
    distilled, real = ax.get_lines()
    assert distilled.get_ydata().tolist() == [85.0, 65.0, 80.0] and real.get_ydata().tolist() == [50.0] * 3
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "2", "10"]


def test_pixel_figure_names_the_fraction_outside(mnist):
    pixels = torch.tensor([-0.5, 0.5]).view(2, 1, 1, 1).expand(2, 1, 28, 28)
    ax = plot_pixels(
        {"real": pixel_stats(mnist.x_test[:10], mnist), "odd": pixel_stats(mnist.normalize(pixels), mnist)}
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "real: 0% outside" in labels and "odd: 50% outside" in labels


def test_curves_along_training_are_averaged_over_networks():
    recognition = RecognitionCurve([0, 10], {"dd": torch.tensor([[0.1, 0.3], [0.8, 1.0]]), "test": torch.zeros(2, 2)})
    ax = plot_along_training(recognition)
    assert ax.get_lines()[0].get_ydata().tolist() == pytest.approx([20.0, 90.0])
    curvature = CurvatureCurve([0, 5, 10], {"real": torch.tensor([[1.0], [3.0], [2.0]])})
    assert plot_along_training(curvature).get_lines()[0].get_ydata().tolist() == [1.0, 3.0, 2.0]


def test_agreement_figure_has_a_dot_per_network_and_a_bar_at_each_mean():
    from ddlab.analysis.agreement import Agreement
    from ddlab.analysis.figures import plot_agreement

    a = Agreement(
        torch.tensor([0.8, 0.8]), torch.tensor([0.6, 0.7]), torch.tensor([0.9, 0.8]), torch.zeros(2), torch.zeros(2)
    )
    ax = plot_agreement({"dm": a, "dd": a})
    assert len(ax.collections) == 8  # 2 sets x 2 kinds x (dots + mean bar)
    early_bar = ax.collections[1].get_segments()[0]
    assert early_bar[0][1] == pytest.approx(85.0) and [t.get_text() for t in ax.get_xticklabels()] == ["dm", "dd"]


def test_influence_and_semantics_figures_show_one_row_per_distilled_image(mnist):
    from ddlab.analysis.figures import plot_influence, plot_semantics
    from ddlab.analysis.influence import Influence
    from ddlab.analysis.semantic import semantics
    from ddlab.synthetic import SyntheticSet

    synthetic = SyntheticSet(mnist.x_train[:3], mnist.y_train[:3])
    on = (mnist.x_test[:50], mnist.y_test[:50])
    influence = Influence(torch.randn(3, 50, generator=torch.Generator().manual_seed(0)), 0.5, synthetic.labels)
    fig = plot_influence(synthetic, influence, mnist, k=4, on=on)
    distilled, helped, hurt = (ax.get_images()[0].get_array().shape for ax in fig.axes)
    assert distilled[0] == helped[0] == hurt[0] and helped[1] == hurt[1] > 3 * distilled[1]
    fig = plot_semantics(synthetic, semantics(synthetic, influence, mnist, on=on, k=4, n=5), mnist, on=on)
    assert len(fig.axes) == 9 and fig.axes[0].get_title() == "distilled"
