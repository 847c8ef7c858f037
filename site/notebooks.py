"""MkDocs hook: the course's notebooks become pages of the site, straight from notebooks/.

The notebooks stay where learners open them (no copy to keep in sync); the site's own folder holds
only the front page. Set DDLAB_SITE_NOTEBOOKS to name prefixes ("00 01") to build a few notebooks
only, e.g. for a quick look or the site's test.
"""
from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def chosen(notebooks: list[Path], prefixes: list[str]) -> list[Path]:
    """The notebooks whose names start with one of `prefixes` (all of them for none)."""
    picked = [nb for nb in notebooks if not prefixes or nb.name.startswith(tuple(prefixes))]
    if not picked:
        raise PluginError(f"ddlab site: no notebook in {NOTEBOOKS} starts with any of {prefixes}")
    return picked


@event_priority(100)   # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    prefixes = os.environ.get("DDLAB_SITE_NOTEBOOKS", "").split()
    for notebook in chosen(sorted(NOTEBOOKS.glob("*.ipynb")), prefixes):
        # A plain File rooted in notebooks/ (not File.generated): mkdocs-jupyter finds the source
        # through src_dir, which a generated file lacks.
        files.append(File(notebook.name, src_dir=str(NOTEBOOKS), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files
