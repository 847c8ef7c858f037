"""`python -m ddlab`: distil from a shell, evaluate a saved set, fail with one clear line."""

import dataclasses
import json
import sys

import pytest
import torch

from ddlab import recipes
from ddlab.__main__ import build_parser, config_from_args, main
from ddlab.distill import distill
from ddlab.methods import config_for
from ddlab.synthetic import SyntheticSet


def test_distill_writes_set_png_and_summary_then_evaluate_reads_it(mnist, tmp_path, capsys):
    out = tmp_path / "run" / "dd.pt"
    argv = [
        "distill",
        "dd",
        "--init",
        "fixed",
        "--steps",
        "1",
        "--epochs",
        "2",
        "--iterations",
        "2",
        "--real-batch",
        "32",
        "--out",
        str(out),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    result = SyntheticSet.load(out)
    assert result.config["command"] == "python -m ddlab " + " ".join(argv)
    assert result.lrs.shape == (2,)
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["config"]["iterations"] == 2 and summary["init"] == "fixed"
    assert 0 <= summary["accuracy"] <= 1
    assert main(["evaluate", str(out), "--device", "cpu"]) == 0
    assert f"{100 * summary['accuracy']:.1f}%" in capsys.readouterr().out


def test_evaluate_under_the_papers_judge_trains_its_protocol_and_refuses_a_schedule(tmp_path, monkeypatch, capsys):
    """--paper-judge hands `evaluate` the paper's own protocol at width 128 (the networks themselves are
    the assets test's business: 1,000 epochs are minutes); a DD set, which replays its step sizes, is refused."""
    seen = {}

    def fake_evaluate(synthetic, data, init, n_models, seed, protocol=None):
        seen.update(protocol=protocol, n_models=n_models)
        return "scored"

    monkeypatch.setattr(sys.modules["ddlab.evaluate"], "evaluate", fake_evaluate)  # the module, not the function
    path = tmp_path / "idc.pt"
    SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10), None, {"method": "idc", "factor": 2, "width": 16}).save(
        path
    )
    assert main(["evaluate", str(path), "--paper-judge", "--n-models", "5", "--device", "cpu"]) == 0
    assert seen["protocol"].width == 128 and seen["protocol"].epochs == 1000 and seen["n_models"] == 5
    assert seen["protocol"].augmentation == "idc" and f"{path}: scored" in capsys.readouterr().out
    schedule = tmp_path / "dd.pt"
    SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10), torch.ones(3), {"method": "dd"}).save(schedule)
    assert main(["evaluate", str(schedule), "--paper-judge", "--device", "cpu"]) == 2
    assert "replays its own learned step sizes" in capsys.readouterr().err


def test_every_config_field_is_an_option_with_its_default_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["distill", "dd", "--help"])
    text = capsys.readouterr().out
    for field in ("--ipc", "--steps", "--epochs", "--init", "--inner-lr", "--real-batch", "--betas"):
        assert field in text
    assert "default: 0.02" in text


def test_options_become_the_config_on_top_of_the_course_recipe_or_the_paper():
    parse = build_parser().parse_args
    args = parse(["distill", "dd", "--init", "fixed", "--betas", "0.9", "0.99"])
    assert config_from_args(args) == dataclasses.replace(recipes.dd_fixed_mnist_10(), betas=(0.9, 0.99))
    args = parse(["distill", "dd", "--init", "fixed", "--paper-defaults"])
    assert config_from_args(args) == config_for("dd", init="fixed")
    args = parse(["distill", "dd", "--init", "random", "--steps", "5"])  # steps alone: 1 per class per step
    assert config_from_args(args) == dataclasses.replace(recipes.dd_init_settings_mnist_10(), steps=5, ipc=5)
    args = parse(["distill", "dd", "--init", "random", "--steps", "5", "--paper-defaults"])
    assert config_from_args(args) == config_for("dd", init="random", steps=5, ipc=5)
    assert config_from_args(parse(["distill", "dm", "--ipc", "10"])) == recipes.dm_mnist(10)
    assert config_from_args(parse(["distill", "mtt", "--iterations", "3"])) == recipes.mtt_mnist(1, iterations=3)


