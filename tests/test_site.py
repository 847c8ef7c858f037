"""The static site (`make site`) shows what the notebooks showed, with nothing left to run.

It builds the site from site/mkdocs.yml, as `make site` does, but in the quick profile and from
notebooks 00 and 01 only (DDLAB_SITE_NOTEBOOKS), so it stays short; the build itself executes
them. Then it opens the built pages in headless Chromium and reads from the page that the images
a reader needs are there and decode: notebook 00's matplotlib figure, and notebook 01's filmstrip
of the live view (found by its caption, the Markdown output right before it) with the final grid.
Notebook 01's equations must be typeset with the network cut off: the page loads the MathJax the
build ships (site/notebooks.py), not one from a CDN, so a page opened from the disk or offline shows
mathematics rather than `$$` and TeX; a copy of the page without that MathJax shows raw TeX, so the
check can fail. The site is built once for all the tests, after the Chromium check. Chromium is
skipped or, under CI, required, as in test_browser_live_view.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddlab import live
from test_browser_live_view import chromium, page  # noqa: F401 (the browser test's fixtures)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "site" / "mkdocs.yml"
NOTEBOOKS = "00 01"
BUILD_TIMEOUT_S = 300
CAPTION = "Filmstrip of the synthetic images"
EQUATIONS_PAGE = "01_mnist_one_image_per_class"  # a notebook with inline and display equations
TYPESET_TIMEOUT_MS = 60_000

# What a decoded <img> in a notebook's outputs is: its size, and whether its PNG bytes carry the
# "Software: Matplotlib" text chunk that matplotlib writes into every figure it saves.
IMAGES = """() => [...document.querySelectorAll('.jp-OutputArea-output img')].map(img => ({
  width: img.complete ? img.naturalWidth : 0, height: img.complete ? img.naturalHeight : 0,
  matplotlib: img.src.startsWith('data:image/png;base64,') && atob(img.src.split(',')[1]).includes('Matplotlib'),
}))"""
# The image outputs that follow the output holding `caption`, in order.
AFTER_CAPTION = """caption => {
  const child = [...document.querySelectorAll('.jp-OutputArea-child')].find(c => c.textContent.includes(caption));
  if (!child) return null;
  const images = [];
  for (let next = child.nextElementSibling; next && next.querySelector('img'); next = next.nextElementSibling) {
    const img = next.querySelector('img');
    images.push({width: img.complete ? img.naturalWidth : 0, height: img.complete ? img.naturalHeight : 0});
  }
  return images;
}"""
# Waits until MathJax 2 has typeset the page (its startup done, then everything it queued after);
# says why not, or null. The hook must not return the queued call: MathJax would wait for it before
# ending its startup, which that call waits for.
TYPESET = """ms => new Promise(done => {
  if (!window.MathJax || !window.MathJax.Hub) return done('MathJax did not load');
  setTimeout(() => done(`MathJax did not finish typesetting within ${ms} ms`), ms);
  MathJax.Hub.Register.StartupHook('End', () => { MathJax.Hub.Queue(() => done(null)); });
})"""
# What the Markdown cells show: equations MathJax displayed, and text still holding TeX delimiters.
EQUATIONS = r"""() => {
  const cells = [...document.querySelectorAll('.jp-MarkdownCell')];
  return {
    displayed: cells.reduce((n, c) => n + c.querySelectorAll('.MathJax_Display').length, 0),
    typeset: cells.reduce((n, c) => n + c.querySelectorAll('.MathJax').length, 0),
    raw: cells.map(c => c.innerText).filter(t => t.includes('$$') || t.includes('$\\')),
    errors: document.querySelectorAll('.MathJax .merror, .MathJax_Error').length,
    font: MathJax.OutputJax['HTML-CSS'] && MathJax.OutputJax['HTML-CSS'].fontInUse,
  };
}"""


def display_equations(notebook: Path) -> int:
    """How many $$...$$ equations the notebook's Markdown cells hold."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum("".join(c["source"]).count("$$") for c in cells if c["cell_type"] == "markdown") // 2


def offline(page) -> tuple[list[str], list[str]]:
    """Cuts `page` off the network; returns the lists it fills: URLs it blocked, and site files it missed."""
    blocked, missing = [], []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    page.on("requestfailed", lambda request: request.url.startswith("file:") and missing.append(request.url))
    return blocked, missing


