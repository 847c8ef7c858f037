"""The seminar's deck, built by `make slides`, works in a browser with the network cut off.

A teacher opens build/slides/seminar_slides.slides.html from disk on a projector laptop: reveal.js,
require.js, jQuery and MathJax must all come from beside the page. This test builds the deck as the
README says (quick profile), opens the page from disk in headless Chromium (Debian's, driven by
Playwright, as in test_browser_live_view.py, whose fixtures it reuses) with every request that is not
for a local file aborted and recorded, and reads from the page itself that reveal.js started, that
the deck has its slides, that MathJax typeset the objective, and that the replay slide shows the
filmstrip of notebook 01's recorded run as a decoded picture of the expected size.

Without Chromium, Playwright or npm (which fetches reveal.js once) the test is skipped, except where
CI is set: there it fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_browser_live_view import chromium, page, save, unavailable  # noqa: F401  (fixtures and helpers)

ROOT = Path(__file__).resolve().parents[1]
DECK = ROOT / "teaching" / "seminar_slides.ipynb"
PAGE = ROOT / "build" / "slides" / "seminar_slides.slides.html"
REPLAY_TITLE = "Watch it learn"  # the slide whose code cell replays notebook 01's run
REPLAY_RUN = "dd_fixed_mnist_10"
CAPTION = "Filmstrip of the synthetic images"  # LiveView's caption, the output just before the filmstrip

LOCAL = ("file:", "data:", "about:")  # what a page opened from disk may load
FONT_PROBE = "about:blank"  # MathJax's blank font face, which a page from disk may not load: harmless
WAIT_MS = 30_000  # longest wait for the page to get somewhere (it takes ~1 s)
SHOWING = "() => [...document.querySelectorAll('.reveal .slides section.present')].pop().textContent"
# The filmstrip in the slide that is showing now: the image output right after the caption's output.
FILMSTRIP = """caption => {
  const slide = [...document.querySelectorAll('.reveal .slides section.present')].pop();
  const outputs = [...slide.querySelectorAll('.jp-OutputArea-output')];
  const at = outputs.findIndex(o => o.textContent.includes(caption));
  const img = at >= 0 && outputs[at + 1] ? outputs[at + 1].querySelector('img') : null;
  return img && {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
                 shown: img.getBoundingClientRect().width > 0};
}"""


def build_deck() -> None:
    """`make slides` in the quick profile, with this interpreter's environment and without re-running
    pip (`-o` the requirements stamp: the test must not install anything)."""
    venv = Path(sys.prefix)
    cached = all(
        (ROOT / "build" / "vendor").glob(name) for name in ("reveal.js-*.tgz", "requirejs-*.tgz", "jquery-*.tgz")
    )
    if shutil.which("make") is None or (not cached and shutil.which("npm") is None):
        unavailable("`make slides` needs make, and npm the first time (Debian/Ubuntu: apt-get install make npm)")
    done = subprocess.run(
        ["make", "-o", str(venv / ".ddlab-requirements"), "slides", f"VENV={venv}", "DDLAB_PROFILE=quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"make slides failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


def expected_filmstrip_size() -> tuple[int, int]:
    """The size of the filmstrip of the run's recorded frames (a headless LiveView keeps them all)."""
    import io

    from PIL import Image

    from ddlab import LiveView, seminar
    from ddlab.live import filmstrip_png

    live = LiveView()
    seminar.replay(REPLAY_RUN, live, seconds=0)
    return Image.open(io.BytesIO(filmstrip_png(live.frames, live.scale))).size


def test_the_deck_is_stored_without_outputs_and_has_slides():
    import nbformat

    deck = nbformat.read(DECK, as_version=4)
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in deck.cells]
    assert all(kinds), f"cells {[i for i, k in enumerate(kinds) if not k]} have no slideshow.slide_type"
    assert kinds.count("slide") > 5
    code = [cell for cell in deck.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), "store the deck without outputs"
    long = [line for cell in code for line in cell.source.splitlines() if len(line) > 60]
    assert all(len(cell.source.splitlines()) <= 6 for cell in code) and not long, (
        f"a slide's code cell stays short, in lines of at most 60 characters: {long}"
    )


def test_the_exported_deck_works_offline_and_shows_the_filmstrip(chromium, page):  # noqa: F811
    build_deck()
    outside, failed, errors = [], [], []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(LOCAL)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page.on("requestfailed", lambda request: None if request.url == FONT_PROBE else failed.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(PAGE.as_uri())
    page.wait_for_function("() => document.querySelector('.reveal.ready') !== null", timeout=WAIT_MS)
    slides = page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
    assert slides > 5, f"reveal.js shows {slides} slides"
    page.wait_for_function(
        "() => document.querySelectorAll('.reveal .MathJax_CHTML, .reveal .MathJax').length > 0", timeout=WAIT_MS
    )

    for _ in range(slides):
        if REPLAY_TITLE in page.evaluate(SHOWING):
            break
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)  # the slide transition
    else:
        pytest.fail(f"no slide titled {REPLAY_TITLE!r} reached with the arrow key")
    save("slides-filmstrip.png", page.screenshot())
    filmstrip = page.evaluate(FILMSTRIP, CAPTION)
    assert filmstrip, f"the slide {REPLAY_TITLE!r} has no image after the caption {CAPTION!r}"
    assert filmstrip["complete"] and filmstrip["shown"], f"the filmstrip is not a shown, decoded picture: {filmstrip}"
    assert (filmstrip["width"], filmstrip["height"]) == expected_filmstrip_size(), (
        f"the picture after the caption is {filmstrip['width']}x{filmstrip['height']}, not the run's filmstrip"
    )
    assert not outside, f"the deck asked the network for: {outside}"
    assert not failed and not errors, f"failed requests {failed}, page errors {errors}"
