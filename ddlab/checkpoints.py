"""What a long run writes as it goes, so that nothing is lost: checkpoints, and output paths checked
before the run starts.

A checkpoint holds everything the driver needs to go on exactly where it stopped (the method's
learned tensors and extra state, the optimiser, the learning-rate schedule, the generator, the
history, the best set so far), written atomically with a sha256 sidecar and read back weights-only
(`ddlab.sources.cache`), so a resumed run ends with the uninterrupted run's set and a foreign or
damaged file never runs code.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .sources import cache
from .synthetic import plain

KIND = "ddlab checkpoint"
FORMAT = 1


def header(method: Any) -> dict[str, Any]:
    """What marks a checkpoint as one, and the config it was made with, as plain data (the
    method's name included)."""
    return {"kind": KIND, "format": FORMAT, "config": plain({"method": method.name, **asdict(method.config)})}


def _staged(path: Path) -> Path:
    return path.with_name(f".{path.name}.next")


def write(path: Path, state: dict[str, Any]) -> None:
    """Write `state` to `path` (and its sha256 sidecar) so that a kill at any instant leaves one
    verified checkpoint. Why twice: the file and its sidecar are renamed into place one after the
    other, and a kill between the two renames would pair the new file with the old digest; the
    staged copy, complete before the real one is touched, covers that instant."""
    staged = _staged(path)
    cache.write_state(staged, state)
    cache.write_state(path, state)
    for stale in (staged, cache.sidecar(staged)):
        stale.unlink(missing_ok=True)


def _read_verified(path: Path) -> dict[str, Any]:
    """The checkpoint at `path`, or its staged copy where a kill interrupted the write of `path`."""
    try:
        return cache.read_state(path, "checkpoint", remedy="; start the run again without --resume")
    except ValueError:
        staged = _staged(path)
        if not cache.sidecar(staged).is_file():
            raise
        return cache.read_state(staged, "checkpoint", remedy="; start the run again without --resume")


def read(path: str | Path, method: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint at `path`, verified (sha256, weights only), after checking it belongs to this
    run (same config and driver options), with `method` already put back to its state.

    Why refuse another run's checkpoint rather than take what fits: the promise of `resume` is the
    uninterrupted run's result, and any other setting would silently break it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    state = _read_verified(path)
    if state.get("kind") != KIND or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ddlab checkpoint of format {FORMAT}")
    for what, mine, theirs in (
        ("setting", header(method)["config"], state["config"]),
        ("option", options, state["options"]),
    ):
        for key in sorted(set(mine) | set(theirs)):
            if mine.get(key) != theirs.get(key):
                raise ValueError(
                    f"checkpoint {path} was made with {what} {key}={theirs.get(key)!r}, not "
                    f"{mine.get(key)!r}; resume with the run's own settings"
                )
    method.load_state(state["method"])
    return state


def check_output(path: str | Path, what: str = "output") -> Path:
    """`path`, once it is certain a file can be written there: its folder made if missing and a
    probe file written and removed in it. Why before a run and not at its end: a run can take
    hours, and a typo in a path must not cost them. A one-line ValueError names the path."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"cannot write the {what} to {path}: it is a folder; give a file path such as {path / 'set.pt'}"
        )
    blocking = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"cannot write the {what} to {path}: {blocking} is a file, not a folder")
    probe = path.with_name(f".{path.name}.{os.getpid()}.probe")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write the {what} to {path}: {error.strerror or error}") from None
    return path
