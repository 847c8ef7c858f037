"""LiveView and Replay, headless: fake events in; frames, sparkline, widget state and the static
outputs a finished run leaves, out."""

import io
import subprocess
import sys

import matplotlib.image
import pytest
import torch

from ddlab import live
from ddlab.callbacks import Event
from ddlab.live import Frame, LiveView, Replay

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A test event's 6 images of 4x4 pixels in 3 classes make a 2 x 3 grid: 11 x 16 pixels at scale 1.
GRID_H, GRID_W = 2 * 5 + 1, 3 * 5 + 1


def event(i, n=5, seed=None, accuracy=None, images=None, labels=None, done=None):
    g = torch.Generator().manual_seed(i if seed is None else seed)
    images = torch.rand(6, 1, 4, 4, generator=g) if images is None else images
    labels = torch.tensor([0, 1, 2, 0, 1, 2]) if labels is None else labels
    return Event(
        iteration=i,
        iterations=n,
        loss=1.0 / i,
        accuracy=accuracy,
        images=images,
        labels=labels,
        lrs=None,
        elapsed=0.1 * i,
        done=(i == n) if done is None else done,
        to_pixels=lambda x: x.clamp(0, 1),
    )


def feed(view, n=5, **kwargs):
    for i in range(1, n + 1):
        view(event(i, n, **kwargs))
    return view


def decode(png):
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def test_every_event_drawn_when_every_is_zero():
    view = feed(LiveView(every=0), accuracy=0.875)
    assert [f.iteration for f in view.frames] == [1, 2, 3, 4, 5]
    assert all(isinstance(f, Frame) and f.png.startswith(PNG_MAGIC) for f in view.frames)
    assert len({f.png for f in view.frames}) == 5  # different images, different bytes
    assert "iteration 3/5" in view.frames[2].text and "87.5%" in view.frames[2].text
    assert view.frames[-1].text.endswith("done")


def test_same_images_give_same_bytes():
    a, b = LiveView(every=0), LiveView(every=0)
    a(event(1, seed=0))
    b(event(1, seed=0))
    assert a.frames[0].png == b.frames[0].png


def test_throttled_to_first_and_done():
    view = feed(LiveView(every=1e9), n=8)
    assert [f.iteration for f in view.frames] == [1, 8]
    assert "val acc –" in view.frames[0].text  # not evaluated yet


def test_default_layout_one_column_per_class_and_explicit_nrow():
    view = LiveView(every=0, scale=2)
    view(event(1))  # 6 images, 3 classes -> 2 x 3 grid
    assert decode(view.frames[0].png).shape[:2] == ((2 * 5 + 1) * 2, (3 * 5 + 1) * 2)
    view = LiveView(every=0, scale=1, nrow=6)
    view(event(1))
    assert decode(view.frames[0].png).shape[:2] == (5 + 1, 6 * 5 + 1)


def test_bad_pixels_do_not_stop_the_run():
    view = LiveView(every=0)
    images = torch.full((6, 1, 4, 4), float("nan"))
    images[0] = 7.0
    view(Event(1, 1, float("nan"), None, images, torch.arange(6), None, 0.0, True, lambda x: x))
    assert view.frames[0].png.startswith(PNG_MAGIC) and "loss nan" in view.frames[0].text


def test_frames_stay_bounded_and_spread():
    view = feed(LiveView(every=0, max_frames=4), n=40)
    its = [f.iteration for f in view.frames]
    assert len(its) <= 5 and its[0] == 1 and its[-1] == 40 and its == sorted(its)


def test_headless_with_ipywidgets_has_no_widget_until_asked():
    pytest.importorskip("ipywidgets")
    assert not live._in_notebook()
    view = feed(LiveView(every=0))
    assert view._widget is None and not view._displayed  # nothing built, nothing shown
    assert view.image.value == view.frames[-1].png  # built on request, with the state
    view(event(1, n=2, seed=99, done=False))
    assert view.image.value == view.frames[-1].png and view.label.value == view.frames[-1].text


