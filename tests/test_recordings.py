"""Recordings of runs and their replay (the seminar profile): what a Recorder keeps, that a recording
is found only verified, that a changed byte is refused in one line, and that a replay reaches a
LiveView as a run's frames would."""

import dataclasses
import hashlib
import importlib
import math

import pytest
import torch

import ddlab
from ddlab import DD, live, load_or_distill, recipes, recordings
from ddlab.callbacks import Event
from ddlab.live import LiveView
from ddlab.recordings import Recorder, Recording
from ddlab.sources import cache

TINY = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=5)
driver = importlib.import_module("ddlab.distill")  # the module (ddlab.distill is the function)


def event(i, n, done=None, accuracy=None):
    images = torch.rand(6, 1, 4, 4, generator=torch.Generator().manual_seed(i))
    return Event(
        iteration=i,
        iterations=n,
        loss=1.0 / i,
        accuracy=accuracy,
        images=images,
        labels=torch.tensor([0, 1, 2, 0, 1, 2]),
        lrs=torch.tensor([0.1 * i]),
        elapsed=0.5 * i,
        done=(i == n) if done is None else done,
        to_pixels=lambda x: x.clamp(0, 1),
    )


def record(n, max_frames, stop=None):
    """A Recorder fed a fake run of `n` iterations (interrupted after `stop`), then its done event."""
    recorder = Recorder(max_frames)
    last = stop or n
    for i in range(1, last + 1):
        recorder(event(i, n, done=False, accuracy=None if i < 3 else 0.5 + i / (2 * n)))
    recorder(event(last, n, done=True, accuracy=0.9))
    return recorder


def test_recorder_keeps_a_bounded_even_spread_with_the_first_and_the_last():
    recording = record(1000, 11).recording()
    assert recording.iteration.tolist() == [1 + round(k * 999 / 10) for k in range(11)]
    assert len(recording) == 11 and recording.frames.dtype == torch.uint8
    assert recording.frames.shape == (11, 6, 1, 4, 4)
    expected = (event(1000, 1000).pixels() * 255).round().to(torch.uint8)
    assert torch.equal(recording.frames[-1], expected)  # the done event is the last frame
    assert math.isnan(recording.accuracy[0]) and recording.accuracy[-1] == 0.9
    assert recording.lrs.tolist() == pytest.approx([100.0])  # the step sizes of the last frame
    short = record(3, 40).recording()
    assert short.iteration.tolist() == [1, 2, 3]  # fewer iterations than frames: all


def test_an_interrupted_run_still_ends_on_its_done_frame_within_the_bound():
    recording = record(1000, 5, stop=420).recording()
    its = recording.iteration.tolist()
    assert len(its) <= 5 and its[0] == 1 and its[-1] == 420 and its == sorted(its)


def test_recorder_needs_events_and_a_sane_bound():
    with pytest.raises(ValueError, match="max_frames must be an int >= 2"):
        Recorder(1)
    with pytest.raises(ValueError, match="nothing recorded"):
        Recorder().recording()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def made(mnist, data_dir):
    """A tiny real run through load_or_distill with a Recorder; its recording kept in the data cache."""
    recorder = Recorder(4)
    result = load_or_distill(TINY, mnist, callbacks=[recorder], seed=1, progress=False)
    key = recordings.run_key(TINY, mnist, 1, {"progress": False})
    recorder.recording(key=key, result=result).save(recordings.cache_path(key))
    return result, recorder


def test_a_real_run_is_found_for_the_same_call_only(mnist, made):
    result, recorder = made
    found = recordings.find(TINY, mnist, 1, progress=False)
    assert found is not None and len(found) == len(recorder) == 4
    assert found.iteration.tolist() == [1, 2, 4, 5]
    assert torch.equal(found.frames[-1], (mnist.to_pixels(result.images).clamp(0, 1) * 255).round().to(torch.uint8))
    back = found.result()
    assert torch.equal(back.images, result.images) and torch.equal(back.lrs, result.lrs)
    assert back.history == result.history and torch.equal(found.lrs, result.lrs)
    assert recordings.find(TINY, mnist, 2, progress=False) is None  # another seed
    assert recordings.find(TINY, mnist, 1) is None  # other options
    assert recordings.run_path(found.key).is_file()  # the run cache and the recording share a key
    assert recordings.run_path(found.key).name == recordings.cache_path(found.key).name


def test_a_recording_without_its_set_needs_the_cached_run(mnist, made):
    result, recorder = made
    key = recordings.run_key(TINY, mnist, 1, {"progress": False})
    recorder.recording(key=key).save(recordings.cache_path(key))  # no set kept
    assert torch.equal(recordings.find(TINY, mnist, 1, progress=False).result().images, result.images)
    recordings.run_path(key).unlink()
    assert recordings.find(TINY, mnist, 1, progress=False) is None  # nothing to return


