"""Reference sets in assets/: verified before use, reproducible from their recorded command."""

import functools
import json
import os
import shlex

import pytest

from ddlab import evaluate, recipes
from ddlab.__main__ import build_parser, config_from_args
from ddlab.data import load
from ddlab.evaluate import check_score
from ddlab.methods import config_from_dict
from ddlab.protocol import Protocol, as_published, sized
from ddlab.sources import assets

NAMES = sorted(assets.SHA256)


@functools.cache
def _loaded(dataset: str):
    return load(dataset, device="cpu")


def data_of(name: str, mnist):
    """The real data set `name` was distilled from (its config's dataset; MNIST for most)."""
    dataset = assets.summary(name)["config"].get("dataset", "mnist")
    return mnist if dataset == "mnist" else _loaded(dataset)


def test_every_asset_file_is_registered_and_every_registered_asset_exists():
    on_disk = {p.stem for p in assets.ASSETS_DIR.glob("*.pt")}
    assert on_disk == set(assets.SHA256), "assets/*.pt and ddlab.assets.SHA256 must list the same sets"
    for name in NAMES:
        assert assets.sha256(assets.ASSETS_DIR / f"{name}.pt") == assets.SHA256[name], f"{name}: stale sha256"


@pytest.mark.parametrize("name", NAMES)
def test_recorded_command_makes_exactly_the_stored_config(name):
    reference = assets.load(name)
    summary = json.loads((assets.ASSETS_DIR / f"{name}.json").read_text())
    assert summary["command"] == reference.config["command"]
    argv = shlex.split(summary["command"])
    assert argv[:3] == ["python", "-m", "ddlab"]
    assert config_from_args(build_parser().parse_args(argv[3:])) == config_from_dict(reference.config)


@pytest.mark.parametrize("name", NAMES)
def test_a_staged_run_starts_from_a_reference_set(name):
    """A long run made in stages records `--start-from` the previous stage, which must itself be a
    reference set (verified by sha256 when the command runs), so every stage can be made again."""
    argv = shlex.split(assets.summary(name)["command"])
    if "--start-from" in argv:
        start = argv[argv.index("--start-from") + 1]
        assert start in assets.SHA256, f"{name} starts from {start!r}, which is not in assets/"
        assert assets.load(start).images.shape == assets.load(name).images.shape


@pytest.mark.parametrize("name", NAMES)
def test_reference_check_score_is_what_its_summary_says(name, mnist):
    """Every reference set re-scored, in seconds: its short check (recorded in its JSON by
    `python -m ddlab assets --record-check`) must come out as recorded. The full accuracy is
    re-scored by the slow test below."""
    check = assets.summary(name)["check"]
    assert check["test_examples"] <= 2000 and check["n_models"] <= 2  # a check, not the full protocol
    assert check_score(assets.load(name), data_of(name, mnist), check) == pytest.approx(check["accuracy"], abs=0.003)
    assert {k: v for k, v in check.items() if k != "accuracy"} == assets.check_settings(name)


@pytest.mark.parametrize("name", ["dd_fixed_mnist_10", "dm_mnist_10"])  # replayed schedule; trained on
def test_the_check_score_notices_a_changed_image(name, mnist):
    """The check is honest only if it fails when the set changes: one image blanked moves it by far
    more than the check's tolerance."""
    reference = assets.load(name)
    reference.images[0] = 0.0  # one class loses its (first) image
    check = assets.summary(name)["check"]
    assert abs(check_score(reference, mnist, check) - check["accuracy"]) > 0.01


@pytest.mark.skipif(
    not os.environ.get("DDLAB_SLOW_TESTS"), reason="the full re-score takes minutes per set; DDLAB_SLOW_TESTS=1 runs it"
)
@pytest.mark.parametrize("name", NAMES)
def test_reference_accuracy_is_what_its_summary_says(name, mnist):
    reference = assets.load(name)
    summary = json.loads((assets.ASSETS_DIR / f"{name}.json").read_text())
    recorded = summary.get("protocol")  # sets without step sizes: the training protocol it was scored under
    scores = evaluate(
        reference,
        data_of(name, mnist),
        n_models=summary["n_models"],
        seed=summary["seed"],
        protocol=Protocol(**recorded) if recorded else None,
    )
    assert scores.mean == pytest.approx(summary["accuracy"], abs=0.003)


def test_fixed_init_reference_is_near_the_paper():
    """Wang et al. report 93.8% for 10 images on a fixed init. Our CPU-made reference is held to the
    92% it reaches (the 94% goal needs a longer run: benchmarks/RESULTS.md)."""
    summary = json.loads((assets.ASSETS_DIR / "dd_fixed_mnist_10.json").read_text())
    assert summary["init"] == "fixed" and summary["accuracy"] >= 0.92


