"""The course's shipped files, found the same way from a clone and from a `pip install`.

Reference sets, recordings, expert trajectories, whole-data networks and the measured timing tables
live in the repository (`assets/`, `benchmarks/`), not in the package: a wheel with 13 MB of them
would be fetched again by every Colab session that installs ddlab, most of it never opened. So
`course_file` reads a file in place in a clone, and elsewhere fetches it once into the data cache
(`ddlab.data.writable_root()/course/`) through `fetch`, the one download of the package:

* a timeout on every request, and retries with growing pauses on what a shared address meets
  (HTTP 429 or 5xx, a reset connection), honouring the server's Retry-After;
* the bytes checked against the sha256 the package records before they are kept, written atomically
  (`ddlab.sources.cache.write_atomic`), so a partial or foreign file is never used;
* a failure ends in one line naming the URL and what to do.

$DDLAB_COURSE_URL replaces GitHub as the place files are fetched from (a mirror on a course machine;
the tests serve the repository from localhost).
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..course import BRANCH, REPO
from ..data import data_root, writable_root
from .cache import sidecar, write_atomic

log = logging.getLogger("ddlab")

REPO_ROOT = Path(__file__).resolve().parents[2]  # in a clone: the repository; installed: site-packages
TIMEOUT_S = 30  # per request: a stalled connection fails instead of hanging a notebook
ATTEMPTS = 5  # one try and four retries ...
FIRST_PAUSE_S = 2.0  # ... after 2, 4, 8 and 16 s, or as long as Retry-After asks (at most 60 s)
RETRIED_STATUS = {408, 425, 429, 500, 502, 503, 504}


class FetchError(RuntimeError):
    """A course file could not be had; the message says which URL failed and what to do."""


def base_url() -> str:
    """Where files missing from this install are fetched: $DDLAB_COURSE_URL, else the repository on GitHub."""
    return (os.environ.get("DDLAB_COURSE_URL") or f"https://raw.githubusercontent.com/{REPO}/{BRANCH}").rstrip("/")


def course_file(
    relative: str, sha256: str | None = None, *, with_sidecar: bool = False, in_clone: Path | None = None
) -> Path:
    """A local copy of the course file `relative` (a path in the repository, "assets/dm_mnist_10.pt"):
    the clone's own (`in_clone`, by default `REPO_ROOT / relative`), else the copy fetched earlier, else
    fetched now. With `sha256`, a fetched copy must have that digest (the clone's own file is checked by
    its caller, which names the fix); with `with_sidecar`, its ``.sha256`` sidecar is written beside
    it, as `ddlab.sources.cache.read_state` expects of a cached state."""
    local = REPO_ROOT / relative if in_clone is None else in_clone
    if local.is_file():
        return local
    for root in dict.fromkeys((data_root(), writable_root())):
        fetched = root / "course" / relative
        if fetched.is_file() and (sha256 is None or _digest(fetched.read_bytes()) == sha256):
            return fetched
    target = writable_root() / "course" / relative
    fetch(f"{base_url()}/{relative}", target, sha256)
    if with_sidecar and sha256 is not None:
        write_atomic(sidecar(target), (sha256 + "\n").encode())
    return target


def fetch(
    url: str,
    target: Path,
    sha256: str | None = None,
    *,
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_S,
    sleep=time.sleep,
) -> Path:
    """Download `url` to `target` (atomically), checked against `sha256` when given; retried with
    back-off where a retry can help. Raises `FetchError` with one line."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts!r}")
    fix = (
        f"check the connection and run the cell again, set DDLAB_COURSE_URL to a mirror, or work from a "
        f"clone of https://github.com/{REPO}"
    )
    for attempt in range(attempts):
        pause = FIRST_PAUSE_S * 2**attempt
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code} {error.reason}"
            if error.code not in RETRIED_STATUS:
                raise FetchError(f"ddlab: could not fetch {url} ({problem}); {fix}") from None
            pause = _retry_after(error.headers.get("Retry-After"), pause)
        except (urllib.error.URLError, OSError) as error:  # no network, refused, reset, timed out
            problem = str(getattr(error, "reason", error))
        else:
            if sha256 is not None and (actual := _digest(data)) != sha256:
                raise FetchError(
                    f"ddlab: {url} does not match its recorded sha256 (got {actual[:12]}..., expected "
                    f"{sha256[:12]}...): the course online has moved on from this ddlab; "
                    f"update ddlab (pip install -U) or work from a clone"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data)
            return target
        if attempt + 1 < attempts:
            sleep(min(pause, 60.0))
    raise FetchError(f"ddlab: could not fetch {url} after {attempts} tries ({problem}); {fix}")


def shipped(
    folder: str, name: str, registry: dict[str, str], what: str, where: str, in_clone: Path | None = None
) -> Path | None:
    """The copy of cache file `name` shipped with the course in the repository's `folder`
    ("assets/experts"; `in_clone` if given), its sidecar checked against `registry` (name -> sha256;
    `ddlab.sources.cache.read_state` then checks the file against the sidecar): read in a clone,
    fetched once elsewhere. None if none is registered under `name`, or if it cannot be fetched (said
    in one line: the caller then builds it). A file that does not match raises one line naming it,
    `what` it is and `where` its registry lives: a shipped file is never silently replaced."""
    if name not in registry:
        return None
    try:
        path = course_file(f"{folder}/{name}", registry[name], with_sidecar=True, in_clone=in_clone)
    except FetchError as error:
        log.warning("%s; making the %s here instead", error, what)
        return None
    if not sidecar(path).is_file() or sidecar(path).read_text().strip() != registry[name]:
        raise ValueError(f"shipped {what} {path} do not match their sha256 in {where}; restore them from git")
    return path


def _retry_after(header: str | None, default: float) -> float:
    """Seconds the server asked to wait (a number or an HTTP date), else `default`."""
    if not header:
        return default
    if header.strip().isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
