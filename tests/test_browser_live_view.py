"""In a real browser, a learner running notebook 01 sees the digits evolve live and can scrub them after.

tests/test_notebooks_run.py runs the notebooks but ignores widget messages, so only a browser shows that the live view
reaches the page. This test starts JupyterLab on a copy of notebook 01 (quick profile), opens it
in headless Chromium (Debian's `chromium`, driven by Playwright; no browser download), runs all
cells from the Run menu as a learner would, and reads everything it asserts from the page itself: a
MutationObserver in the page records every picture (the bytes behind the widget's <img>) and status
line the live view shows, then the replay slider is moved with the keyboard. What counts as
"working" is decided in live_view_checks.py; test_live_view_checks.py shows that those checks
reject a live view that stops updating.

Screenshots for a person land in build/browser/. Without Chromium or Playwright the test is skipped
with the reason, except where the variable CI is set (.ci/run sets it): there it fails, as CI
must run it (.ci/run installs Chromium, requirements.txt has Playwright).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from live_view_checks import ReplayStep, Sample, live_view_problems, replay_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_mnist_one_image_per_class.ipynb"
SHOTS = ROOT / "build" / "browser"
LIVE_CELL = "ddlab.LiveView("  # text of the one cell that distils with a live view
REPLAY_CELL = ".replay()"  # text of the one cell that shows the replay
TIMEOUT_MS = 120_000  # longest wait for one thing on the page (page load: ~10-20 s)
RUN_TIMEOUT_MS = 300_000  # longest wait for Run All (quick profile: ~15 s idle, ~50 s loaded)
# Chromium must stay off the closed network: no background services, no name lookups but loopback
# (the notebook's Colab badge would otherwise be fetched).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# JupyterLab user settings for the test: every cell in the DOM (no windowing, so the observed
# outputs exist before they scroll into view) and no news or update checks.
LAB_SETTINGS = {
    "notebook-extension/tracker": {"windowingMode": "none"},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

# In the page, `ddlabTest`:
# - state(text): what the widget output of the one code cell whose source contains `text` shows now
#   (picture URL, status line, slider); watch(text) records it at every change.
# - recorded(text), now(text): those states with `picture`, the sha256 of the picture's bytes (null
#   for none or empty): blob URLs change at every update even when the bytes do not. The bytes are
#   fetched as soon as a URL is seen, before the widget revokes it.
# - kernelReady(): the notebook's kernel is started and connected. The status indicator alone is
#   not enough: it reads "idle" while the toolbar still says "No Kernel", and Run All then opens
#   the "Select Kernel" dialog instead of running.
# - finished(): Run All has finished (kernel idle, nothing queued, something executed).
RECORDER = """() => {
  const digests = new Map();
  const digest = src => {
    if (!digests.has(src)) {
      digests.set(src, fetch(src).then(r => r.arrayBuffer())
        .then(b => b.byteLength ? crypto.subtle.digest('SHA-256', b) : null)
        .then(h => h && [...new Uint8Array(h)].map(x => x.toString(16).padStart(2, '0')).join('')));
    }
    return digests.get(src);
  };
  const cell = text => {
    const found = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
      .filter(c => c.querySelector('.jp-InputArea').textContent.includes(text));
    if (found.length !== 1) throw new Error(`${found.length} code cells contain ${text}, want 1`);
    return found[0];
  };
  const state = text => {
    const out = cell(text).querySelector('.jp-OutputArea');
    const img = out.querySelector('img.widget-image');
    const status = img && img.parentElement.querySelector(':scope > div.widget-label');
    const handle = out.querySelector('.noUi-handle');
    if (img && img.src) digest(img.src);
    return {time: performance.now() / 1000, src: img ? img.src : null,
            status: status ? status.textContent : null,
            slider: handle ? Number(handle.getAttribute('aria-valuenow')) : null};
  };
  const resolve = states => Promise.all(states.map(async s => ({...s, picture: s.src ? await digest(s.src) : null})));
  const kernelStatus = () => document.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
  const recorded = new Map();
  window.ddlabTest = {
    watch(text) {
      const states = [];
      recorded.set(text, states);
      const record = () => {
        const s = state(text), last = states[states.length - 1];
        if (!last || last.src !== s.src || last.status !== s.status) states.push(s);
      };
      record();
      new MutationObserver(record).observe(cell(text), {subtree: true, childList: true, attributes: true,
                                                        characterData: true});
    },
    state,
    pictures: text => new Set(recorded.get(text).map(s => s.src).filter(Boolean)).size,
    recorded: text => resolve(recorded.get(text)),
    now: async text => (await resolve([state(text)]))[0],
    kernelReady() {
      const kernel = document.querySelector('.jp-NotebookPanel .jp-Toolbar-kernelName')?.textContent.trim();
      return !!kernel && kernel !== 'No Kernel' && kernelStatus() === 'idle';
    },
    finished() {
      const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
        .map(p => p.textContent.trim());
      return kernelStatus() === 'idle' && !prompts.includes('[*]:') && prompts.some(p => /^\\[\\d+\\]:$/.test(p));
    },
  };
}"""


def unavailable(reason: str):
    """Skip for a learner's machine without a browser; fail under CI, which must run this test."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser test must run; .ci/run installs it)")
    pytest.skip(reason)


