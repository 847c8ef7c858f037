"""The driver and the DD method: determinism, interruption, divergence, saving, bad input, and
that distillation actually learns."""

import dataclasses
import importlib

import pytest
import torch

import ddlab
from ddlab import DD, SyntheticSet, distill, evaluate, load_or_distill
from ddlab.methods import available, config_for, config_from_dict

TINY = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=3)
driver = importlib.import_module("ddlab.distill")  # the module (ddlab.distill is the function)
made_before = driver.made_before


def test_same_seed_gives_bit_identical_sets(mnist):
    a = distill(TINY, mnist, seed=3, progress=False)
    b = distill(TINY, mnist, seed=3, progress=False)
    c = distill(TINY, mnist, seed=4, progress=False)
    assert torch.equal(a.images, b.images) and torch.equal(a.lrs, b.lrs)
    assert a.history["loss"] == b.history["loss"]
    assert not torch.equal(a.images, c.images)


def test_fixed_init_distillation_learns(mnist):
    # notebook 01's bolder Adam step (0.02) reaches in 100 iterations what 0.01 needs 200 for
    config = DD(init="fixed", ipc=1, steps=1, epochs=3, real_batch=256, lr=0.02, iterations=100, lr_decay_every=50)
    result = distill(config, mnist, seed=0, progress=False)
    scores = evaluate(result, mnist)
    assert scores.accuracies.shape == (1,)
    assert scores.mean > 0.45, f"100 iterations should pass 45% test accuracy, got {scores}"
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.images.shape == (10, 1, 28, 28) and result.lrs.shape == (3,)
    assert torch.all(result.lrs > 0)


def test_random_init_distillation_updates_images_and_step_sizes(mnist):
    config = DD(init="random", ipc=2, steps=2, epochs=2, n_nets=2, real_batch=64, iterations=2)
    # eval_every past the end: the only measurement is the last iteration, so that set is returned
    start = distill(dataclasses.replace(config, iterations=1), mnist, seed=0, eval_every=10, progress=False)
    result = distill(config, mnist, seed=0, eval_every=10, progress=False)
    assert result.images.shape == (20, 1, 28, 28) and result.lrs.shape == (4,)
    assert not torch.equal(start.images, result.images) and not torch.equal(start.lrs, result.lrs)
    scores = evaluate(result, mnist, n_models=3)
    assert scores.accuracies.shape == (3,) and scores.setting == "random"


def test_callbacks_see_every_iteration_and_a_final_event(mnist):
    events = []
    distill(TINY, mnist, callbacks=[events.append], eval_every=2, progress=False)
    assert [e.iteration for e in events] == [1, 2, 3, 3]  # the last, again: the returned set
    assert [e.done for e in events] == [False, False, False, True]
    assert events[0].accuracy is None and events[1].accuracy is not None
    assert events[-1].pixels().min() >= 0 and events[-1].pixels().max() <= 1


def test_ctrl_c_returns_the_best_set_so_far_marked_interrupted(mnist):
    seen = []

    def interrupt_at_5(event):
        seen.append(event)
        if event.iteration == 5 and not event.done:
            raise KeyboardInterrupt

    config = dataclasses.replace(TINY, iterations=50)
    result = distill(config, mnist, callbacks=[interrupt_at_5], eval_every=2, progress=False)
    assert result.interrupted
    assert result.history["eval_iteration"] == [2, 4]
    best = max(range(2), key=lambda i: result.history["accuracy"][i])
    assert torch.equal(result.images, seen[[2, 4][best] - 1].images)
    assert seen[-1].done


def test_divergence_names_the_iteration_and_suggests_a_smaller_lr(mnist):
    exploding = dataclasses.replace(TINY, inner_lr=1e8)
    with pytest.raises(ddlab.DivergenceError, match=r"iteration 1; try a smaller learning rate"):
        distill(exploding, mnist, progress=False)


def test_save_and_load_round_trip_with_weights_only(mnist, tmp_path):
    result = distill(TINY, mnist, seed=1, progress=False)
    path = result.save(tmp_path / "set.pt")
    raw = torch.load(path, weights_only=True)  # plain types only
    assert raw["config"]["method"] == "dd"
    back = SyntheticSet.load(path)
    assert torch.equal(back.images, result.images) and torch.equal(back.lrs, result.lrs)
    assert back.history == result.history and back.config == result.config
    assert config_from_dict(back.config) == TINY
    assert evaluate(back, mnist).mean == evaluate(result, mnist).mean


