"""Recorded runs: a distillation's evolution kept small, so a seminar can replay it in seconds.

A teacher presenting the course has no time for a five-minute distillation, but the point of a
live run is to *see* the digits emerge. So a run made once in the default profile is recorded
(`Recorder`, a `distill` callback) and, in the ``seminar`` profile, `find` looks the recording up for
the very same call (config, data, seed, driver options) and `replay` feeds its frames to the
callbacks as events, paced to a few seconds: a `LiveView` shows the images emerging "as if live",
its status line marked ``replay``, and leaves its filmstrip as after a real run.

What a recording holds (`Recording`; saved with `ddlab.sources.cache.write_state`, so atomically,
with a sha256 sidecar, read back with ``weights_only=True``):

- at most `Recorder.max_frames` frames, evenly spread over the planned iterations, always the first
  and the last: the synthetic images as **uint8 pixels** (a quarter of float32, and all a picture
  needs), their labels, and each frame's iteration, loss, validation accuracy and elapsed seconds
  (and its learned label vectors, for a set that learns them, so a replay draws their bars too);
- the learned step sizes of the last frame (DD), and the run's key (what `find` matched);
- optionally the finished set itself (`SyntheticSet.state()`), so a shipped recording needs no
  other file: the last frame is the set `distill` returned, and `Recording.result` gives it back.

Where recordings are found, in this order:

1. ``assets/recordings/<method>_<digest>.pt``: shipped with the course. Each file's sha256 is
   registered in `SHA256` below (like the reference sets in `ddlab.sources.assets`), so a stale or
   tampered file is refused with a one-line error; made by ``benchmarks/make_recordings.py``, which
   prints the line to add here. Where ddlab was installed without the repository (Colab), a
   registered file is fetched once from GitHub into the data cache.
2. ``<data root>/recordings/<method>_<digest>.pt``: recordings made on this machine (verified by
   their sidecar), e.g. by a default-profile run that kept one beside its cached set.

`<method>_<digest>` is the name `ddlab.load_or_distill` gives the cached run of the same call
(`run_key`, `run_path`), so a recording and its set are found by the same key.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor

from .callbacks import Event
from .data import cache_file
from .methods import method_for
from .sources import cache
from .sources.course_files import FetchError, course_file
from .synthetic import SyntheticSet, plain

FORMAT = "ddlab recording 1"
RECORDINGS_DIR = Path(__file__).resolve().parents[1] / "assets" / "recordings"
MAX_FRAMES = 40  # 10 MNIST images a frame: 40 frames are 314 kB of uint8, and 10 per replayed second
MAX_BYTES = 400_000  # ... and fewer frames for bigger sets (100 images: 5 frames), so a recording stays small
REPLAY_SECONDS = 4.0  # how long a replay lasts: long enough to watch, short enough for a seminar

# <method>_<digest> (see `run_key`) -> sha256 of assets/recordings/<that>.pt. Each line is printed by
# benchmarks/make_recordings.py, which made the file; tests/test_recordings.py keeps them in step.
SHA256: dict[str, str] = {
    "dd_58dffaf0415f": "30cfb9eea4d2802eb5b05391019c56771341a10fd186759c61b2935ab48cc462",  # notebook 01: dd_fixed_mnist_10()
    "dd_cdf7ddb0cd0d": "e6dea4f219960ced766879b105380946d20273286c758e04986643c2efd05cd9",  # notebook 02: dd_init_settings_mnist_10()
    "dd_f2e4ed32566b": "81bde738ea69eead6da78a13a72bb9fb0d3e72180475fd143474758e51284d1d",  # notebook 02: the same under the fixed init
    "dd_5210cc3e5b7c": "4bd33e0a9335f4caa9864ca307a9a6a25834fca2e4badbc94de6b4c3aaba5afa",  # notebooks 02 and 04: dd_adaptation('fixed_pretrained')
    "dd_3eb0ee7845ef": "885d03a93f2fbea78b9766f31f564eaec6262ee65c14a23f6c09885d5d0b473f",  # notebooks 02 and 04: dd_adaptation('random_pretrained')
    "dd_4489217e42a7": "18f8f1bcebc4f7307be7dc55c7ec8c661fa3e2895ac0e2dc745939526fd0cf85",  # notebook 04: dd_poison(attack=(3, 8))
    "dc_7d738ed9d1d8": "2fa6ccdbb1f7c6cafd8e0d010bdff6af9af8e6e040dd68a46007df831953d9d6",  # notebook 05: dc_mnist(1), 4 checks
    "dsa_2ed4f9ccd659": "10da4b3e432b28a04c37f2ad452d8e0e6a99adf250d39ae8eaf61745b2084a32",  # notebook 06: dsa_mnist(1), 4 checks
    "dm_99e2c70bb2a2": "baf49360c51e67eb9d7810cfa92a07a54f2335a8773c00754610e9d06479dc84",  # notebooks 07 and 10-12: dm_mnist(1), 4 checks
    "dm_598c33b84225": "7ffac182b571a0a7d80ccc1179de0af5fd31af4b201062855a6dffb72ad7066c",  # notebook 07: dm_mnist(10), 1 check
    "mtt_70e362c0b13d": "f1e9dd41e07ec0ba8f59e96bbcd7b9d117a1770595df51b8e3f88925eb0caf01",  # notebook 08: mtt_mnist(1), 6 checks
    "dd_511af583014c": "89ebbfe66821a6c46a4d7cd45a1aded2e418f2caa1f617e2b0799805c38d5b4c",  # notebook 09: leaderboard_live('dd', 1)
    "dd_561a79a3060a": "7316d6f26fd96f0a6e6f33b6913f4e72d593279bc3ea3c240851874d46b9ca3d",  # notebook 13: dd_labels_mnist(5)
    "kip_e4899af9a093": "5a4b7f1f4ef2a0fd40c4f0e87f7445f24c62a9b04969aefd18ddda5bfc659bf7",  # notebook 13: kip_live(1), 1 check
    "dm_1e95c88019c5": "2e855f1aac2a70b5be482dcd24eeec19c76d42745b339237b0807907c402acb0",  # notebook 13: dm_mnist(1) on Fashion-MNIST, 4 checks
    "sre2l_06b6732f73cc": "5640f0b22db50cf5f59c080953071c8bea6e2a6c819781f56de4311c064932ff",  # notebook 15: sre2l_live(1), 2 checks
    "idc_fb27f19cf9e1": "26b0b474e510ea2fd492ba5e0033c4b000d9428b0fb92a1174dac5ebe2bf8786",  # notebook 14: idc_live(1), 2 checks
}


# --- keys: the same call finds the same run and the same recording -------------------------------


def run_key(config: Any, data: Any, seed: int = 0, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything that decides a run's result: method, config, seed, dataset (a `Dataset` or its
    name) and the driver's options. The key `ddlab.load_or_distill` caches a run under."""
    return {
        "config": plain({"method": method_for(config).name, **cache.keyed_fields(config)}),
        "seed": seed,
        "dataset": data if isinstance(data, str) else data.name,
        "options": plain(dict(options or {})),
    }