def test_random_init_reference_is_near_the_paper():
    """Wang et al. report 79.5 +- 8.1% for 100 images on random inits; the course asks for 80.0% on
    at least 20 unseen inits, which our three-stage CPU reference reaches."""
    summary = assets.summary("dd_random_mnist_100")
    assert summary["init"] == "random" and summary["n_models"] >= 20 and summary["accuracy"] >= 0.80


def test_unknown_and_tampered_assets_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown asset 'nope'"):
        assets.path("nope")
    name = NAMES[0]
    tampered = bytearray((assets.ASSETS_DIR / f"{name}.pt").read_bytes())
    tampered[-1] ^= 0xFF
    (tmp_path / f"{name}.pt").write_bytes(bytes(tampered))
    monkeypatch.setattr(assets, "ASSETS_DIR", tmp_path)
    with pytest.raises(ValueError, match="does not match its recorded sha256"):
        assets.path(name)


def test_cli_lists_assets_with_their_accuracy(capsys):
    from ddlab.__main__ import main

    assert main(["assets"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        made = assets.summary(name)
        assert f"{name}: {100 * made['accuracy']:.1f}%" in out and made["command"] in out


@pytest.mark.parametrize("name", ["dd_fixed_mnist_10", "dd_random_mnist_100"])  # one run; a staged one
def test_cli_regenerates_an_asset_from_its_recorded_command(tmp_path, mnist, name):
    """The full-length runs take 20 min to nearly two hours on a CPU; shortened to 2 iterations, the same
    command must produce a set with the reference's config (but for the iteration count)."""
    from ddlab.__main__ import main
    from ddlab.synthetic import SyntheticSet

    argv = ["assets", name, "--regenerate", "--out-dir", str(tmp_path), "--iterations", "2"]
    assert main(argv) == 0
    remade = SyntheticSet.load(tmp_path / f"{name}.pt")
    reference = assets.load(name)
    assert config_from_dict(remade.config) == config_from_dict({**reference.config, "iterations": 2})
    assert remade.images.shape == reference.images.shape
    assert (tmp_path / f"{name}.json").is_file() and (tmp_path / f"{name}.png").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_recorded_score_is_the_summarys_with_the_judge_named(name):
    recorded, summary = assets.recorded_score(name), assets.summary(name)
    assert (recorded.mean, recorded.n_models) == (summary["accuracy"], summary["n_models"])
    judge = summary.get("protocol")
    assert f"{100 * summary['accuracy']:.1f}" in str(recorded)
    assert judge is None or f"width {judge['width']}, {judge['epochs']} epochs" in str(recorded)


def test_convnet_references_were_scored_by_the_default_profiles_judge(monkeypatch):
    """What lets a notebook print a reference's recorded score beside its own runs' scores: in the
    default profile, `ddlab.evaluate` trains the same ConvNets for the same epochs."""
    monkeypatch.setenv("DDLAB_PROFILE", "default")
    for name in NAMES:
        summary = assets.summary(name)
        if summary.get("protocol"):
            assert Protocol(**summary["protocol"]) == sized(summary["config"], recipes.evaluation()), name


ONE_PER_CLASS_CONVNET = [
    n for n in NAMES if assets.summary(n).get("protocol") and assets.summary(n)["config"]["ipc"] == 1
]


@pytest.mark.parametrize("name", ONE_PER_CLASS_CONVNET)
def test_one_per_class_references_carry_their_paper_score(name):
    """Issue 15: each 1-per-class ConvNet set is also scored the way its paper scores (width 128,
    1,000 epochs, the paper's augmentation, at least 5 networks), recorded by the command it names."""
    recorded = assets.summary(name)["paper_score"]
    expected = assets.paper_score_settings(name)
    assert (recorded["n_models"], recorded["seed"]) == (expected["n_models"], expected["seed"])
    # a protocol recorded before a field existed ran at that field's default
    assert Protocol(**recorded["protocol"]) == Protocol(**expected["protocol"])
    assert recorded["n_models"] >= 5 and len(recorded["accuracies"]) == recorded["n_models"]
    epochs = as_published(assets.summary(name)["config"]).epochs
    assert (recorded["protocol"]["width"], recorded["protocol"]["epochs"]) == (128, epochs) == (128, 1000)
    assert recorded["command"] == f"python -m ddlab assets --paper-score {name}"
    score = assets.recorded_score(name, paper=True)
    assert score.mean == pytest.approx(sum(recorded["accuracies"]) / recorded["n_models"], abs=1e-4)
    assert f"width 128, {epochs} epochs" in str(score)


def test_a_dd_set_has_no_paper_protocol_to_score_under():
    with pytest.raises(ValueError, match="is a DD set: its recorded score already is its paper's protocol"):
        assets.paper_score_settings("dd_fixed_mnist_10")
    with pytest.raises(ValueError, match="asset 'dd_fixed_mnist_10' has no paper score; ConvNet sets with one: "):
        assets.recorded_score("dd_fixed_mnist_10", paper=True)


def test_cli_records_a_paper_score_in_the_sets_json(tmp_path, mnist, monkeypatch, capsys):
    """The command that records a paper score, run on a copy of a reference set with the protocol cut
    to seconds: it writes what `ddlab.evaluate` measures under the recorded settings."""
    from ddlab.__main__ import main

    for suffix in (".pt", ".json"):
        (tmp_path / f"dm_mnist_10{suffix}").write_bytes((assets.ASSETS_DIR / f"dm_mnist_10{suffix}").read_bytes())
    monkeypatch.setattr(assets, "ASSETS_DIR", tmp_path)
    tiny = {
        "n_models": 2,
        "seed": 0,
        "protocol": {**assets.paper_score_settings("dm_mnist_10")["protocol"], "width": 8, "epochs": 3},
    }
    monkeypatch.setattr(assets, "paper_score_settings", lambda name: tiny)
    assert main(["assets", "--paper-score", "dm_mnist_10", "--device", "cpu"]) == 0
    recorded = assets.summary("dm_mnist_10")["paper_score"]
    expected = evaluate(assets.load("dm_mnist_10"), mnist, n_models=2, seed=0, protocol=Protocol(**tiny["protocol"]))
    assert recorded["accuracy"] == pytest.approx(expected.mean, abs=1e-6)
    assert recorded["protocol"]["width"] == 8 and "paper score" in capsys.readouterr().out


def test_cli_scores_a_set_again_under_its_methods_judge_of_today(tmp_path, mnist, monkeypatch, capsys):
    """`--course-score`: after a method's judge changed (IDC's, to its code's), the set's score at make
    time is measured again as `distill` measures it, and recorded with the protocol it ran under."""
    from ddlab.__main__ import main
    from ddlab.protocol import sized
    from ddlab.recipes import evaluation

    for name in ("idc_i_mnist_10", "dd_fixed_mnist_10"):
        for suffix in (".pt", ".json"):
            (tmp_path / f"{name}{suffix}").write_bytes((assets.ASSETS_DIR / f"{name}{suffix}").read_bytes())
    monkeypatch.setattr(assets, "ASSETS_DIR", tmp_path)
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    assert main(["assets", "--course-score", "idc_i_mnist_10", "--device", "cpu"]) == 0
    made = assets.summary("idc_i_mnist_10")
    judge = sized(made["config"], evaluation())
    expected = evaluate(
        assets.load("idc_i_mnist_10"), mnist, n_models=made["n_models"], seed=made["seed"], protocol=judge
    )
    assert made["accuracy"] == pytest.approx(expected.mean, abs=1e-6)
    assert Protocol(**made["protocol"]) == judge and judge.cutmix == 0.5
    assert made["rescored_by"] == "python -m ddlab assets --course-score idc_i_mnist_10"
    assert "the course's judge" in capsys.readouterr().out
    assert main(["assets", "--course-score", "dd_fixed_mnist_10"]) == 2
    assert "asset 'dd_fixed_mnist_10' is a DD set: its score replays its own schedule, under no judge" in (
        capsys.readouterr().err
    )


def test_the_readmes_results_table_shows_what_the_sets_record():
    """Every row of the README's table of later methods' reference sets prints the two scores the
    set's JSON records (course's judge, paper's judge), as `python -m ddlab assets` prints them."""
    readme = (assets.ASSETS_DIR.parent / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| ") and line.count("`") == 2]
    shown = {line.split("`")[1]: [cell.strip() for cell in line.split("|")[2:4]] for line in rows}
    judged = {
        name: cells for name, cells in shown.items() if name in assets.SHA256 and "paper_score" in assets.summary(name)
    }
    assert {"dc_mnist_10", "idc_mnist_10", "idc_fashion_mnist_10", "idc_i_fashion_mnist_10"} <= set(judged)
    for name, (course, paper) in judged.items():
        assert str(assets.recorded_score(name)).startswith(course), name
        assert str(assets.recorded_score(name, paper=True)).startswith(paper), name
