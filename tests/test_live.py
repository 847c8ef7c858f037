"""LiveView and Replay, headless: fake events in, frames (PNG bytes) and widget state out."""
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


def event(i, n=5, seed=None, accuracy=None, images=None, labels=None, done=None):
    g = torch.Generator().manual_seed(i if seed is None else seed)
    images = torch.rand(6, 1, 4, 4, generator=g) if images is None else images
    labels = torch.tensor([0, 1, 2, 0, 1, 2]) if labels is None else labels
    return Event(iteration=i, iterations=n, loss=1.0 / i, accuracy=accuracy, images=images,
                 labels=labels, lrs=None, elapsed=0.1 * i, done=(i == n) if done is None else done,
                 to_pixels=lambda x: x.clamp(0, 1))


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
    assert len({f.png for f in view.frames}) == 5                 # different images, different bytes
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
    assert "val acc –" in view.frames[0].text                    # not evaluated yet


def test_default_layout_one_column_per_class_and_explicit_nrow():
    view = LiveView(every=0, scale=2)
    view(event(1))                                                # 6 images, 3 classes -> 2 x 3 grid
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
    assert view._widget is None and not view._displayed           # nothing built, nothing shown
    assert view.image.value == view.frames[-1].png                # built on request, with the state
    view(event(1, n=2, seed=99, done=False))
    assert view.image.value == view.frames[-1].png and view.label.value == view.frames[-1].text


def test_without_ipywidgets_degrades_silently(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)          # makes `import ipywidgets` fail
    view = feed(LiveView(every=0))
    assert len(view.frames) == 5 and view.widget is None and view.image is None
    view._ipython_display_()
    assert capsys.readouterr() == ("", "")
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        view.replay()


def test_in_notebook_displays_once_and_updates_in_place(monkeypatch):
    pytest.importorskip("ipywidgets")
    import IPython.display

    shown = []
    monkeypatch.setattr(live, "_in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    view = LiveView(every=0, title="DD <MNIST>")
    view(event(1))
    image = view.image
    feed(view)
    assert shown == [view.widget]                                 # displayed exactly once
    assert view.image is image and image.value == view.frames[-1].png
    assert "iteration 5/5" in view.label.value
    assert "DD &lt;MNIST&gt;" in view.widget.children[0].value


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
    code = ("import sys, ddlab, ddlab.live, ddlab.plots; "
            "assert 'ipywidgets' not in sys.modules and 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_interrupt_redraws_the_same_iteration_in_place():
    view = LiveView(every=0)
    view(event(3, n=9, seed=1, done=False))
    view(event(3, n=9, seed=2, done=True))                        # Ctrl-C: the best set, same iteration
    assert [f.iteration for f in view.frames] == [3]
    assert view.frames[0].text.endswith("done") and view.frames[0] is view.current
