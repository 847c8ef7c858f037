"""The static site (`make site`) shows what the notebooks showed, with nothing left to run.

It builds the site from site/mkdocs.yml, as `make site` does, but in the quick profile and from
notebooks 00 and 01 only (DDLAB_SITE_NOTEBOOKS), so it stays short; the build itself executes
them. Then it opens the built pages in headless Chromium and reads from the page that the images
a reader needs are there and decode: notebook 00's matplotlib figure, and notebook 01's filmstrip
of the live view (found by its caption, the Markdown output right before it) with the final grid.
Chromium is skipped or, under CI, required, as in test_browser_live_view.py.
"""
from __future__ import annotations

import os
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


@pytest.fixture
def site(tmp_path) -> Path:
    """The site built from notebooks 00 and 01 in the quick profile (its folder)."""
    try:
        import mkdocs_jupyter  # noqa: F401  (only whether it is there)
    except ImportError:
        pytest.fail("mkdocs-jupyter is not installed (pip install -r requirements.txt)")
    out = tmp_path / "site"
    env = {**os.environ, "DDLAB_PROFILE": "quick", "DDLAB_SITE_NOTEBOOKS": NOTEBOOKS}
    env.pop("MPLBACKEND", None)   # conftest's Agg would keep the figures out of the outputs
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--config-file", str(CONFIG),
                            "--site-dir", str(out)],
                           env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert build.returncode == 0, f"mkdocs build failed:\n{build.stderr[-4000:]}"
    return out


def test_site_pages_show_the_figures_and_the_filmstrip(chromium, site, page):
    # Fixture order: Chromium is checked before the (longer) build.
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == ["00_welcome.html", "01_mnist_one_image_per_class.html", "404.html", "index.html"]

    page.goto((site / "00_welcome.html").as_uri())
    figures = [img for img in page.evaluate(IMAGES) if img["matplotlib"]]
    assert figures and all(img["width"] > 0 for img in figures), \
        f"no decodable matplotlib figure on notebook 00's page: {page.evaluate(IMAGES)}"

    page.goto((site / "01_mnist_one_image_per_class.html").as_uri())
    after = page.evaluate(AFTER_CAPTION, CAPTION)
    assert after is not None, f"no output with the caption {CAPTION!r} on notebook 01's page"
    assert len(after) >= 2, f"the caption is followed by {len(after)} images, want the filmstrip and the final grid"
    filmstrip, final = after[:2]
    assert filmstrip["width"] > 0 and final["width"] > 0, f"an image does not decode: {after}"
    assert filmstrip["width"] <= live.FILMSTRIP_MAX_WIDTH < final["width"], \
        f"want the filmstrip (at most {live.FILMSTRIP_MAX_WIDTH} px wide), then the larger final grid: {after}"
    assert any(img["matplotlib"] for img in page.evaluate(IMAGES)), "no matplotlib figure on notebook 01's page"