def build(out: Path) -> Path:
    """The site built from notebooks 00 and 01 in the quick profile, into `out`."""
    try:
        import mkdocs_jupyter  # noqa: F401  (only whether it is there)
    except ImportError:
        pytest.fail("mkdocs-jupyter is not installed (pip install -r requirements.txt)")
    env = {**os.environ, "DDLAB_PROFILE": "quick", "DDLAB_SITE_NOTEBOOKS": NOTEBOOKS}
    env.pop("MPLBACKEND", None)  # conftest's Agg would keep the figures out of the outputs
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--config-file", str(CONFIG), "--site-dir", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert built.returncode == 0, f"mkdocs build failed:\n{built.stderr[-4000:]}"
    return out


@pytest.fixture(scope="module")
def build_once(tmp_path_factory):
    """Builds the site at its first call only: the tests share one build. A module-scoped fixture
    that built the site itself would run before the Chromium check."""
    built: list[Path] = []

    def site_folder() -> Path:
        if not built:
            built.append(build(tmp_path_factory.mktemp("site")))
        return built[0]

    return site_folder


@pytest.fixture
def site(chromium, build_once) -> Path:
    """The built site's folder, once Chromium is known to be there."""
    return build_once()


def test_site_pages_show_the_figures_and_the_filmstrip(site, page):
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == ["00_welcome.html", "01_mnist_one_image_per_class.html", "404.html", "index.html"]

    page.goto((site / "00_welcome.html").as_uri())
    figures = [img for img in page.evaluate(IMAGES) if img["matplotlib"]]
    assert figures and all(img["width"] > 0 for img in figures), (
        f"no decodable matplotlib figure on notebook 00's page: {page.evaluate(IMAGES)}"
    )

    page.goto((site / "01_mnist_one_image_per_class.html").as_uri())
    after = page.evaluate(AFTER_CAPTION, CAPTION)
    assert after is not None, f"no output with the caption {CAPTION!r} on notebook 01's page"
    assert len(after) >= 2, f"the caption is followed by {len(after)} images, want the filmstrip and the final grid"
    filmstrip, final = after[:2]
    assert filmstrip["width"] > 0 and final["width"] > 0, f"an image does not decode: {after}"
    assert filmstrip["width"] <= live.FILMSTRIP_MAX_WIDTH < final["width"], (
        f"want the filmstrip (at most {live.FILMSTRIP_MAX_WIDTH} px wide), then the larger final grid: {after}"
    )
    assert any(img["matplotlib"] for img in page.evaluate(IMAGES)), "no matplotlib figure on notebook 01's page"


def test_site_pages_typeset_their_equations_offline(site, page):
    blocked, missing = offline(page)
    page.goto((site / f"{EQUATIONS_PAGE}.html").as_uri())
    problem = page.evaluate(TYPESET, TYPESET_TIMEOUT_MS)
    assert problem is None, f"{EQUATIONS_PAGE}'s page, network blocked: {problem} (blocked: {blocked})"
    assert not missing, f"the page asked for files the site does not have: {missing}"

    found = page.evaluate(EQUATIONS)
    expected = display_equations(ROOT / "notebooks" / f"{EQUATIONS_PAGE}.ipynb")
    assert expected > 0, f"{EQUATIONS_PAGE} has no $$ equation left to check; pick another notebook"
    assert found["displayed"] == expected, f"want the notebook's {expected} display equations typeset: {found}"
    assert found["typeset"] > expected, f"no inline $...$ equation was typeset: {found}"
    assert not found["raw"] and not found["errors"], f"TeX left untypeset or in error: {found}"
    assert found["font"] == "STIX-Web", f"want the STIX web fonts the site ships, not {found['font']!r}"


def test_a_page_without_the_shipped_mathjax_shows_raw_tex(site, page, tmp_path):
    # The check above fails when the page cannot load the site's MathJax: nothing else supplies one.
    shutil.copy(site / f"{EQUATIONS_PAGE}.html", tmp_path)
    offline(page)
    page.goto((tmp_path / f"{EQUATIONS_PAGE}.html").as_uri())
    assert page.evaluate(TYPESET, TYPESET_TIMEOUT_MS) == "MathJax did not load"
    assert any("$$" in text for text in page.locator(".jp-MarkdownCell").all_inner_texts())