def save(name: str, png: bytes) -> None:
    """Write a screenshot to build/browser/ atomically, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    partial = SHOTS / f"{name}.partial"
    partial.write_bytes(png)
    partial.replace(SHOTS / name)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, token: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Poll the server's REST API until it answers; fail with its log if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}; its log:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(urllib.error.URLError, OSError):
            request = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=2):
                return
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer at {url} within {timeout:.0f} s; its log: {log}")


def stop(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group (the server then shuts its kernels down); after 15 s
    SIGKILL it, and kill any kernel still alive (kernels run in sessions of their own)."""
    import psutil  # a dependency of ipykernel, so present wherever JupyterLab is

    kernels = []
    with contextlib.suppress(psutil.NoSuchProcess):
        kernels = psutil.Process(server.pid).children(recursive=True)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    for process in psutil.wait_procs(kernels, timeout=5)[1]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def data_root_without_runs(root: Path) -> Path:
    """A data root that shares this machine's datasets but none of its finished runs or recordings.

    The notebook's live cell calls `load_or_distill`, which loads a run finished earlier on the same
    machine (a previous test session, or a learner's) with one final event: the live view would
    then have nothing to show evolving, and this test would fail on a machine that is fine."""
    from ddlab.data import data_root, load

    load("mnist")  # fetched into the shared root once, as a learner's first notebook does
    root.mkdir()
    for entry in data_root().iterdir():
        if entry.name not in ("runs", "recordings"):
            (root / entry.name).symlink_to(entry)
    return root


@pytest.fixture
def lab(tmp_path):
    """(url, token) of a JupyterLab serving a copy of notebook 01 in the quick profile; stopped after."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOK, notebooks)
    for name, values in LAB_SETTINGS.items():
        path = tmp_path / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "DDLAB_PROFILE": "quick",
        "DDLAB_DATA": str(data_root_without_runs(tmp_path / "ddlab")),
        # Jupyter's own state goes to the temporary folder, not the user's home.
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    env.pop("MPLBACKEND", None)  # conftest's Agg would hide the notebook's figures; a learner has inline
    port, token = free_port(), secrets.token_hex(16)
    log = tmp_path / "jupyterlab.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={notebooks}",
                "--allow-root",
                "--ServerApp.terminals_enabled=False",
                "--LabApp.extension_manager=readonly",
            ],  # no extension manager queries to PyPI
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, token, server, log)
        yield url, token
    finally:
        stop(server)


@pytest.fixture
def chromium() -> str:
    """The Chromium to drive, checked before anything is started (skip or fail: see `unavailable`)."""
    try:
        import playwright.sync_api  # noqa: F401  (only whether it is there)
    except ImportError:
        unavailable("Playwright is not installed (pip install -r requirements.txt)")
    path = shutil.which("chromium")
    if path is None:
        unavailable("no `chromium` on PATH (Debian/Ubuntu: apt-get install chromium)")
    return path


@pytest.fixture
def page(chromium):
    """A headless Chromium page; its last view is saved to build/browser/page.png, pass or fail."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except Error as error:
            lines = str(error).splitlines()
            said = [line for line in lines if "[err]" in line] or lines[:1]  # Chromium's own stderr first
            unavailable(f"Chromium at {chromium} does not start: {said[-1].strip()}")
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_default_timeout(TIMEOUT_MS)
            yield tab
            save("page.png", tab.screenshot())
        finally:
            browser.close()