def run_name(key: dict[str, Any]) -> str:
    """``<method>_<12 hex digits>``: the file name (without ``.pt``) of the run and its recording."""
    return f"{key['config']['method']}_{cache.key_digest(key)}"


def run_path(key: dict[str, Any]) -> Path:
    """Where `ddlab.load_or_distill` keeps the finished set of the run `key`."""
    return cache_file("runs", f"{run_name(key)}.pt")


def cache_path(key: dict[str, Any]) -> Path:
    """Where a recording of the run `key` made on this machine is kept."""
    return cache_file("recordings", f"{run_name(key)}.pt")


# --- what a recording is -------------------------------------------------------------------------


class ReplayEvent(Event):
    """An `Event` fed by `replay` rather than by a running `distill`. Callbacks that throttle by
    wall clock (`LiveView`) draw every one of them: the frames were chosen when they were recorded,
    and the replay paces them."""

    replayed: ClassVar[bool] = True


def _as_is(pixels: Tensor) -> Tensor:
    return pixels


@dataclass
class Recording:
    frames: Tensor  # (F, N, C, H, W) uint8 pixels, oldest first
    labels: Tensor  # (N,) classes of the images
    iteration: Tensor  # (F,) int64: the outer iteration each frame shows
    loss: Tensor  # (F,) float64: outer loss at that iteration
    accuracy: Tensor  # (F,) float64: latest validation accuracy, NaN before the first
    elapsed: Tensor  # (F,) float64: seconds since the run started
    iterations: int  # outer iterations the run planned
    lrs: Tensor | None = None  # learned step sizes of the last frame (DD), else None
    key: dict[str, Any] | None = None  # the run's `run_key`, None for an unkeyed recording
    set_state: dict[str, Any] | None = None  # the finished set (`SyntheticSet.state()`), if kept
    soft_labels: Tensor | None = None  # (F, N, classes) learned label vectors per frame, if any

    def __len__(self) -> int:
        return self.frames.shape[0]

    def pixels(self, i: int = -1) -> Tensor:
        """Frame `i` as float pixels in [0, 1], (N, C, H, W)."""
        return self.frames[i].float() / 255

    def events(self) -> list[ReplayEvent]:
        """The frames as events (images in pixel space, so `pixels()` returns them as recorded);
        the last is ``done``."""
        last = len(self) - 1
        return [
            ReplayEvent(
                int(self.iteration[i]),
                self.iterations,
                float(self.loss[i]),
                None if math.isnan(self.accuracy[i]) else float(self.accuracy[i]),
                self.pixels(i),
                self.labels,
                self.lrs if i == last else None,
                float(self.elapsed[i]),
                i == last,
                _as_is,
                None if self.soft_labels is None else self.soft_labels[i],
            )
            for i in range(len(self))
        ]

    def describe(self) -> str:
        """One line: 'a recorded run of dd (6000 iterations, 295 s when recorded; 40 frames)'."""
        method = (self.key or {}).get("config", {}).get("method")
        return (
            f"a recorded run{f' of {method}' if method else ''} ({int(self.iteration[-1])} iterations, "
            f"{float(self.elapsed[-1]):.0f} s when recorded; {len(self)} frames)"
        )

    def result(self, device: torch.device | str = "cpu") -> SyntheticSet:
        """The set the recorded run returned: kept in the recording, else the cached run of its key."""
        if self.set_state is not None:
            return SyntheticSet.from_state(self.set_state, device)
        path = run_path(self.key) if self.key is not None else None
        if path is None or not path.is_file():
            raise FileNotFoundError(
                f"this recording keeps no set and its run is not cached "
                f"({path or 'the recording has no key'}); distil it with ddlab.load_or_distill"
            )
        return SyntheticSet.from_state(
            cache.read_state(path, "cached run", remedy="; delete it to distil again"), device
        )

    def has_result(self) -> bool:
        return self.set_state is not None or (self.key is not None and run_path(self.key).is_file())

    def state(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "frames": self.frames,
            "labels": self.labels,
            "iteration": self.iteration,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "elapsed": self.elapsed,
            "iterations": self.iterations,
            "lrs": self.lrs,
            "key": self.key,
            "set": self.set_state,
            "soft_labels": self.soft_labels,
        }

    def save(self, path: str | Path) -> Path:
        """Write atomically with a sha256 sidecar (`ddlab.sources.cache.write_state`)."""
        return cache.write_state(Path(path), self.state())

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """A recording written by `save`, verified against its sidecar; one-line ValueError otherwise."""
        path = Path(path)
        state = cache.read_state(path, "recording", remedy=_REMEDY)
        return cls._from_state(state, path)

    @classmethod
    def _from_state(cls, state: dict[str, Any], path: Path) -> Recording:
        if state.get("format") != FORMAT:
            raise ValueError(f"recording {path} is not a {FORMAT!r} file{_REMEDY}")
        try:
            made = cls(
                state["frames"],
                state["labels"],
                state["iteration"],
                state["loss"],
                state["accuracy"],
                state["elapsed"],
                int(state["iterations"]),
                state["lrs"],
                state["key"],
                state["set"],
                state.get("soft_labels"),
            )
        except KeyError as missing:
            raise ValueError(f"recording {path} lacks {missing}{_REMEDY}") from None
        n = made.frames.shape[0]
        if (
            made.frames.dtype != torch.uint8
            or made.frames.dim() != 5
            or n == 0
            or any(t.shape != (n,) for t in (made.iteration, made.loss, made.accuracy, made.elapsed))
        ):
            raise ValueError(f"recording {path} has malformed frames{_REMEDY}")
        return made