def test_loading_a_bad_file_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="no synthetic set"):
        SyntheticSet.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable synthetic set"):
        SyntheticSet.load(tmp_path / "junk.pt")
    torch.save({"format": 99}, tmp_path / "future.pt")
    with pytest.raises(ValueError, match="not a ddlab synthetic set"):
        SyntheticSet.load(tmp_path / "future.pt")


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("ipc", 0, "DD.ipc must be a positive integer, got 0"),
        ("steps", -1, "DD.steps must be a positive integer"),
        ("init", "pretrained", "DD.init='pretrained' is not allowed; use one of: fixed, random"),
        ("init_scheme", "zeros", "DD.init_scheme='zeros' is not allowed"),
        ("arch", "resnet", "DD.arch='resnet' is not allowed"),
        ("lr", 0.0, "DD.lr must be positive"),
    ],
)
def test_bad_config_values_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        DD(**{field: value})


def test_other_bad_input(mnist):
    with pytest.raises(ValueError, match="DD.ipc=6000 is more images than the smallest class of mnist has"):
        distill(DD(ipc=6000, iterations=1), mnist, progress=False)
    with pytest.raises(TypeError, match="not a registered method config"):
        distill(object(), mnist)
    with pytest.raises(ValueError, match=f"unknown method 'gan'; available: {', '.join(available())}$"):
        config_for("gan")
    with pytest.raises(ValueError, match="dd has no setting 'images'"):
        config_for("dd", images=3)
    with pytest.raises(ValueError, match="n_models must be positive"):
        evaluate(distill(TINY, mnist, progress=False), mnist, n_models=0)


def test_load_or_distill_makes_a_set_once_and_then_loads_it_verified(mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))
    events = []
    assert not made_before(TINY, mnist, seed=3, progress=False)
    made = load_or_distill(TINY, mnist, callbacks=[events.append], seed=3, progress=False)
    assert len(events) == TINY.iterations + 1 and events[-1].done
    assert made_before(TINY, mnist, seed=3, progress=False) and not made_before(TINY, mnist, seed=4, progress=False)

    def no_second_run(*args, **kwargs):
        raise AssertionError("distilled again")

    monkeypatch.setattr(driver, "distill", no_second_run)
    events.clear()
    again = load_or_distill(TINY, mnist, callbacks=[events.append], seed=3, progress=False)
    assert torch.equal(again.images, made.images) and torch.equal(again.lrs, made.lrs)
    assert again.config == made.config and again.history == made.history
    assert len(events) == 1 and events[0].done and torch.equal(events[0].images, made.images)
    with pytest.raises(AssertionError, match="distilled again"):  # another seed is another run
        load_or_distill(TINY, mnist, seed=4, progress=False)
    (cached,) = (tmp_path / "runs").glob("*.pt")
    cached.write_bytes(cached.read_bytes()[:-1] + b"x")
    with pytest.raises(ValueError, match="fails its sha256 check"):
        load_or_distill(TINY, mnist, seed=3, progress=False)


def test_load_or_distill_resumes_a_run_stopped_after_a_checkpoint(mnist, tmp_path, monkeypatch):
    """A notebook whose session died mid-run calls load_or_distill again: the run goes on from its
    checkpoint and ends with the set an uninterrupted run makes; the checkpoint is then removed."""
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))
    config = dataclasses.replace(TINY, iterations=4)
    whole = distill(config, mnist, seed=2, eval_every=2, progress=False)

    def stop_at_3(event):
        if event.iteration == 3 and not event.done:
            raise KeyboardInterrupt

    stopped = load_or_distill(config, mnist, [stop_at_3], seed=2, eval_every=2, checkpoint_every=2, progress=False)
    assert stopped.interrupted and len(list((tmp_path / "runs").glob("*.checkpoint.pt"))) == 1
    events = []
    made = load_or_distill(config, mnist, [events.append], seed=2, eval_every=2, checkpoint_every=2, progress=False)
    assert events[0].iteration == 3 and torch.equal(made.images, whole.images) and torch.equal(made.lrs, whole.lrs)
    assert [p.name for p in (tmp_path / "runs").iterdir() if "checkpoint" in p.name] == []
    assert torch.equal(load_or_distill(config, mnist, seed=2, eval_every=2, progress=False).images, whole.images)