def test_without_ipywidgets_degrades_silently(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    view = feed(LiveView(every=0))
    assert len(view.frames) == 5 and view.widget is None and view.image is None
    view._ipython_display_()
    assert capsys.readouterr() == ("", "")
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        view.replay()


@pytest.fixture
def shown(monkeypatch):
    """Everything passed to IPython's `display` (which then shows nothing)."""
    import IPython.display

    objs = []
    monkeypatch.setattr(IPython.display, "display", lambda *args: objs.extend(args))
    return objs


def test_in_notebook_displays_once_and_updates_in_place(monkeypatch, shown):
    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(live, "_in_notebook", lambda: True)
    view = LiveView(every=0, title="DD <MNIST>")
    view(event(1))
    image = view.image
    feed(view, n=5)
    assert shown[0] is view.widget and view.widget not in shown[1:]  # the widget displayed exactly once
    assert view.image is image and image.value == view.frames[-1].png
    assert "iteration 5/5" in view.label.value
    assert "DD &lt;MNIST&gt;" in view.widget.children[0].value


def static_outputs(shown):
    """The IPython display objects among `shown` (the widget is not one)."""
    import IPython.display

    return [obj for obj in shown if isinstance(obj, (IPython.display.Markdown, IPython.display.Image))]


def test_run_end_leaves_caption_filmstrip_and_final_grid_once(monkeypatch, shown):
    import IPython.display

    monkeypatch.setattr(live, "_in_notebook", lambda: True)
    view = LiveView(every=0, scale=2, title="DM")
    for i in range(1, 5):
        view(event(i, n=5))
    assert static_outputs(shown) == []  # nothing static while it runs
    view(event(5, n=5))
    caption, filmstrip, final = static_outputs(shown)
    assert isinstance(caption, IPython.display.Markdown) and isinstance(filmstrip, IPython.display.Image)
    assert "Filmstrip" in caption.data and "iterations 1 to 5" in caption.data and "**DM**" in caption.data
    assert decode(filmstrip.data).shape == (
        live.FILMSTRIP_LABEL_HEIGHT + GRID_H,
        5 * GRID_W + 4 * live.FILMSTRIP_GAP,
        3,
    )
    assert final.data == view.frames[-1].png


def test_run_end_is_static_even_without_ipywidgets(monkeypatch, shown):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.setattr(live, "_in_notebook", lambda: True)
    feed(LiveView(every=0))
    assert len(shown) == 3 and shown == static_outputs(shown)  # caption, filmstrip, final grid


def test_outside_a_notebook_nothing_is_displayed(shown):
    feed(LiveView(every=0))
    assert shown == []


def test_filmstrip_shows_evenly_spaced_frames_side_by_side_at_scale_one():
    view = feed(LiveView(every=0, scale=2), n=11)
    strip = decode(live.filmstrip_png(view.frames, scale=2))
    panels, step = live.FILMSTRIP_PANELS, GRID_W + live.FILMSTRIP_GAP
    assert strip.shape == (live.FILMSTRIP_LABEL_HEIGHT + GRID_H, panels * GRID_W + (panels - 1) * live.FILMSTRIP_GAP, 3)
    for k, i in enumerate([0, 2, 4, 6, 8, 10]):  # 11 frames, 6 panels: every other one
        panel = strip[live.FILMSTRIP_LABEL_HEIGHT :, k * step : k * step + GRID_W]
        expected = decode(view.frames[i].png)[::2, ::2]  # the grid, upscaling undone
        assert (panel == expected[..., None]).all(), f"panel {k} is not frame {i}"
        assert strip[: live.FILMSTRIP_LABEL_HEIGHT, k * step : k * step + GRID_W].min() < 0.5  # a label
    few = decode(live.filmstrip_png(feed(LiveView(every=0), n=3).frames, scale=3))
    assert few.shape[1] == 3 * GRID_W + 2 * live.FILMSTRIP_GAP  # fewer frames than panels: all of them
    with pytest.raises(ValueError, match="at least one frame"):
        live.filmstrip_png([])


def test_filmstrip_wraps_wide_panels_into_rows():
    view = LiveView(every=0, scale=1)
    for i in range(1, 7):  # 10 classes of 28 x 28: MNIST-wide grids
        images = torch.rand(10, 1, 28, 28, generator=torch.Generator().manual_seed(i))
        view(event(i, n=6, images=images, labels=torch.arange(10)))
    strip = decode(live.filmstrip_png(view.frames))
    gap, label = live.FILMSTRIP_GAP, live.FILMSTRIP_LABEL_HEIGHT
    width, height = 10 * 29 + 1, 29 + 1  # one grid row of 10 images
    per_row = (live.FILMSTRIP_MAX_WIDTH + gap) // (width + gap)
    assert 1 < per_row < live.FILMSTRIP_PANELS
    rows = -(-live.FILMSTRIP_PANELS // per_row)
    assert strip.shape == (rows * (label + height) + (rows - 1) * gap, per_row * width + (per_row - 1) * gap, 3)
    top = label + height + gap + label  # the second row's first panel
    assert (strip[top : top + height, :width] == decode(view.frames[per_row].png)[..., None]).all()


def drawn_rows(sparkline, column):
    """Rows of the sparkline's pixels drawn (not transparent) in one column."""
    return (sparkline[:, column, 3] > 0).nonzero()[0]


def test_sparkline_follows_the_loss_and_reaches_the_widget():
    view = feed(LiveView(every=0), n=20)  # loss 1/i: falling
    line = decode(view.sparkline)
    assert line.shape == (live.SPARKLINE_SIZE[1], live.SPARKLINE_SIZE[0], 4)
    assert drawn_rows(line, 0).max() < drawn_rows(line, -1).min()  # starts high, ends low
    assert view.losses == [1.0 / i for i in range(1, 21)]
    if live._ipywidgets() is not None:
        assert view.widget.children[-1].value == view.sparkline
    rising = decode(live.sparkline_png([float("nan"), *range(1, 500), float("inf")]))
    assert drawn_rows(rising, 0).min() > drawn_rows(rising, -1).max()
    assert decode(live.sparkline_png([2.0]))[..., 3].max() == 0  # one point: no line yet


def test_replay_slider_swaps_picture():
    pytest.importorskip("ipywidgets")
    view = feed(LiveView(every=0))
    replay = view.replay()
    assert replay.play.max == replay.slider.max == 4
    assert replay.image.value == view.frames[0].png
    replay.slider.value = 3
    assert replay.image.value == view.frames[3].png and replay.label.value == view.frames[3].text
    replay.show(-1)
    assert replay.slider.value == 4 and replay.image.value == view.frames[4].png
    with pytest.raises(ValueError, match="frame index"):
        replay.show(5)
    with pytest.raises(ValueError, match="at least one frame"):
        Replay([])


def test_importing_ddlab_needs_no_ipywidgets():
    code = (
        "import sys, ddlab, ddlab.live, ddlab.plots; "
        "assert 'ipywidgets' not in sys.modules and 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_interrupt_redraws_the_same_iteration_in_place():
    view = LiveView(every=0)
    view(event(3, n=9, seed=1, done=False))
    view(event(3, n=9, seed=2, done=True))  # Ctrl-C: the best set, same iteration
    assert [f.iteration for f in view.frames] == [3]
    assert view.frames[0].text.endswith("done") and view.frames[0] is view.current
