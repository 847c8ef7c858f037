"""MkDocs hook: the course's notebooks become pages of the site, straight from notebooks/.

The notebooks stay where learners open them (no copy to keep in sync); the site's own folder holds
only the front page. Set DDLAB_SITE_NOTEBOOKS to name prefixes ("00 01") to build a few notebooks
only, e.g. for a quick look or the site's test.

The pages' equations are typeset by a MathJax that ships with the site: a page opened from the disk
or offline cannot fetch one from a CDN, and mkdocs-jupyter (0.25 on) writes no MathJax URL of its
own. After the build the hook copies jupyter-server-mathjax's MathJax 2 into the site's mathjax/
folder, with the course's settings (mathjax_config.js) as its local config, which mkdocs.yml's
custom_mathjax_url loads.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MATHJAX_DIR = "mathjax"  # in the site; mkdocs.yml's custom_mathjax_url points into it
MATHJAX_CONFIG = Path(__file__).resolve().parent / "mathjax_config.js"
MATHJAX_LOCAL_CONFIG = "config/local/ddlab.js"  # the name mathjax_config.js announces itself by


def chosen(notebooks: list[Path], prefixes: list[str]) -> list[Path]:
    """The notebooks whose names start with one of `prefixes` (all of them for none)."""
    picked = [nb for nb in notebooks if not prefixes or nb.name.startswith(tuple(prefixes))]
    if not picked:
        raise PluginError(f"ddlab site: no notebook in {NOTEBOOKS} starts with any of {prefixes}")
    return picked


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    prefixes = os.environ.get("DDLAB_SITE_NOTEBOOKS", "").split()
    for notebook in chosen(sorted(NOTEBOOKS.glob("*.ipynb")), prefixes):
        # A plain File rooted in notebooks/ (not File.generated): mkdocs-jupyter finds the source
        # through src_dir, which a generated file lacks.
        files.append(
            File(
                notebook.name,
                src_dir=str(NOTEBOOKS),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def on_post_build(config):
    try:
        from jupyter_server_mathjax.app import STATIC_ASSETS_PATH
    except ImportError:
        raise PluginError(
            "ddlab site: jupyter-server-mathjax is not installed, so the pages' "
            "equations cannot be typeset (pip install -r requirements.txt)"
        ) from None
    mathjax = Path(config.site_dir) / MATHJAX_DIR
    shutil.copytree(STATIC_ASSETS_PATH, mathjax, dirs_exist_ok=True)
    (mathjax / MATHJAX_LOCAL_CONFIG).parent.mkdir(exist_ok=True)
    shutil.copyfile(MATHJAX_CONFIG, mathjax / MATHJAX_LOCAL_CONFIG)
