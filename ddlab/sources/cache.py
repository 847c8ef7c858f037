"""Files ddlab writes once and trusts later (MNIST's raw files, pretrained pools, expert trajectories).

Two rules, kept in one place:

* **Atomic writes.** Bytes go to a temporary file in the same folder, are flushed to disk, and the
  file is renamed into place: a reader sees the old file or the whole new one, never half of it.
* **Verify before unpickling.** A cached state is saved with a ``.sha256`` sidecar, written *last*
  (a crash in between leaves a file without a digest, which `read_state` refuses, never a digest
  vouching for the wrong bytes). `read_state` hashes the very bytes it then loads, and loads them
  with ``torch.load(weights_only=True)``, so a damaged or foreign file never runs code.

What the state must contain (settings, names, shapes) is the caller's check; this module only
guarantees the bytes are the ones written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import torch


def key_digest(key: dict[str, Any]) -> str:
    """12 hex digits of the sha256 of `key` (JSON, sorted): in a cache file's name, so that a file
    made with any other setting is never even opened."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def keyed_fields(settings: Any) -> dict[str, Any]:
    """A dataclass's fields for a key, less any marked ``metadata={"keyed_when_set": True}`` while at
    its default: a setting added after files were made, whose default is how they were made (MTT's
    constant_memory, a protocol's CutMix), so those files and recordings keep their names."""
    unset = {
        f.name for f in fields(settings) if f.metadata.get("keyed_when_set") and getattr(settings, f.name) == f.default
    }
    return {name: value for name, value in asdict(settings).items() if name not in unset}


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file + fsync + rename in the same folder. Where the disk is full or the folder cannot be
    written, the previous file at `path` stays as it was and the error is one line naming `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")  # unique per process, honours umask
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        kept = "the previous file is kept" if path.exists() else "nothing was written"
        raise SaveError(
            f"ddlab: could not save {path} ({error.strerror or error}); {kept}. Free some space "
            f"or set DDLAB_DATA to a folder with room"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class SaveError(OSError):
    """A file could not be written; the message names it and says the previous copy is untouched."""


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_state(path: Path, state: dict[str, Any]) -> Path:
    """`torch.save` `state` (plain tensors and containers only) to `path`, then its sha256 sidecar."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    blob = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, blob)
    write_atomic(sidecar(path), (hashlib.sha256(blob).hexdigest() + "\n").encode())
    return path


def read_state(path: Path, what: str, error: type[ValueError] = ValueError, remedy: str = "") -> dict[str, Any]:
    """The state saved at `path` by `write_state`, verified. Any failure raises `error` with one
    line: "<what> <path> <what failed><remedy>"."""
    digest_file = sidecar(path)
    if not digest_file.is_file():
        raise error(f"{what} {path} has no checksum file {digest_file.name}{remedy}")
    blob = path.read_bytes()  # hashed and loaded from the same bytes: nothing can change in between
    expected, actual = digest_file.read_text().strip(), hashlib.sha256(blob).hexdigest()
    if actual != expected:
        raise error(f"{what} {path} fails its sha256 check (got {actual[:12]}..., expected {expected[:12]}...){remedy}")
    try:
        state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as failure:  # noqa: BLE001 -- a foreign or damaged file, whatever the exception
        raise error(f"{what} {path} is not readable ({type(failure).__name__}){remedy}") from None
    if not isinstance(state, dict):
        raise error(f"{what} {path} does not hold a ddlab state{remedy}")
    return state
