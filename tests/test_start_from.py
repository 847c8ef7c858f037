"""Continuing a distillation from a saved set: the run really starts where the set left off,
for every method, and a set that does not fit the config is refused with a clear message."""

import dataclasses

import pytest
import torch

from ddlab import DD, distill
from ddlab.__main__ import main
from ddlab.methods import config_for, method_for
from ddlab.methods.mtt import MTT, TrajectoryMatching, expert_spec
from ddlab.sources import experts

FIXED = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=128, iterations=60, lr=0.05)


def _loaded(config, mnist, start, **extra):
    method = method_for(config)(config, mnist, torch.Generator().manual_seed(5), **extra)
    method.start_from(start)
    return method.snapshot()


def test_a_continued_dd_run_starts_from_the_sets_images_and_step_sizes(mnist):
    first = distill(FIXED, mnist, seed=0, progress=False)
    again = _loaded(FIXED, mnist, first)
    assert torch.equal(again.images, first.images)
    torch.testing.assert_close(again.lrs, first.lrs, rtol=1e-5, atol=0)  # through softplus and back
    # From the learned set the outer loss starts where the first run ended, well below a fresh start.
    one = dataclasses.replace(FIXED, iterations=1)
    fresh = distill(one, mnist, seed=1, progress=False).history["loss"][0]
    continued = distill(one, mnist, seed=1, progress=False, start_from=first).history["loss"][0]
    reached = sum(first.history["loss"][-10:]) / 10
    assert continued < 0.85 * fresh and abs(continued - reached) < 0.2, (
        f"continued loss {continued:.3f}, fresh {fresh:.3f}, the first run's last ones {reached:.3f}"
    )


@pytest.mark.parametrize("name", ["dc", "dm"])
def test_image_set_methods_continue_from_their_images(mnist, name):
    config = config_for(name, ipc=1, iterations=1, width=8, real_batch=16)
    first = distill(config, mnist, seed=0, progress=False)
    assert torch.equal(_loaded(config, mnist, first).images, first.images)


def test_mtt_continues_with_its_learned_step_size(mnist):
    config = MTT(
        ipc=1,
        syn_steps=2,
        expert_epochs_matched=1,
        max_start_epoch=1,
        n_experts=2,
        expert_epochs=2,
        expert_examples=512,
        width=8,
        iterations=2,
    )
    trajectories = experts.build(expert_spec(config), mnist, progress=False)
    first = TrajectoryMatching(config, mnist, torch.Generator().manual_seed(0), trajectories).snapshot()
    first.images += 0.5
    first.config = {**first.config, "learned_lr": 0.037}
    again = _loaded(config, mnist, first, experts=trajectories)
    assert torch.equal(again.images, first.images)
    assert again.config["learned_lr"] == pytest.approx(0.037)


def test_a_set_that_does_not_fit_is_refused(mnist):
    first = distill(dataclasses.replace(FIXED, iterations=1), mnist, progress=False)
    with pytest.raises(
        ValueError, match=r"cannot continue from a set of images \(10, 1, 28, 28\); .* \(20, 1, 28, 28\)"
    ):
        distill(FIXED.with_steps(2), mnist, progress=False, start_from=first)
    with pytest.raises(ValueError, match=r"step sizes \(2,\); this config learns \(3,\) \(steps x epochs"):
        distill(dataclasses.replace(FIXED, epochs=3), mnist, progress=False, start_from=first)
    dm = distill(config_for("dm", ipc=1, iterations=1, width=8, real_batch=16), mnist, progress=False)
    with pytest.raises(ValueError, match="cannot continue a dd run from a 'dm' set"):
        distill(FIXED, mnist, progress=False, start_from=dm)


def test_the_command_line_continues_from_a_file_or_a_reference_set(mnist, tmp_path, capsys):
    common = [
        "distill",
        "dd",
        "--init",
        "fixed",
        "--steps",
        "1",
        "--real-batch",
        "64",
        "--iterations",
        "1",
        "--eval-every",
        "1",
        "--n-models",
        "1",
    ]
    assert main(common + ["--out", str(tmp_path / "a.pt")]) == 0
    assert main(common + ["--start-from", str(tmp_path / "a.pt"), "--out", str(tmp_path / "b.pt")]) == 0
    assert main(common + ["--start-from", "dd_fixed_mnist_10", "--out", str(tmp_path / "c.pt")]) == 0
    assert main(common + ["--start-from", str(tmp_path / "missing.pt")]) == 2
    assert "no synthetic set at" in capsys.readouterr().err