def code_cell(page, text: str):
    return page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=text)


def cells_not_run(page) -> list[int]:
    """Indices of the code cells without an execution count (Run All stops at an error)."""
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    return [i for i, prompt in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", prompt.strip())]


def test_learner_sees_the_live_view_and_can_scrub_it(chromium, lab, page):
    # Fixture order: Chromium is checked first, and the page is closed (and shot) before JupyterLab stops.
    from playwright.sync_api import TimeoutError as PageTimeout

    url, token = lab
    page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}")
    page.wait_for_function(
        "text => document.querySelector('.jp-Notebook')?.textContent.includes(text)", arg=REPLAY_CELL
    )
    page.evaluate(RECORDER)
    page.wait_for_function("() => ddlabTest.kernelReady()")
    page.evaluate("text => ddlabTest.watch(text)", LIVE_CELL)

    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # A view that never changes gets this screenshot after the run; the checks below say what is wrong.
    page.wait_for_function(
        "text => ddlabTest.pictures(text) >= 2 || ddlabTest.finished()", arg=LIVE_CELL, timeout=RUN_TIMEOUT_MS
    )
    save("live-view-during-run.png", code_cell(page, LIVE_CELL).screenshot())
    page.wait_for_function("() => ddlabTest.finished()", timeout=RUN_TIMEOUT_MS)
    not_run = cells_not_run(page)
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert not not_run, f"code cells {not_run} did not run; stderr:\n" + "\n".join(errors.all_inner_texts())[-3000:]

    live = [
        Sample(s["time"], s["picture"], s["status"])
        for s in page.evaluate("text => ddlabTest.recorded(text)", LIVE_CELL)
    ]
    save("live-view-after-run.png", code_cell(page, LIVE_CELL).screenshot())
    problems = live_view_problems(live)
    assert not problems, "; ".join(problems) + f"\nstatus lines seen: {[s.status for s in live]}"
    image = code_cell(page, LIVE_CELL).locator("img.widget-image").first  # the picture; the loss sparkline is second
    assert image.is_visible() and image.evaluate("img => img.complete && img.naturalWidth > 0"), (
        "the live view's picture is in the page but not visible, or not a decodable image"
    )

    # Scrub the replay with the keyboard: two steps right, then to the last frame.
    handle = code_cell(page, REPLAY_CELL).locator(".noUi-handle")
    steps = [page.evaluate("text => ddlabTest.now(text)", REPLAY_CELL)]
    for key in ["ArrowRight", "ArrowRight", "End"]:
        handle.press(key)
        with contextlib.suppress(PageTimeout):  # nothing changed: replay_problems says what
            page.wait_for_function(
                "([text, before]) => { const now = ddlabTest.state(text); "
                "return now.src !== before.src && now.status !== before.status; }",
                arg=[REPLAY_CELL, steps[-1]],
                timeout=30_000,
            )
        steps.append(page.evaluate("text => ddlabTest.now(text)", REPLAY_CELL))
    save("replay-after-scrub.png", code_cell(page, REPLAY_CELL).screenshot())
    problems = replay_problems(
        [ReplayStep(s["slider"], s["picture"], s["status"]) for s in steps], last_live_picture=live[-1].picture
    )
    assert not problems, "; ".join(problems) + f"\nsteps: {steps}"