def test_a_changed_byte_in_a_cached_recording_is_refused_in_one_line(mnist, made):
    path = recordings.cache_path(recordings.run_key(TINY, mnist, 1, {"progress": False}))
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(ValueError) as failure:
        recordings.find(TINY, mnist, 1, progress=False)
    message = str(failure.value)
    assert "\n" not in message and str(path) in message and "fails its sha256 check" in message


@pytest.fixture
def shipped(mnist, made, tmp_path, monkeypatch):
    """The tiny recording shipped: moved into a stand-in assets/recordings/ and registered."""
    key = recordings.run_key(TINY, mnist, 1, {"progress": False})
    name = recordings.run_name(key)
    folder = tmp_path / "assets" / "recordings"
    folder.mkdir(parents=True)
    for suffix in (".pt", ".pt.sha256"):
        (recordings.cache_path(key).with_name(name + suffix)).rename(folder / (name + suffix))
    monkeypatch.setattr(recordings, "RECORDINGS_DIR", folder)
    monkeypatch.setitem(recordings.SHA256, name, hashlib.sha256((folder / f"{name}.pt").read_bytes()).hexdigest())
    return folder / f"{name}.pt"


def test_frames_come_from_the_verified_shipped_recording(mnist, made, shipped):
    found = recordings.find(TINY, mnist, 1, progress=False)
    assert torch.equal(found.frames, Recording.load(shipped).frames)
    assert torch.equal(found.result().images, made[0].images)


@pytest.mark.parametrize("where", ["recording", "sidecar"])
def test_a_changed_byte_in_a_shipped_recording_is_refused_in_one_line(mnist, shipped, where):
    target = shipped if where == "recording" else cache.sidecar(shipped)
    blob = bytearray(target.read_bytes())
    blob[-3 if where == "sidecar" else len(blob) // 3] ^= 1 if where == "recording" else 3
    target.write_bytes(bytes(blob))
    with pytest.raises(ValueError) as failure:
        recordings.find(TINY, mnist, 1, progress=False)
    message = str(failure.value)
    assert "\n" not in message and str(shipped) in message
    assert ("fails its sha256 check" if where == "recording" else "does not match its sha256") in message


def test_a_recording_under_another_runs_name_is_refused(mnist, made):
    other = recordings.run_key(TINY, mnist, 7, {"progress": False})
    source = recordings.cache_path(recordings.run_key(TINY, mnist, 1, {"progress": False}))
    Recording.load(source).save(recordings.cache_path(other))
    with pytest.raises(ValueError, match="made by another run"):
        recordings.find(TINY, mnist, 7, progress=False)


def test_replay_ends_done_on_the_last_recorded_frame_and_is_paced(capsys):
    recording = record(300, 7).recording()
    seen, waits = [], []
    events = recordings.replay(recording, [seen.append], seconds=3.0, sleep=waits.append)
    assert seen == events and len(events) == 7
    assert [e.done for e in events] == [False] * 6 + [True]
    assert torch.equal(events[-1].pixels(), recording.frames[-1].float() / 255)
    assert [e.iteration for e in events] == recording.iteration.tolist()
    assert events[-1].iterations == 300 and events[-1].accuracy == 0.9 and events[0].accuracy is None
    assert events[-1].lrs is not None and all(e.lrs is None for e in events[:-1])
    # a fake sleep lets no time pass, so each wait is the time left to that frame's slot: evenly paced
    assert waits == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 3.0], abs=0.05)
    assert "Replaying a recorded run" in capsys.readouterr().out
    waits.clear()
    recordings.replay(recording, [], seconds=3.0, announce=False, sleep=waits.append)
    assert waits == [] and capsys.readouterr().out == ""  # nobody watching: no pauses


def test_a_live_view_given_a_replay_keeps_every_frame_and_shows_the_last():
    recording = record(500, 9).recording()
    view = LiveView(every=1e9)  # a live run would draw only the first and the last
    recordings.replay(recording, [view], seconds=0, announce=False)
    assert [f.iteration for f in view.frames] == recording.iteration.tolist()
    assert view.current is view.frames[-1] and view.frames[-1].text.endswith("replay · done")
    if live._ipywidgets() is not None:  # the Replay widget scrubs the same frames
        assert view.replay().play.max == len(recording) - 1
    fresh = LiveView(every=0)
    fresh(recording.events()[-1])
    assert fresh.frames[0].png == view.frames[-1].png  # the same picture as the recorded last frame


def test_save_is_weights_only_and_malformed_files_are_refused(tmp_path):
    recording = record(20, 5).recording()
    path = recording.save(tmp_path / "r.pt")
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == recordings.FORMAT and raw["frames"].dtype == torch.uint8
    cache.write_state(tmp_path / "bad.pt", {**raw, "frames": raw["frames"].float()})
    with pytest.raises(ValueError, match="malformed frames"):
        Recording.load(tmp_path / "bad.pt")
    cache.write_state(tmp_path / "old.pt", {**raw, "format": "something else"})
    with pytest.raises(ValueError, match="is not a 'ddlab recording 1' file"):
        Recording.load(tmp_path / "old.pt")


