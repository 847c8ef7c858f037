"""Sets that train on learned labels are drawn like the others, with a bar chart of each image's label
vector under it: counted bars, the largest highlighted, inside the strip under the right image;
sets with class labels get no bars."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.colors import to_rgba

from ddlab.data import Dataset
from ddlab.evaluate import Scores
from ddlab.experiments import leaderboard as lb
from ddlab.figures.leaderboard import show_sets
from ddlab.plots import BAR_COLOR, TOP_BAR_COLOR, show_images, show_set
from ddlab.synthetic import SyntheticSet


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def toy(classes: int = 10, side: int = 6) -> Dataset:
    x = torch.rand(classes * 3, 1, side, side, generator=torch.Generator().manual_seed(0))
    y = torch.arange(classes).repeat(3)
    return Dataset("toy", x, y, x, y, (0.0,), (1.0,), tuple(f"c{k}" for k in range(classes)))


def soft_set(data: Dataset, n: int = 5) -> SyntheticSet:
    """`n` images with free label vectors (DD's: entries below 0 and above 1 allowed)."""
    vectors = torch.randn(n, data.num_classes, generator=torch.Generator().manual_seed(1))
    return SyntheticSet(
        data.x_train[:n].clone(), vectors.argmax(1), torch.ones(1), {"method": "dd"}, soft_labels=vectors
    )


def highlighted(patches) -> int:
    return sum(p.get_facecolor() == to_rgba(TOP_BAR_COLOR) for p in patches)


def test_a_soft_label_set_gets_ten_bars_per_image_and_a_hard_one_none():
    data = toy()
    made = soft_set(data)
    ax = show_set(made, data)
    assert len(ax.patches) == 5 * 10 and highlighted(ax.patches) == 5
    assert sum(p.get_facecolor() == to_rgba(BAR_COLOR) for p in ax.patches) == 5 * 9
    assert not show_set(made.with_hard_labels(), data).patches
    assert not show_images(data.x_train[:5], labels=torch.arange(5)).patches


def test_each_images_bars_sit_in_the_strip_under_it_and_the_tallest_is_its_column():
    data = toy(classes=3, side=6)
    vectors = torch.tensor([[0.2, 0.7, 0.1], [-0.4, 0.1, 1.3], [0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
    ax = show_images(data.x_train[:4], labels=vectors)
    # columns: classes 0, 1, 2 (argmax); class 1 has two images, so two rows of 6-px cells + 6-px strips
    (height, width), strip = ax.get_images()[0].get_array().shape[:2], 6
    assert (height, width) == (2 * (6 + 1 + strip) + 1, 3 * (6 + 1) + 1)
    cells = {2: (0, 0), 0: (1, 0), 1: (2, 0), 3: (1, 1)}  # image -> (column, row), drawn in this order
    bars = {i: ax.patches[3 * k : 3 * k + 3] for k, i in enumerate(cells)}  # 3 bars each
    for i, (column, row) in cells.items():
        left, top = 0.5 + 7 * column, row * (6 + 1 + strip) + 1 + 6 - 0.5  # cell's left edge, strip's top
        for bar in bars[i]:
            assert left <= bar.get_x() and bar.get_x() + bar.get_width() <= left + 6
            ys = sorted((bar.get_y(), bar.get_y() + bar.get_height()))
            assert top <= ys[0] + 1e-9 and ys[1] <= top + strip + 1e-9
        assert highlighted(bars[i]) == 1 and bars[i][int(vectors[i].argmax())].get_facecolor() == to_rgba(TOP_BAR_COLOR)
    # one scale and one zero line per row of the picture: a negative entry hangs below it
    assert len({b.get_y() for i in (2, 0, 1) for b in bars[i]}) == 1
    assert bars[3][0].get_y() - bars[1][0].get_y() == pytest.approx(6 + 1 + strip)
    assert bars[1][0].get_height() > 0 > bars[1][2].get_height()  # y grows downwards in an image
    assert bars[1][2].get_height() / bars[0][1].get_height() == pytest.approx(1.3 / 0.7)


def test_label_vectors_must_match_the_images():
    with pytest.raises(ValueError, match=r"label vectors must be \(N, classes\) floats for N = 4 images"):
        show_images(torch.rand(4, 1, 5, 5), labels=torch.rand(3, 10))
    with pytest.raises(ValueError, match="label vectors contain NaN"):
        show_images(torch.rand(2, 1, 5, 5), labels=torch.tensor([[0.5, float("nan")], [1.0, 0.0]]))


def test_the_leaderboards_grid_gets_a_bar_row_only_for_soft_label_sets():
    data = toy()
    scores = Scores(torch.tensor([0.6, 0.7]), "random")
    hard = SyntheticSet(data.x_train[:10], torch.arange(10), None, {"method": "dm"})
    made = soft_set(data, n=10)
    rows = [lb.Row("dm", 1, hard, scores, 1.0, None, None, "x"), lb.Row("dd", 1, made, scores, 1.0, None, None, "x")]
    fig = show_sets(rows, data)
    assert len(fig.axes) == 10 + 10 + 10  # two image rows, one bar row
    assert sum(len(ax.patches) for ax in fig.axes) == len(set(made.labels.tolist())) * 10
    assert sum(highlighted(ax.patches) for ax in fig.axes) == len(set(made.labels.tolist()))
    assert len(show_sets(rows[:1], data).axes) == 10


def test_a_live_view_draws_each_images_label_vector_under_it_in_pixels():
    from PIL import Image

    from ddlab.callbacks import Event
    from ddlab.live import LiveView
    from ddlab.plots import with_label_strips

    vectors = torch.zeros(3, 10)
    vectors[0, 7], vectors[1, 2], vectors[2, 4], vectors[2, 0] = 1.0, 2.0, 0.5, -0.5
    strips = with_label_strips(torch.zeros(3, 1, 28, 28), vectors)[:, 0, 28:]  # (3, 10, 28): the strips
    assert strips.shape == (3, 10, 28)
    for image, top in enumerate((7, 2, 4)):
        darkest = (strips[image] == 0).any(0).nonzero().flatten()  # the black bar's columns
        assert darkest.numel() > 0 and (darkest * 10 // 28 == top).all()
    assert (strips[2, -1, :2] < 1).all() and (strips[0, -1, :2] == 1).all()  # a negative entry hangs down
    with pytest.raises(ValueError, match="one label vector per image"):
        with_label_strips(torch.zeros(3, 1, 28, 28), vectors[:2])

    def event(soft):
        return Event(
            1, 1, 0.5, None, torch.zeros(3, 1, 28, 28), torch.tensor([0, 1, 2]), None, 0.0, True, lambda x: x, soft
        )

    plain, barred = LiveView(), LiveView()
    plain(event(None))
    barred(event(vectors))
    plain_height, barred_height = (Image.open(io.BytesIO(view.current.png)).height for view in (plain, barred))
    assert barred_height == plain_height + 3 * 10  # 10 rows, upscaled 3x


def test_a_run_that_learns_labels_tells_its_callbacks_the_vectors(mnist):
    from ddlab import DD, distill

    events = []
    config = DD(init="fixed", ipc=1, steps=1, epochs=1, real_batch=32, iterations=2, learn_labels=True)
    made = distill(config, mnist, callbacks=[events.append], validate=False, progress=False)
    assert all(e.soft_labels is not None and e.soft_labels.shape == (10, 10) for e in events)
    assert torch.equal(events[-1].soft_labels, made.soft_labels)
    plain = []
    distill(
        DD(init="fixed", ipc=1, steps=1, epochs=1, real_batch=32, iterations=1),
        mnist,
        callbacks=[plain.append],
        validate=False,
        progress=False,
    )
    assert all(e.soft_labels is None for e in plain)