def test_the_shell_command_reproduces_notebook_01(mnist, tmp_path, monkeypatch):
    """`python -m ddlab distill dd --ipc 1 --init fixed` is notebook 01's `distill(recipe, data, seed=0)`
    (both cut to 20 iterations: the first ones already tell two runs apart)."""
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    out = tmp_path / "dd.pt"
    assert (
        main(
            [
                "distill",
                "dd",
                "--ipc",
                "1",
                "--init",
                "fixed",
                "--iterations",
                "20",
                "--out",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    from_shell = SyntheticSet.load(out)
    in_notebook = distill(
        dataclasses.replace(recipes.dd_fixed_mnist_10(), iterations=20), mnist, seed=0, progress=False
    )
    assert torch.equal(from_shell.images, in_notebook.images)
    assert torch.equal(from_shell.lrs, in_notebook.lrs)


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["distill", "dd", "--init", "bogus", "--out", "x.pt"],
            "DD.init='bogus' is not allowed; use one of: fixed, random",
        ),
        (["distill", "dd", "--ipc", "0", "--out", "x.pt"], "DD.ipc must be a positive integer, got 0"),
        (["evaluate", "does/not/exist.pt"], "no synthetic set at does/not/exist.pt"),
        (["distill", "dd", "--eval-models", "0", "--out", "x.pt"], "eval_models must be a positive integer, got 0"),
        (["distill", "dd", "--eval-every", "-5", "--out", "x.pt"], "eval_every must be a positive integer, got -5"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"ddlab: error: {message}" or (
        err.startswith("ddlab: error: ") and message in err and "\n" not in err
    )


def test_unknown_option_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["distill", "dd", "--colour", "red", "--out", "x.pt"])
    assert exit_info.value.code == 2


def test_boolean_settings_are_switches():
    parse = build_parser().parse_args
    assert config_from_args(parse(["distill", "dc", "--dsa"])).dsa is True
    assert config_from_args(parse(["distill", "dc", "--no-dsa"])).dsa is False
    assert config_from_args(parse(["distill", "dc", "--paper-defaults"])) == config_for("dc")
    assert config_from_args(parse(["distill", "dc"])) == recipes.dc_mnist(1)


def test_a_background_run_stopped_with_kill_saves_its_best_set(tmp_path):
    """Started like `python -m ddlab ... &` from a script (SIGINT ignored), then `kill`ed: the run
    stops as with Ctrl-C, and the best set so far is evaluated and saved, marked interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "dd.pt"
    command = [
        sys.executable,
        "-m",
        "ddlab",
        "distill",
        "dd",
        "--init",
        "fixed",
        "--steps",
        "1",
        "--iterations",
        "100000",
        "--real-batch",
        "32",
        "--eval-every",
        "2",
        "--out",
        str(out),
        "--device",
        "cpu",
    ]
    run = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    os.set_blocking(run.stderr.fileno(), False)
    seen, deadline = b"", time.monotonic() + 120
    while b"acc=" not in seen and run.poll() is None and time.monotonic() < deadline:
        seen += run.stderr.read() or b""
        time.sleep(0.2)
    assert b"acc=" in seen, f"the run never reached its first check: {seen[-300:]!r}"
    run.send_signal(signal.SIGTERM)
    stdout, _ = run.communicate(timeout=120)
    assert run.returncode == 0, stdout
    saved = SyntheticSet.load(out)
    assert saved.interrupted and len(saved.history["accuracy"]) >= 1
    assert b"(interrupted)" in stdout


def test_a_bad_output_path_fails_before_any_iteration(tmp_path, capsys, monkeypatch):
    """A path whose folder is a file used to fail only after the whole run; now it fails first."""
    import importlib

    driver = importlib.import_module("ddlab.distill")  # the module (ddlab.distill is the function)

    def no_run(*args, **kwargs):
        raise AssertionError("distilled although the output path is bad")

    monkeypatch.setattr(driver, "distill", no_run)
    (tmp_path / "file").write_text("")
    for out, why in [
        (tmp_path / "file" / "dd.pt", f"{tmp_path / 'file'} is a file, not a folder"),
        (tmp_path, "it is a folder; give a file path such as"),
    ]:
        assert main(["distill", "dd", "--init", "fixed", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"ddlab: error: cannot write the set to {out}: {why}") and err.count("\n") == 1


@pytest.mark.parametrize(
    "content,what",
    [
        (b"", "it is an empty file"),
        (b"weights: none\n", "it is a text file"),
    ],
)
def test_evaluating_a_file_that_is_not_a_set_is_one_line_and_exit_2(tmp_path, capsys, content, what):
    path = tmp_path / "given.pt"
    path.write_bytes(content)
    assert main(["evaluate", str(path), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ddlab: error: {path} is not a readable synthetic set: {what}; give a file saved by")
    assert err.count("\n") == 1


def test_evaluating_a_set_of_another_shape_is_one_line_and_exit_2(tmp_path, capsys):
    path = SyntheticSet(
        torch.zeros(10, 3, 32, 32),
        torch.arange(10),
        torch.full((2,), 0.02),
        {"method": "dd", "init": "fixed", "steps": 1, "epochs": 2},
    ).save(tmp_path / "colour.pt")
    assert main(["evaluate", str(path), "--device", "cpu"]) == 2
    assert capsys.readouterr().err == (
        "ddlab: error: this dd set has images of shape (3, 32, 32), but mnist has "
        "(1, 28, 28); use a set made on mnist\n"
    )


def test_resuming_with_other_settings_is_one_line_and_exit_2(mnist, tmp_path, capsys):
    common = [
        "distill",
        "dd",
        "--init",
        "fixed",
        "--steps",
        "1",
        "--epochs",
        "2",
        "--real-batch",
        "32",
        "--iterations",
        "2",
        "--eval-every",
        "2",
        "--n-models",
        "1",
        "--device",
        "cpu",
    ]
    checkpoint = tmp_path / "a.checkpoint.pt"
    config = config_from_args(build_parser().parse_args(common))
    distill(config, mnist, eval_every=2, progress=False, checkpoint=checkpoint, checkpoint_every=1)
    assert main(common + ["--lr", "0.5", "--resume", str(checkpoint), "--out", str(tmp_path / "a.pt")]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"ddlab: error: checkpoint {checkpoint} was made with setting lr={config.lr}, not 0.5; resume with the run's own settings\n"
    )