_REMEDY = "; restore it from git, or make it again with benchmarks/make_recordings.py"


# --- recording a run -----------------------------------------------------------------------------


class Recorder:
    """A `distill` callback that keeps at most `max_frames` frames of the run (fewer where the
    frames would pass `max_bytes` of uint8 pixels), evenly spread over
    its planned iterations, always the first and the last (the ``done`` event: the set `distill`
    returns, which replaces a frame of the same iteration). Cheap between frames: an event's images
    are turned into pixels only when they are kept.

        recorder = Recorder()
        result = ddlab.load_or_distill(config, data, callbacks=[live, recorder], seed=0)
        recorder.recording(key=run_key(config, data, 0), result=result).save(path)
    """

    def __init__(self, max_frames: int = MAX_FRAMES, max_bytes: int = MAX_BYTES):
        if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
            raise ValueError(f"max_frames must be an int >= 2, got {max_frames!r}")
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._picks: set[int] | None = None
        self._rows: list[tuple[int, float, float, float, Tensor, Tensor | None]] = []
        # per kept frame: iteration, loss, accuracy, elapsed, uint8 pixels, learned label vectors (or None)
        self.labels: Tensor | None = None
        self.lrs: Tensor | None = None
        self.iterations = 0
        self.done = False

    def __call__(self, event: Event) -> None:
        if self._picks is None:
            self.iterations = event.iterations
            last = max(event.iterations, 1)
            self.max_frames = max(2, min(self.max_frames, self.max_bytes // event.images.numel()))  # uint8 frames
            n = min(self.max_frames, last)  # evenly spread from iteration 1 to the last
            self._picks = {1 + round(k * (last - 1) / max(n - 1, 1)) for k in range(n)}
        if not (event.done or event.iteration in self._picks):
            return
        if self._rows and self._rows[-1][0] == event.iteration:
            if not event.done:
                return  # already kept
            self._rows.pop()  # the done event replaces it: it shows the returned set
        pixels = torch.nan_to_num(event.pixels().float(), nan=0.0, posinf=1.0, neginf=0.0).clamp(0, 1)
        accuracy = math.nan if event.accuracy is None else float(event.accuracy)
        soft = None if event.soft_labels is None else event.soft_labels.detach().cpu().float().clone()
        self._rows.append(
            (
                event.iteration,
                float(event.loss),
                accuracy,
                float(event.elapsed),
                (pixels * 255).round().to(torch.uint8),
                soft,
            )
        )
        if len(self._rows) > self.max_frames:  # an interrupted run's done event: one frame too many
            del self._rows[-2]
        self.labels = event.labels.detach().cpu()
        if event.done:
            self.lrs = None if event.lrs is None else event.lrs.detach().cpu().float()
            self.done = True

    def __len__(self) -> int:
        return len(self._rows)

    def recording(self, key: dict[str, Any] | None = None, result: SyntheticSet | None = None) -> Recording:
        """What was recorded, keyed by `key` (see `run_key`) and keeping `result`'s set if given."""
        if not self._rows:
            raise ValueError("nothing recorded: the Recorder saw no event (was it among the callbacks?)")
        iteration, loss, accuracy, elapsed, frames, soft = zip(*self._rows)
        return Recording(
            torch.stack(frames),
            self.labels,
            torch.tensor(iteration, dtype=torch.int64),
            torch.tensor(loss, dtype=torch.float64),
            torch.tensor(accuracy, dtype=torch.float64),
            torch.tensor(elapsed, dtype=torch.float64),
            self.iterations,
            self.lrs,
            None if key is None else plain(key),
            None if result is None else result.state(),
            None if soft[0] is None else torch.stack(soft),
        )


# --- finding and replaying -----------------------------------------------------------------------


def find(config: Any, data: Any, seed: int = 0, **options: Any) -> Recording | None:
    """The verified recording of ``load_or_distill(config, data, seed=seed, **options)``, if one is
    shipped (registered in `SHA256`) or was made on this machine, and the set it ends with can be
    had (kept in it, or cached); else None. A file that fails its check raises a one-line ValueError
    naming it: a damaged recording is never replayed, nor silently skipped."""
    key = run_key(config, data, seed, options)
    name = run_name(key)
    for path, registered in _candidates(name):
        recording = _read(path, SHA256[name] if registered else None)
        if recording.key != key:
            raise ValueError(f"recording {path} was made by another run than its name says{_REMEDY}")
        if recording.has_result():
            return recording
    return None


def _candidates(name: str) -> list[tuple[Path, bool]]:
    """(path, registered) of the recordings named `name`: the shipped one first, then this machine's."""
    found = []
    if name in SHA256:
        try:
            found.append(
                (
                    course_file(
                        f"assets/recordings/{name}.pt",
                        SHA256[name],
                        with_sidecar=True,
                        in_clone=RECORDINGS_DIR / f"{name}.pt",
                    ),
                    True,
                )
            )
        except FetchError as error:
            warnings.warn(f"{error}; the run will be distilled", stacklevel=3)
    local = cache_file("recordings", f"{name}.pt")
    if local.is_file():
        found.append((local, False))
    return found


def _read(path: Path, sha256: str | None) -> Recording:
    """Load `path`, verified by its sidecar and, if `sha256` is given (a registered one), by that."""
    if sha256 is not None:
        digest = cache.sidecar(path)
        if not digest.is_file() or digest.read_text().strip() != sha256:
            raise ValueError(f"recording {path} does not match its sha256 in ddlab.recordings.SHA256{_REMEDY}")
    return Recording.load(path)


def replay(
    recording: Recording,
    callbacks: Iterable[Callable[[Event], None]] = (),
    seconds: float = REPLAY_SECONDS,
    announce: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ReplayEvent]:
    """Feed the recorded frames to `callbacks` as events (the last one ``done``), evenly paced so
    the whole replay lasts about `seconds` (slow callbacks eat into the pauses, not add to them).
    With `announce`, first print one line saying a recording is replayed instead of a run.
    Returns the events."""
    if not seconds >= 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    callbacks = list(callbacks)
    events = recording.events()
    if announce:
        print(f"Replaying {recording.describe()} instead of distilling it again.")
    pause = seconds / max(len(events) - 1, 1) if callbacks else 0.0
    start = time.monotonic()
    for i, event in enumerate(events):
        wait = start + i * pause - time.monotonic()
        if wait > 0:
            sleep(wait)
        for callback in callbacks:
            callback(event)
    return events
