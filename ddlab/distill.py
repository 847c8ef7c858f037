"""The distillation driver: one outer loop for every method.

``distill(config, data)`` looks up the method registered for the config's type and runs

    for each iteration:  loss = method.outer_loss();  loss.backward();  optimiser.step()

while it owns everything around that line: the learning-rate decay, the check that the loss is
finite, periodic validation accuracy, the progress bar, callbacks (live view, history), and Ctrl-C,
which ends the run cleanly and returns the best set seen so far, marked ``interrupted``, and
checkpoints: every `checkpoint_every` iterations it writes, atomically and sha256-verified, all a
run needs to go on (`resume`) as if it had never stopped — so a killed process (out of memory,
``kill -9``, a closed laptop, a notebook session that timed out) loses at most that many iterations.

Why the driver returns the *best* set, not the last: distilled sets sit in very sharp minima (a
pixel noise of 1% of a pixel's spread moves a fixed-init set's test accuracy by points:
benchmarks/RESULTS.md), so the last iterate of a noisy outer optimisation is a lottery ticket.
The best set is chosen on a fixed validation slice of the *training* images — never on the test set,
which only `evaluate` sees — and, under random settings, with networks from the distilling side
(``use="distill"``), never the unseen ones results are reported on.

Reproducibility: all randomness (initial images, real batches, network draws) comes from one
`torch.Generator` seeded with `seed`, so the same seed gives bit-identical results on the CPU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from . import checkpoints, profile, recordings
from .callbacks import Callback, Event
from .data import Dataset
from .evaluate import evaluate
from .methods import method_for
from .sources import cache
from .synthetic import SyntheticSet


class DivergenceError(RuntimeError):
    """The outer loss stopped being a finite number."""


# The validation slice is the same for every run (its own seed), so runs are compared fairly.
VALIDATION_SEED = 2_718_281


def validation_slice(data: Dataset, n: int = 2000) -> tuple[torch.Tensor, torch.Tensor]:
    """The `n` training examples every choice made before testing is judged on (the best set here,
    the baselines' step sizes): the same for every run, and never the test set."""
    return data.sample(n, torch.Generator().manual_seed(VALIDATION_SEED))


def distill(
    config: Any,
    data: Dataset,
    callbacks: Iterable[Callback] = (),
    seed: int = 0,
    eval_every: int | None = None,
    eval_models: int = 4,
    eval_examples: int = 2000,
    progress: bool = True,
    start_from: SyntheticSet | None = None,
    validate: bool = True,
    checkpoint: str | Path | None = None,
    checkpoint_every: int | None = None,
    resume: str | Path | None = None,
) -> SyntheticSet:
    """Distil `data` with the method of `config`; return the set with the best validation accuracy.

    start_from: a set made by the same method and layout to continue from (an interrupted run, or the
        first stage of a long one) instead of fresh images; the optimiser and schedule start anew.
    eval_every: outer iterations between validation measurements (default: every 10, at most 50 per run, and always at
        the end); the accuracy feeds callbacks, the history and the choice of the best set.
    eval_models, eval_examples: networks per measurement under a random init setting (a fixed init
        uses one) and training images in the validation slice. Kept small because a check trains
        networks and runs often; report final numbers with `evaluate`.
    validate: False skips every check and returns the last set: for timing the method alone
        (benchmarks) or when only the loss matters.
    checkpoint, checkpoint_every: write a checkpoint to `checkpoint` every `checkpoint_every`
        iterations (default: as often as the validation checks). The path is checked before the
        first iteration, so a bad one costs nothing.
    resume: a checkpoint of this very run (same config, seed and options) to go on from: the result
        is the one the uninterrupted run gives (bit-identical on the CPU), not merely a similar one,
        because the generator, the optimiser and the schedule go on from where they were too.
    """
    for name, value in (
        ("eval_every", eval_every),
        ("eval_models", eval_models),
        ("eval_examples", eval_examples),
        ("checkpoint_every", checkpoint_every),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if checkpoint_every is not None and checkpoint is None:
        raise ValueError(f"checkpoint_every={checkpoint_every} needs a checkpoint path to write to")
    if checkpoint is not None:
        checkpoint = checkpoints.check_output(checkpoint, "checkpoint")
    generator = torch.Generator().manual_seed(seed)
    method = method_for(config)(config, data, generator)
    if start_from is not None:
        method.start_from(start_from)
    callbacks = list(callbacks)
    x_validation, y_validation = validation_slice(data, eval_examples)
    validation = (x_validation, method.outer_labels(y_validation))  # judged on what the outer loss aims for
    iterations = config.iterations
    eval_every = eval_every or max(10, iterations // 50)
    checkpoint_every = checkpoint_every or eval_every
    options = {
        "seed": seed,
        "eval_every": eval_every,
        "eval_models": eval_models,
        "eval_examples": eval_examples,
        "validate": validate,
    }  # what, besides the config, decides the run: a resume must match it
    optimizer = method.make_optimizer()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.lr_decay_every, config.lr_decay)
    history: dict[str, list] = {"iteration": [], "loss": [], "time": [], "eval_iteration": [], "accuracy": []}
    best: tuple[float, SyntheticSet] | None = None  # (validation accuracy, set) of the best measurement
    accuracy: float | None = None
    done = 0  # iterations completed before this call
    if resume is not None:
        saved = checkpoints.read(resume, method, options)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        generator.set_state(saved["generator"])
        history, accuracy, done = saved["history"], saved["accuracy"], saved["iteration"]
        if saved["best"] is not None:
            best = (saved["best_accuracy"], SyntheticSet.from_state(saved["best"], data.device))
    latest: SyntheticSet = method.snapshot()  # the set after the last completed iteration
    start = time.perf_counter() - (history["time"][-1] if history["time"] else 0.0)
    bar = tqdm(total=iterations, initial=done, desc=f"distilling ({method.name})", disable=not progress, leave=True)

    def emit(iteration: int, loss: float, done: bool) -> None:
        event = Event(
            iteration,
            iterations,
            loss,
            accuracy,
            latest.images,
            latest.labels,
            latest.lrs,
            time.perf_counter() - start,
            done,
            data.to_pixels,
            latest.soft_labels,
        )
        for callback in callbacks:
            callback(event)

    iteration, loss_value, interrupted = done, (history["loss"] or [math.nan])[-1], False
    try:
        for iteration in range(done + 1, iterations + 1):
            loss = method.outer_loss()
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise DivergenceError(
                    f"outer loss became {loss_value} at iteration {iteration}; "
                    f"try a smaller learning rate than lr={config.lr}"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            latest = method.snapshot()
            history["iteration"].append(iteration)
            history["loss"].append(loss_value)
            history["time"].append(time.perf_counter() - start)
            if validate and (iteration % eval_every == 0 or iteration == iterations):
                accuracy = evaluate(
                    _finished(latest, history, seed, data),
                    data,
                    n_models=eval_models,
                    seed=seed,
                    on=validation,
                    use="distill",
                ).mean
                history["eval_iteration"].append(iteration)
                history["accuracy"].append(accuracy)
                if best is None or accuracy > best[0]:
                    best = (accuracy, latest)
            if checkpoint is not None and iteration % checkpoint_every == 0:
                checkpoints.write(
                    checkpoint,
                    {
                        **checkpoints.header(method),
                        "options": options,
                        "iteration": iteration,
                        "method": method.state(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "generator": generator.get_state(),
                        "history": history,
                        "accuracy": accuracy,
                        "best": None if best is None else best[1].state(),
                        "best_accuracy": None if best is None else best[0],
                    },
                )
            bar.update(1)
            bar.set_postfix(
                loss=f"{loss_value:.3f}", acc="—" if accuracy is None else f"{100 * accuracy:.1f}%", refresh=False
            )  # the bar redraws on its own clock, not every iteration
            emit(iteration, loss_value, done=False)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    if best is not None:
        latest = best[1]
    emit(iteration, loss_value, done=True)  # the last frame shows the set that is returned
    result = _finished(latest, history, seed, data)
    result.interrupted = interrupted
    return result


def _finished(snapshot: SyntheticSet, history: dict[str, list], seed: int, data: Dataset) -> SyntheticSet:
    """`snapshot` with the run's bookkeeping attached (config already carries the method name)."""
    snapshot.history = {k: list(v) for k, v in history.items()}
    snapshot.seed = seed
    snapshot.config = {**snapshot.config, "dataset": data.name}
    return snapshot


# How many checkpoints `load_or_distill` writes per run unless told: a killed session loses at most
# a twentieth of its run, for a save that costs far less than an iteration's worth of a twentieth.
CHECKPOINTS = 20


def made_before(config: Any, data: Dataset, seed: int = 0, **options: Any) -> bool:
    """Whether ``load_or_distill(config, data, seed=seed, **options)`` would load its set (or, in the
    seminar profile, replay its recording) rather than distil: what a caller that times the run
    needs to know."""
    if profile.current() == "seminar" and recordings.find(config, data, seed, **options):
        return True
    return recordings.run_path(recordings.run_key(config, data, seed, options)).is_file()


def load_or_distill(
    config: Any,
    data: Dataset,
    callbacks: Iterable[Callback] = (),
    seed: int = 0,
    checkpoint_every: int | str | None = "auto",
    **options: Any,
) -> SyntheticSet:
    """`distill(config, data, callbacks, seed, **options)`, made once per machine: the finished set
    is kept in the data cache under a digest of everything that decides it (method, config, seed,
    dataset, driver options), and a later call with the same arguments loads it, verified, instead of
    distilling again. So a set one notebook makes is the set later notebooks load (one run, reused),
    and the callbacks still see it: one final event with the set and its run's last numbers.
    A run that was interrupted is returned but not kept.

    Each finished live run also keeps its recording (`ddlab.recordings`, a few hundred kB of uint8
    frames) beside the cache, so a teacher who runs the course once in the default profile presents
    it in the seminar profile with every run replayed, not only the shipped ones.

    checkpoint_every: checkpoint the run beside the cached set every so many iterations ("auto":
    `CHECKPOINTS` times per run; None: never), and go on from that checkpoint when a call finds one,
    so a notebook whose Binder or Colab session timed out or was restarted resumes where it stopped,
    with the uninterrupted run's result. It does not change the set, so it is not in the digest."""
    if checkpoint_every == "auto":
        checkpoint_every = max(1, config.iterations // CHECKPOINTS)
    key = recordings.run_key(config, data, seed, options)
    path = recordings.run_path(key)
    if profile.current() == "seminar" and (recording := recordings.find(config, data, seed, **options)):
        recordings.replay(recording, callbacks)  # its evolution in a few seconds, then its set
        return recording.result(data.device)
    if path.is_file():
        state = cache.read_state(path, "cached run", remedy="; delete it to distil again")
        made = SyntheticSet.from_state(state, data.device)
        history = made.history
        event = Event(
            len(history.get("loss", [])),
            config.iterations,
            (history.get("loss") or [math.nan])[-1],
            (history.get("accuracy") or [None])[-1],
            made.images,
            made.labels,
            made.lrs,
            (history.get("time") or [0.0])[-1],
            True,
            data.to_pixels,
        )
        for callback in callbacks:
            callback(event)
        return made
    checkpoint = path.with_name(path.stem + ".checkpoint.pt") if checkpoint_every else None
    resume = checkpoint if checkpoint is not None and checkpoint.is_file() else None
    recorder = recordings.Recorder() if resume is None else None  # a resumed run saw only its second half
    watchers = [*callbacks, recorder] if recorder is not None else list(callbacks)
    made = distill(
        config,
        data,
        callbacks=watchers,
        seed=seed,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        resume=resume,
        **options,
    )
    if not made.interrupted:
        cache.write_state(path, made.state())
        if recorder is not None and recorder.done:
            recorder.recording(key=key).save(recordings.cache_path(key))
        if checkpoint is not None:
            for stale in (checkpoint, cache.sidecar(checkpoint)):
                stale.unlink(missing_ok=True)
    return made
