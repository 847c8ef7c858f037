"""A course machine shares one data folder that learners cannot write, and disks fill up: neither may
end a notebook in a traceback or cost a learner a file.

Both are made real, not simulated: each case runs a small Python program in a fresh process inside
its own user and mount namespace (`unshare -rm`, no privileges needed), where the data folder is
bind-mounted read-only, or is a tmpfs of a few hundred kB. Mode bits would not do: CI runs as root,
which writes through them. Without `unshare` the tests skip, except under CI, which must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ddlab.data import data_root


def in_namespace(mount: str, script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run `script` with a fresh Python after the shell command `mount` ran in a new user and mount namespace."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("unshare -rm (util-linux, user namespaces) is needed for the shared-machine tests")
        pytest.skip("unshare -rm is not available here")
    program = cwd / "program.py"
    program.write_text(textwrap.dedent(script))
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'{mount} && exec "$0" "$1"', sys.executable, str(program)],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_read_only_data_folder_is_read_and_runs_go_to_the_learners_own_cache(tmp_path, mnist):
    shared, home = tmp_path / "shared", tmp_path / "home"
    shared.mkdir()
    home.mkdir()
    (shared / "MNIST").symlink_to(data_root().resolve() / "MNIST")  # the course's data, read in place
    result = in_namespace(
        f"mount --bind -o ro {shared} {shared}",
        """
        from pathlib import Path
        import ddlab

        data = ddlab.load("mnist", device="cpu")
        config = ddlab.DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=3)
        made = ddlab.load_or_distill(config, data, seed=0, progress=False)
        again = ddlab.load_or_distill(config, data, seed=0, progress=False)      # found where it went
        print("runs:", sorted(p.name for p in (Path.home() / ".cache/ddlab/runs").glob("*.pt")))
        print("same:", bool((made.images == again.images).all()))
        """,
        {"DDLAB_DATA": str(shared), "HOME": str(home), "DDLAB_PROFILE": "quick"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    notices = [line for line in result.stderr.splitlines() if "is read-only" in line]
    assert notices == [
        f"ddlab: the data folder {shared} is read-only: data is read from it, and runs and caches "
        f"go to {home / '.cache' / 'ddlab'}"
    ]
    assert "runs: ['dd_" in result.stdout and "same: True" in result.stdout
    assert sorted(p.name for p in shared.iterdir()) == ["MNIST"]


def test_a_full_disk_keeps_the_previous_file_and_says_so_in_one_line(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    result = in_namespace(
        f"mount -t tmpfs -o size=256k tmpfs {full}",
        """
        import os
        from pathlib import Path
        import torch
        from ddlab.sources import cache

        path = Path(os.environ["DDLAB_DATA"]) / "runs" / "run.pt"
        cache.write_state(path, {"step": torch.arange(10)})                   # fits
        try:
            cache.write_state(path, {"step": torch.zeros(200_000)})           # 800 kB: does not
        except OSError as error:
            print("error:", error)
        print("kept:", cache.read_state(path, "run")["step"].tolist())
        print("left:", sorted(p.name for p in path.parent.iterdir()))
        """,
        {"DDLAB_DATA": str(full)},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    error = next(line for line in result.stdout.splitlines() if line.startswith("error:"))
    assert error == (
        f"error: ddlab: could not save {full / 'runs' / 'run.pt'} (No space left on device); the previous "
        f"file is kept. Free some space or set DDLAB_DATA to a folder with room"
    )
    assert "kept: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in result.stdout
    assert "left: ['run.pt', 'run.pt.sha256']" in result.stdout  # no partial file behind
