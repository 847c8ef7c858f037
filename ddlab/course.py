"""Where the course lives on the web: the one place that names its GitHub repository.

The Colab and Binder badges (README and every notebook's first cell) and the Colab install cell
all point here; `tests/test_notebooks.py` checks them against these constants, so moving the
repository means changing `REPO` and re-running `make test` to find every stale link.
"""

from __future__ import annotations

REPO = "ddlab-course/ddlab"  # GitHub <owner>/<name>
BRANCH = "main"


def colab_url(notebook: str) -> str:
    """The Colab link that opens `notebooks/<notebook>` (a file name such as "00_welcome.ipynb")."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{notebook}"


def binder_url() -> str:
    """The Binder link that opens JupyterLab on the notebooks folder."""
    return f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks"


def pip_url() -> str:
    """What Colab's install cell gives to pip: the package straight from GitHub."""
    return f"git+https://github.com/{REPO}@{BRANCH}"
