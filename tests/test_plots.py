"""Image grids checked against hand-computed layouts; figures checked by counting what they draw."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.image
import matplotlib.pyplot as plt
import pytest
import torch

from ddlab.plots import arrange_by_class, grid_png, image_grid, plot_history, plot_lrs, show_images


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def pixels(n, c=1, h=4, w=5, seed=0):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    "n, nrow, pad, shape",
    [
        (10, 5, 1, (2 * 5 + 1, 5 * 6 + 1, 3)),  # 2 full rows of 5
        (10, None, 1, (3 * 5 + 1, 4 * 6 + 1, 3)),  # default nrow = ceil(sqrt(10)) = 4 -> 3 rows
        (3, 10, 2, (1 * 6 + 2, 3 * 7 + 2, 3)),  # nrow > N: only N columns
        (7, 3, 0, (3 * 4, 3 * 5, 3)),  # no padding, last row part empty
        (1, None, 1, (6, 7, 3)),
    ],
)
def test_grid_shape(n, nrow, pad, shape):
    grid = image_grid(pixels(n), nrow, pad)
    assert tuple(grid.shape) == shape
    assert grid.dtype == torch.uint8


def test_grid_places_every_image_and_replicates_gray():
    x = pixels(7)
    grid = image_grid(x, nrow=3, pad=1)  # cells are 4x5 at 1 + 5r, 1 + 6c
    for i in range(7):
        r, c = divmod(i, 3)
        cell = grid[1 + 5 * r : 5 + 5 * r, 1 + 6 * c : 6 + 6 * c]  # (4, 5, 3)
        expected = (x[i, 0] * 255).round().to(torch.uint8)
        for ch in range(3):
            assert torch.equal(cell[..., ch], expected)
    assert (grid[0] == 255).all() and (grid[:, 0] == 255).all()  # pad lines are white
    assert (grid[11:15, 7:18] == 255).all()  # the 2 empty cells too


def test_grid_rgb_and_uint8_range():
    x = pixels(4, c=3)
    x[0] = 0.0
    x[1] = 1.0
    grid = image_grid(x, nrow=2, pad=0)
    assert grid.min() == 0 and grid.max() == 255
    assert torch.equal(grid[4:8, 5:10], (x[3].permute(1, 2, 0) * 255).round().to(torch.uint8))


def test_grid_tolerates_round_off():
    x = pixels(2)
    x[0, 0, 0, 0] = 1 + 1e-5
    x[1, 0, 0, 0] = -1e-5
    grid = image_grid(x)
    assert grid.max() == 255 and grid.min() == 0


@pytest.mark.parametrize(
    "bad, kwargs, match",
    [
        (torch.rand(3, 4, 4), {}, "4-d"),
        (torch.rand(2, 2, 4, 4), {}, "1 or 3 channels"),
        (torch.rand(0, 1, 4, 4), {}, "N >= 1"),
        (torch.rand(2, 1, 4, 4) + 0.5, {}, r"\[0, 1\]"),
        (torch.rand(2, 1, 4, 4) - 0.5, {}, r"\[0, 1\]"),
        (torch.full((2, 1, 4, 4), float("nan")), {}, "NaN"),
        (torch.rand(2, 1, 4, 4), {"nrow": 0}, "nrow"),
        (torch.rand(2, 1, 4, 4), {"nrow": -3}, "nrow"),
        (torch.rand(2, 1, 4, 4), {"pad": -1}, "pad"),
    ],
)
def test_grid_bad_input(bad, kwargs, match):
    with pytest.raises(ValueError, match=match) as err:
        image_grid(bad, **kwargs)
    assert "\n" not in str(err.value)


def test_grid_png_decodes_to_upscaled_grid():
    for c in (1, 3):
        x = pixels(6, c=c)
        png = grid_png(x, nrow=3, scale=2)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        decoded = torch.from_numpy(matplotlib.image.imread(io.BytesIO(png), format="png"))
        decoded = (decoded * 255).round().to(torch.uint8)
        expected = image_grid(x, nrow=3).repeat_interleave(2, 0).repeat_interleave(2, 1)
        if c == 1:
            expected = expected[..., 0]  # written as grayscale
        assert torch.equal(decoded, expected)
    with pytest.raises(ValueError, match="scale"):
        grid_png(pixels(2), scale=0)


def test_arrange_by_class_one_column_per_class():
    x = torch.arange(6.0).view(6, 1, 1, 1) / 10
    step_major = torch.tensor([0, 1, 2, 0, 1, 2])  # DD: one batch per step
    out, nrow, classes = arrange_by_class(x, step_major)
    assert nrow == 3 and classes == [0, 1, 2]
    assert out.flatten().tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    class_major = torch.tensor([0, 0, 1, 1, 2, 2])  # DC/DM
    out, nrow, _ = arrange_by_class(x, class_major)
    assert out.flatten().tolist() == pytest.approx([0.0, 0.2, 0.4, 0.1, 0.3, 0.5])
    out, nrow, classes = arrange_by_class(x, torch.tensor([3, 3, 3, 5, 7, 7]))  # unequal: blanks
    assert (nrow, classes, out.shape[0]) == (3, [3, 5, 7], 9)
    assert out.flatten().tolist() == pytest.approx([0.0, 0.3, 0.4, 0.1, 1.0, 0.5, 0.2, 1.0, 1.0])
    with pytest.raises(ValueError, match="labels"):
        arrange_by_class(x, torch.tensor([0, 1]))


def test_show_images_titles_columns_with_class_names():
    names = [f"digit {i}" for i in range(10)]
    ax = show_images(pixels(6), labels=torch.tensor([0, 0, 1, 1, 2, 2]), classes=names, title="t")
    assert len(ax.figure.axes) == 1 and len(ax.images) == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == names[:3]
    assert ax.images[0].get_array().shape == (2 * 5 + 1, 3 * 6 + 1, 3)  # 2 rows, 3 class columns
    assert ax.get_title() == "t"
    ax = show_images(pixels(5), nrow=2)
    assert len(ax.get_xticks()) == 0 and ax.images[0].get_array().shape[:2] == (16, 13)
    with pytest.raises(ValueError, match="classes"):
        show_images(pixels(2), labels=torch.tensor([0, 4]), classes=["a", "b"])


HISTORY = {
    "iteration": [1, 2, 3, 4],
    "loss": [2.0, 1.0, 0.5, 0.05],
    "eval_iteration": [2, 4],
    "accuracy": [0.5, 0.75],
    "time": [0.1, 0.2, 0.3, 0.4],
}


def test_plot_history_two_panels():
    loss_ax, acc_ax = plot_history(HISTORY)
    assert loss_ax is not acc_ax and len(loss_ax.figure.axes) == 2
    assert len(loss_ax.lines) == 1 and len(acc_ax.lines) == 1
    assert list(acc_ax.lines[0].get_ydata()) == [50.0, 75.0]
    assert loss_ax.get_yscale() == "log"  # loss spans 40x


def test_plot_history_twin_axes_and_given_pair():
    _, ax = plt.subplots()
    loss_ax, acc_ax = plot_history(HISTORY, ax=ax)
    assert loss_ax is ax and len(ax.figure.axes) == 2  # a twin y axis
    _, axes = plt.subplots(1, 2)
    loss_ax, acc_ax = plot_history({"iteration": [1], "loss": [1.0]}, ax=axes)  # not evaluated yet
    assert (loss_ax, acc_ax) == tuple(axes) and len(acc_ax.texts) == 1


def test_plot_history_bad_input():
    with pytest.raises(ValueError, match="equal lengths"):
        plot_history({"iteration": [1, 2], "loss": [1.0]})
    with pytest.raises(ValueError, match="fractions"):
        plot_history({"eval_iteration": [1], "accuracy": [87.0]})


def test_plot_lrs_groups_by_epoch():
    ax = plot_lrs(torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), steps=3, epochs=2)
    assert len(ax.patches) == 6
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert [p.get_x() + p.get_width() / 2 for p in ax.patches] == pytest.approx([0, 1, 2, 4, 5, 6])
    assert len(ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="steps \\* epochs = 6"):
        plot_lrs(torch.ones(5), steps=3, epochs=2)
