"""An installed ddlab needs no repository: the wheel, in a fresh virtual environment outside the clone,
runs notebook 00 and notebook 08 (seminar profile: it loads reference sets, replays recordings and reads
MTT's expert trajectories) with every course file fetched from a local HTTP server standing in for
GitHub, and nothing the course ships is made again.

The fresh environment holds only the wheel; ddlab's dependencies (PyTorch and the Jupyter kernel) are
this environment's, reached through a path file, so the test costs seconds of installing, not
gigabytes. A notebook runs as Colab runs it: its own kernel started by that environment's Python.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import sysconfig
import threading
import venv
from pathlib import Path

import pytest

from ddlab.data import data_root

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["00_welcome.ipynb", "08_trajectory_matching.ipynb"]
RUN_NOTEBOOKS = """
import sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            print(output.get("text", ""), end="")
            print(output.get("data", {}).get("text/plain", ""))
"""


@pytest.fixture
def repository_server():
    """The repository's files over HTTP on localhost; `.requests` lists the paths asked for."""
    requests = []

    class Files(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            requests.append(self.path)

    handler = functools.partial(Files, directory=str(ROOT))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.url, httpd.requests = f"http://127.0.0.1:{httpd.server_port}", requests
    yield httpd
    httpd.shutdown()


def test_the_wheel_runs_the_course_without_the_repository(tmp_path, repository_server, mnist):
    wheels, env, outside = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    outside.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("ddlab-*.whl")
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (purelib / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")  # torch, nbclient, ipykernel
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )

    data, home = tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    (data / "MNIST").symlink_to(data_root().resolve() / "MNIST")
    env_vars = {
        **os.environ,
        "DDLAB_DATA": str(data),
        "HOME": str(home),
        "DDLAB_PROFILE": "seminar",
        "DDLAB_COURSE_URL": repository_server.url,
        "PYTHONPATH": "",
        "MPLBACKEND": "Agg",
    }
    where = subprocess.run(
        [python, "-c", "import ddlab; print(ddlab.__file__)"],
        cwd=outside,
        env=env_vars,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(purelib)), f"ddlab was imported from {where}, not from the wheel"

    run = subprocess.run(
        [python, "-c", RUN_NOTEBOOKS, *(str(ROOT / "notebooks" / name) for name in NOTEBOOKS)],
        cwd=outside,
        env=env_vars,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert "not measured here" not in run.stdout and "seminar route (" in run.stdout  # notebook 00's times
    fetched = set(repository_server.requests)
    assert "/benchmarks/notebook_times_seminar.json" in fetched
    assert any(path.startswith("/assets/experts/") for path in fetched), sorted(fetched)
    assert any(path.startswith("/assets/recordings/") for path in fetched), sorted(fetched)
    assert any(path.startswith("/assets/mtt_") and path.endswith(".pt") for path in fetched), sorted(fetched)
    made_here = sorted(
        p.relative_to(data).as_posix()
        for p in data.rglob("*")
        if p.is_file() and not p.relative_to(data).as_posix().startswith(("course/", "MNIST/"))
    )
    assert made_here == [], f"made again instead of fetched: {made_here}"


def test_data_all_puts_everything_the_course_reads_into_the_data_folder(
    tmp_path, repository_server, monkeypatch, mnist, capsys
):
    """`python -m ddlab data --all` (Binder's postBuild), where the repository is not beside the package:
    afterwards the course has every file it would fetch, and the pretrained pools it would build."""
    from ddlab import recordings
    from ddlab.__main__ import main
    from ddlab.experiments import fair
    from ddlab.sources import assets, course_files, experts, teachers

    data = tmp_path / "data"
    data.mkdir()
    (data / "MNIST").symlink_to(data_root().resolve() / "MNIST")
    for module in (assets, experts, fair, recordings, teachers, course_files):  # as installed: no clone here
        for name in ("ASSETS_DIR", "SHIPPED_DIR", "RECORDINGS_DIR", "REPO_ROOT"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, tmp_path / "no-clone")
    monkeypatch.setenv("DDLAB_DATA", str(data))
    monkeypatch.setenv("DDLAB_COURSE_URL", repository_server.url)
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    assert main(["data", "--all"]) == 0
    fetched = {p.relative_to(data / "course").as_posix() for p in (data / "course").rglob("*") if p.is_file()}
    expected = (
        {f"assets/{name}{suffix}" for name in assets.SHA256 for suffix in (".pt", ".json")}
        | {f"assets/recordings/{name}.pt{suffix}" for name in recordings.SHA256 for suffix in ("", ".sha256")}
        | {f"assets/experts/{name}{suffix}" for name in experts.SHA256 for suffix in ("", ".sha256")}
        | {f"assets/whole_data/{name}{suffix}" for name in fair.SHA256 for suffix in ("", ".sha256")}
        | {f"assets/teachers/{name}{suffix}" for name in teachers.SHA256 for suffix in ("", ".sha256")}
        | {"benchmarks/notebook_times_default.json", "benchmarks/notebook_times_seminar.json"}
    )
    assert fetched == expected
    assert len(list((data / "pretrained").glob("*.pt"))) == 1  # the two settings share one pool
    shipped = (
        2 * len(assets.SHA256)
        + len(recordings.SHA256)
        + len(experts.SHA256)
        + len(fair.SHA256)
        + len(teachers.SHA256)
        + 2
    )
    printed = capsys.readouterr().out
    assert "Fashion-MNIST: 60,000 + 10,000 images" in printed and f"course files: {shipped} " in printed
    assert len(repository_server.requests) == shipped  # each once
    assert main(["data", "--all"]) == 0  # a second time fetches nothing
    assert len(repository_server.requests) == shipped
