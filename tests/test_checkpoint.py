"""Checkpoints: a run stopped after a checkpoint and resumed from it ends exactly where an
uninterrupted run with the same seed ends (bit-identical on the CPU), for every kind of state a
method keeps; a killed process loses nothing but the iterations since its last checkpoint; and a
checkpoint of another run, or a bad path, is refused before any iteration."""

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ddlab import DD, SyntheticSet, distill
from ddlab.methods import config_for
from ddlab.sources.cache import sidecar

TINY = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=5)
CONFIGS = {  # one per kind of state: Adam + learned step sizes; random draws; a followed network; SGD
    "dd_fixed": TINY,
    "dd_random": dataclasses.replace(TINY, init="random", n_nets=2, iterations=4),
    "dc": config_for(
        "dc", ipc=1, iterations=5, width=8, real_batch=16, outer_loop=3, inner_loop=1, validation_epochs=2
    ),
    "dm": config_for("dm", ipc=1, iterations=4, width=8, real_batch=16, validation_epochs=2),
}


def _stop_after(n):
    def stop(event):
        if event.iteration == n and not event.done:
            raise KeyboardInterrupt

    return stop


@pytest.mark.parametrize("name", CONFIGS)
def test_a_resumed_run_is_bit_identical_to_an_uninterrupted_one(mnist, tmp_path, name):
    config = CONFIGS[name]
    whole = distill(config, mnist, seed=1, eval_every=2, progress=False)
    checkpoint = tmp_path / "run.checkpoint.pt"
    # stopped one iteration after the checkpoint at 2: iteration 3 is lost and must be redone the same
    stopped = distill(
        config,
        mnist,
        seed=1,
        eval_every=2,
        progress=False,
        callbacks=[_stop_after(3)],
        checkpoint=checkpoint,
        checkpoint_every=2,
    )
    assert stopped.interrupted and checkpoint.is_file() and sidecar(checkpoint).is_file()
    events = []
    resumed = distill(config, mnist, seed=1, eval_every=2, progress=False, resume=checkpoint, callbacks=[events.append])
    assert torch.equal(resumed.images, whole.images)
    assert (resumed.lrs is None and whole.lrs is None) or torch.equal(resumed.lrs, whole.lrs)
    assert resumed.history["loss"] == whole.history["loss"]
    assert resumed.history["accuracy"] == whole.history["accuracy"]
    assert [e.iteration for e in events][0] == 3  # it went on from the checkpoint, not from 1
    assert not resumed.interrupted


def test_a_resumed_mtt_run_keeps_its_learned_step_size(mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))  # the tiny experts are built into a scratch cache
    config = config_for(
        "mtt",
        ipc=1,
        syn_steps=2,
        expert_epochs_matched=1,
        max_start_epoch=1,
        n_experts=2,
        expert_epochs=2,
        expert_examples=256,
        width=8,
        iterations=4,
        lr_lr=10.0,
    )
    whole = distill(config, mnist, seed=0, validate=False, progress=False)
    checkpoint = tmp_path / "mtt.checkpoint.pt"
    distill(
        config,
        mnist,
        seed=0,
        validate=False,
        progress=False,
        callbacks=[_stop_after(3)],
        checkpoint=checkpoint,
        checkpoint_every=2,
    )
    resumed = distill(config, mnist, seed=0, validate=False, progress=False, resume=checkpoint)
    assert torch.equal(resumed.images, whole.images)
    assert resumed.config["learned_lr"] == whole.config["learned_lr"] != config.inner_lr


def test_a_checkpoint_of_another_run_is_refused(mnist, tmp_path):
    checkpoint = tmp_path / "run.checkpoint.pt"
    distill(TINY, mnist, seed=1, progress=False, validate=False, checkpoint=checkpoint, checkpoint_every=2)
    with pytest.raises(ValueError, match=r"made with setting lr=0\.01, not 0\.02; resume with the run's own"):
        distill(dataclasses.replace(TINY, lr=0.02), mnist, seed=1, validate=False, progress=False, resume=checkpoint)
    with pytest.raises(ValueError, match="made with option seed=1, not 2"):
        distill(TINY, mnist, seed=2, validate=False, progress=False, resume=checkpoint)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        distill(TINY, mnist, progress=False, resume=tmp_path / "missing.pt")
    checkpoint.write_bytes(checkpoint.read_bytes()[:-1] + b"x")
    with pytest.raises(ValueError, match="fails its sha256 check"):
        distill(TINY, mnist, seed=1, validate=False, progress=False, resume=checkpoint)


def test_a_bad_checkpoint_path_fails_before_any_iteration(mnist, tmp_path):
    (tmp_path / "file").write_text("")
    events = []
    with pytest.raises(
        ValueError, match=r"cannot write the checkpoint to .*file/c\.pt: .*file is a file, not a folder"
    ):
        distill(TINY, mnist, progress=False, callbacks=[events.append], checkpoint=tmp_path / "file" / "c.pt")
    assert events == []
    with pytest.raises(ValueError, match="checkpoint_every=2 needs a checkpoint path"):
        distill(TINY, mnist, progress=False, checkpoint_every=2)


def _command(out, *extra):
    return [
        sys.executable,
        "-m",
        "ddlab",
        "distill",
        "dd",
        "--init",
        "fixed",
        "--steps",
        "1",
        "--epochs",
        "2",
        "--iterations",
        "6",
        "--real-batch",
        "64",
        "--eval-every",
        "2",
        "--n-models",
        "1",
        "--out",
        str(out),
        "--device",
        "cpu",
        *extra,
    ]


def test_a_run_killed_with_sigkill_resumes_to_the_same_images(tmp_path):
    """`kill -9` gives the process no chance to save anything: only the checkpoint survives, and
    the resumed run must end with the images of a run that was never killed."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    killed_out, checkpoint = tmp_path / "killed.pt", tmp_path / "killed.checkpoint.pt"
    # A callback cannot be injected into a subprocess; instead each iteration is made slow enough
    # (a full real batch) that the kill lands between the first checkpoint and the end of the run.
    run = subprocess.Popen(
        _command(killed_out, "--checkpoint-every", "2"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not sidecar(checkpoint).is_file() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=60)
    if run.returncode == 0:
        pytest.skip("the run finished before it could be killed (a very fast machine)")
    assert run.returncode == -signal.SIGKILL and checkpoint.is_file() and not killed_out.exists()
    resumed = subprocess.run(
        _command(killed_out, "--checkpoint-every", "2", "--resume", str(checkpoint)),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not checkpoint.exists(), "a finished run removes its checkpoint"
    whole_out = tmp_path / "whole.pt"
    whole = subprocess.run(_command(whole_out), env=env, capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr[-2000:]
    a, b = SyntheticSet.load(killed_out), SyntheticSet.load(whole_out)
    assert torch.equal(a.images, b.images) and torch.equal(a.lrs, b.lrs)
    assert a.history["loss"] == b.history["loss"]