def test_registered_recordings_are_shipped_verified_and_match_todays_default_recipes(monkeypatch):
    """Every line of the registry names a file in assets/recordings/ with that sha256, made by a
    default-profile recipe that is still the recipe (in the seminar profile too, so it is found)."""
    monkeypatch.setenv(ddlab.profile.ENV_VAR, "seminar")
    on_disk = {p.stem for p in recordings.RECORDINGS_DIR.glob("*.pt")}
    assert on_disk == set(recordings.SHA256), "assets/recordings/ and recordings.SHA256 disagree"
    todays = {
        recordings.run_name(recordings.run_key(run.config, run.dataset, 0, run.options)): name
        for name, run in recipes.live_runs().items()
    }
    for name, digest in recordings.SHA256.items():
        path = recordings.RECORDINGS_DIR / f"{name}.pt"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} does not match the registry"
        assert path.stat().st_size < 800_000, (
            f"{path} is {path.stat().st_size} bytes: keep recordings small"
        )  # frames (MAX_BYTES) + the set
        assert name in todays, f"{name} is no current course run: remake it with benchmarks/make_recordings.py"


def test_the_seminar_profile_replays_a_recorded_run_instead_of_distilling(mnist, made, monkeypatch):
    result, recorder = made
    key = recordings.run_key(TINY, mnist, 1, {"progress": False})
    recordings.run_path(key).unlink()  # only the recording (which keeps the set) is left

    def no_run(*args, **kwargs):
        raise AssertionError("distilled")

    monkeypatch.setattr(driver, "distill", no_run)
    monkeypatch.setattr(recordings.time, "sleep", lambda seconds: None)
    monkeypatch.setenv(ddlab.profile.ENV_VAR, "seminar")
    view = LiveView(every=1e9)
    again = load_or_distill(TINY, mnist, callbacks=[view], seed=1, progress=False)
    assert torch.equal(again.images, result.images) and again.history == result.history
    assert [f.iteration for f in view.frames] == [1, 2, 4, 5] and view.frames[-1].text.endswith("replay · done")
    monkeypatch.setenv(ddlab.profile.ENV_VAR, "default")
    with pytest.raises(AssertionError, match="distilled"):  # outside the seminar, a run is a run
        load_or_distill(TINY, mnist, seed=1, progress=False)


def test_a_live_run_keeps_its_recording_so_the_seminar_replays_what_the_teacher_ran(mnist, data_dir, monkeypatch):
    result = load_or_distill(TINY, mnist, seed=3, progress=False)  # the default profile: a live run
    key = recordings.run_key(TINY, mnist, 3, {"progress": False})
    kept = recordings.Recording.load(recordings.cache_path(key))
    assert kept.key == key and kept.iteration.tolist() == [1, 2, 3, 4, 5] and kept.set_state is None
    assert torch.equal(kept.frames[-1], (mnist.to_pixels(result.images).clamp(0, 1) * 255).round().to(torch.uint8))
    monkeypatch.setattr(recordings.time, "sleep", lambda seconds: None)
    monkeypatch.setenv(ddlab.profile.ENV_VAR, "seminar")
    seen = []
    again = load_or_distill(TINY, mnist, callbacks=[seen.append], seed=3, progress=False)
    assert torch.equal(again.images, result.images)  # the set comes from the run's cache
    assert len(seen) == 5 and all(getattr(e, "replayed", False) for e in seen) and seen[-1].done


def test_a_big_set_keeps_fewer_frames_so_its_recording_stays_small():
    recorder = Recorder(40, max_bytes=6 * 16 * 5)  # the fake run's frames: 6 images of 4 x 4 pixels
    for i in range(1, 101):
        recorder(event(i, 100, done=i == 100))
    recording = recorder.recording()
    assert len(recording) == 5 and recording.frames.numel() <= 6 * 16 * 5
    assert recording.iteration.tolist()[0] == 1 and recording.iteration.tolist()[-1] == 100


def test_learned_labels_are_recorded_and_replayed_with_their_frames():
    recorder = Recorder(3)
    for i in range(1, 4):
        recorder(dataclasses.replace(event(i, 3), soft_labels=torch.full((6, 3), float(i))))
    recording = recorder.recording()
    assert recording.soft_labels.shape == (3, 6, 3) and recording.soft_labels[:, 0, 0].tolist() == [1.0, 2.0, 3.0]
    replayed = recording.events()
    assert [e.soft_labels[0, 0].item() for e in replayed] == [1.0, 2.0, 3.0]
    assert record(3, 3).recording().soft_labels is None and record(3, 3).recording().events()[0].soft_labels is None
