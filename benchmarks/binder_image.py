"""What Binder builds from `binder/`: the Dockerfile repo2docker generates, and the Python packages it installs.

    pip install jupyter-repo2docker          # into any environment; no Docker needed for --no-build
    python benchmarks/binder_image.py [COMMIT]

For a clean clone of COMMIT (default HEAD) it runs ``repo2docker --no-build --debug``, prints the lines
that decide the image (base, Python, where requirements are installed relative to ``COPY src/``, the
postBuild) and checks what `tests/test_binder.py` cannot see without repo2docker: requirements installed
before the repository is copied (a cached layer), Python >= 3.11, no test or site tool. Then it resolves
`binder/requirements.txt` with pip (``--dry-run --report``, PyTorch's own lines left out: the same CPU
build either way) and sums the installed size of each resolved distribution as this environment has it:
an estimate of the image's Python packages besides PyTorch.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("pytest", "playwright", "mkdocs")
PYTORCH = ("torch", "torchvision", "--extra-index-url")
PYTORCH_ITSELF = ("torch", "triton", "nvidia-")  # also what a file that names the repository pulls in
# The conda lock file of the base environment, its name escaped in the Dockerfile: environment.py-3.12-...
PYTHON = re.compile(r"environment-2epy-2d(\d+)-2e(\d+)")


def dockerfile(clone: Path) -> str:
    repo2docker = shutil.which("repo2docker")
    if repo2docker is None:
        raise SystemExit("repo2docker is not installed: pip install jupyter-repo2docker")
    done = subprocess.run(
        [repo2docker, "--no-build", "--debug", str(clone)], capture_output=True, text=True, check=True
    )
    return done.stdout + done.stderr


def key_lines(text: str) -> list[str]:
    wanted = re.compile(r"^(FROM|COPY .*src/|RUN .*(pip install|postBuild))|" + PYTHON.pattern)
    return [line for line in text.splitlines() if wanted.search(line)]


def check(text: str) -> list[str]:
    """What is wrong with the Dockerfile, one line each."""
    lines = text.splitlines()
    problems = []
    copy = next((i for i, line in enumerate(lines) if re.match(r"COPY .* src/ ", line)), None)
    install = next((i for i, line in enumerate(lines) if "pip install" in line and "requirements.txt" in line), None)
    if install is None or copy is None or install > copy:
        problems.append("binder/requirements.txt is installed after the repository is copied (no cached layer)")
    version = PYTHON.search(text)
    if not version or (int(version[1]), int(version[2])) < (3, 11):
        problems.append(f"Python {'.'.join(version.groups()) if version else '(not found)'} is older than 3.11")
    problems += [f"{tool} is installed" for tool in FORBIDDEN if re.search(rf"\b{tool}\b", text)]
    return problems


def installed_mib(requirements: Path) -> tuple[dict[str, float], list[str]]:
    """({distribution: MiB installed here} for what `requirements` resolves to, those not installed here)."""
    lines = [
        line
        for line in requirements.read_text().splitlines()
        if line.split("#")[0].strip() and not line.strip().startswith(PYTORCH)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        kept = requirements.with_name("requirements-besides-pytorch.txt")  # beside it: `-r ../` still resolves
        kept.write_text("\n".join(lines) + "\n")
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--dry-run",
                "--ignore-installed",
                "--report",
                str(report),
                "-r",
                str(kept),
            ],
            check=True,
            capture_output=True,
            cwd=requirements.parents[1],
        )  # the repository root, where repo2docker runs pip
        names = sorted(
            name
            for item in json.loads(report.read_text())["install"]
            if not (name := item["metadata"]["name"]).startswith(PYTORCH_ITSELF)
        )
    sizes, absent = {}, []
    for name in names:
        try:
            sizes[name] = sum(f.size or 0 for f in importlib.metadata.distribution(name).files or []) / 2**20
        except importlib.metadata.PackageNotFoundError:
            absent.append(name)
    return sizes, absent


def main(commit: str = "HEAD") -> int:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "ddlab"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
        text = dockerfile(clone)  # stdout and stderr: the Python version is announced on the latter
        print(f"repo2docker's Dockerfile for {commit}, the lines that decide the image:")
        for line in key_lines(text):
            print("   ", line)
        sizes, absent = installed_mib(clone / "binder" / "requirements.txt")
    print(
        f"Python packages besides PyTorch: {len(sizes) + len(absent)} distributions, "
        f"{sum(sizes.values()):.0f} MiB installed"
        + (f" (not installed here, not counted: {', '.join(absent)})" if absent else "")
    )
    print(
        "  the largest:",
        ", ".join(f"{name} {mib:.0f} MiB" for name, mib in sorted(sizes.items(), key=lambda item: -item[1])[:8]),
    )
    problems = check(text)
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
