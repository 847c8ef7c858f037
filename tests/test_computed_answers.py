"""Answers are computed, not typed (issue 27, item 2): every predict-then-check exercise refuses the
old answer's numbers typed to give the right outcome, and the provenance helpers its checks share refuse
the same object twice, the wrong setting and a tensor that is not what its objects give. That the
worked solution passes and its wrong-setting counterfeit fails in the notebook's kernel is tested where
the notebooks run (`core.solved_cell_checks`, tests/test_notebooks_run.py); here a few exercises run
end to end on small real objects."""

from __future__ import annotations

import re

import pytest
import torch

import ddlab
from ddlab import data as ddlab_data
from ddlab.evaluate import Evaluated, Scores
from ddlab.exercises import core, provenance
from ddlab.exercises.core import NotYet

PREDICTION = re.compile(r'^prediction = "([^"]+)"', re.M)


def solved_prediction(id: str) -> str:
    """The prediction the worked solution records: the outcome a typed counterfeit is chosen to give."""
    return PREDICTION.search(core.get(id).solution).group(1)


@pytest.fixture
def verdicts(monkeypatch):
    """Checks record their verdicts here, not in the session's record the notebook harness reads."""
    monkeypatch.setattr(core, "_VERDICTS", {})
    monkeypatch.setattr(core, "_OUTCOMES", {})
    return core._VERDICTS


@pytest.mark.parametrize("id", core.ids())
def test_every_exercise_registers_both_counterfeits(id):
    exercise = core.get(id)
    assert exercise.typed is not None, f"{id}: no typed counterfeit"
    assert re.search(r"^counterfeit = ", exercise.wrong_setting, re.M), f"{id}: no wrong-setting counterfeit"


@pytest.mark.parametrize("id", core.ids())
def test_typed_numbers_never_pass_and_need_no_data(id, verdicts, monkeypatch, capsys):
    """Refused before any data is loaded: a typed answer is turned away by its shape, not by a recomputation."""
    monkeypatch.setattr(ddlab_data, "load", lambda *a, **k: pytest.fail(f"{id}: loaded data to refuse typed numbers"))
    assert not core.check(id, solved_prediction(id), core.get(id).typed)
    assert verdicts[id] == ["not yet"]
    assert "🤔 Not yet:" in capsys.readouterr().out


def test_every_typed_counterfeit_is_plain_numbers():
    """Typed means typed: numbers (and names) in a dict or list, nothing a ddlab call made."""

    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)

    assert all(plain(core.get(id).typed) for id in core.ids())


def scores(accuracies, setting="random", **fields) -> Scores:
    recorded = dict(
        images="a",
        targets="t",
        soft_labels=False,
        lrs=None,
        method="dd",
        made_for="random",
        init_scheme="xavier",
        arch="lenet",
        seed=0,
        on_test=True,
    )
    return Scores(torch.tensor(accuracies), setting, Evaluated(**{**recorded, **fields}))


def test_scores_of_refuses_hand_made_scores_the_wrong_setting_and_other_images():
    good = {"xavier": scores([0.8]), "kaiming": scores([0.3], init_scheme="kaiming")}
    assert provenance.scores_of(good, ("xavier", "kaiming"), scheme={"kaiming": "kaiming"}, same_images=True) is good
    with pytest.raises(NotYet, match="does not record which set"):
        provenance.scores_of(
            {"xavier": Scores(torch.tensor([0.8]), "random"), "kaiming": good["kaiming"]}, ("xavier", "kaiming")
        )
    with pytest.raises(NotYet, match="xavier init scheme; it should be kaiming"):
        provenance.scores_of({**good, "kaiming": good["xavier"]}, ("xavier", "kaiming"), scheme={"kaiming": "kaiming"})
    with pytest.raises(NotYet, match="init='random'; evaluate it under init='fixed'"):
        provenance.scores_of(good, ("xavier", "kaiming"), setting={"xavier": "fixed"})
    with pytest.raises(NotYet, match="different images"):
        provenance.scores_of({**good, "kaiming": scores([0.3], images="b")}, ("xavier", "kaiming"), same_images=True)


def test_same_values_sees_one_object_twice_and_equal_copies_but_not_different_ones():
    g = {"w": torch.ones(2, 3)}
    assert provenance.same_values(g, g) and provenance.same_values(g, {"w": torch.ones(2, 3)})
    assert not provenance.same_values(g, {"w": 2 * torch.ones(2, 3)})
    assert provenance.same_values([g, g], [g, {"w": torch.ones(2, 3)}])
    assert not provenance.same_values(scores([0.5]), scores([0.5], init_scheme="kaiming"))
    with pytest.raises(NotYet, match=r"answer\['a'\] and answer\['b'\] are the same: they should differ"):
        provenance.distinct({"a": g, "b": g}, "a", "b", "they should differ")


def test_recomputed_refuses_a_typed_list_and_a_tensor_the_objects_do_not_give():
    expected = torch.tensor([0.1, 0.2])
    assert provenance.recomputed(expected.clone(), expected, "x", "how") is not None
    with pytest.raises(NotYet, match="not typed as a list"):
        provenance.recomputed([0.1, 0.2], expected, "x", "how")
    with pytest.raises(NotYet, match="x is not what the objects give: how"):
        provenance.recomputed(torch.tensor([0.1, 0.3]), expected, "x", "how")
    with pytest.raises(NotYet, match=r"shape \(2,\)"):
        provenance.recomputed(torch.tensor([0.1]), expected, "x", "how")


def gradients(seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"conv.weight": torch.randn(4, 3, generator=generator), "fc.weight": torch.randn(10, 4, generator=generator)}


def test_gradient_exercises_measure_the_gradients_and_refuse_the_target_as_another_batch(verdicts):
    target, other = gradients(0), {k: g + 0.1 * h for (k, g), h in zip(gradients(0).items(), gradients(1).values())}
    answer = {"target": target, "100x longer": {k: 100 * g for k, g in target.items()}, "other 3s": other}
    assert core.get("05.1").outcome(answer) == "100x longer"
    assert core.get("05.2").outcome(answer) == "other 3s"
    with pytest.raises(NotYet, match="points exactly along `target`"):
        core.get("05.1").outcome({**answer, "other 3s": target})
    with pytest.raises(NotYet, match="multiplied by 100"):
        core.get("05.2").outcome({**answer, "100x longer": target})


def test_the_mmd_check_recomputes_both_numbers_from_the_embeddings():
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 8, generator=generator), torch.randn(10, 8, generator=generator) + 1
    mmd, means = (a @ a.T).mean() + (b @ b.T).mean() - 2 * (a @ b.T).mean(), ((a.mean(0) - b.mean(0)) ** 2).sum()
    outcome = core.get("07.1").outcome
    assert outcome({"a": a, "b": b, "mmd": mmd, "mean distance": means}) == "equal"
    with pytest.raises(NotYet, match="check the sign of the cross term"):
        outcome(
            {"a": a, "b": b, "mmd": (a @ a.T).mean() + (b @ b.T).mean() + 2 * (a @ b.T).mean(), "mean distance": means}
        )
    with pytest.raises(NotYet, match="the same embeddings"):
        outcome({"a": a, "b": a, "mmd": 0.0, "mean distance": 0.0})


def test_the_background_check_compares_the_mask_with_mnist(mnist):
    outcome = core.get("00.1").outcome
    x = mnist.x_train
    assert outcome(x == x.min()) == "over half"
    with pytest.raises(NotYet, match="does not mark the background"):
        outcome(x > x.min())


def test_the_kaiming_exercise_tells_the_init_scheme_from_the_scores_alone(mnist):
    """02.2 on a small DD set: the Xavier scores twice are refused, Xavier and Kaiming draws are read."""
    images = torch.cat([mnist.x_train[mnist.y_train == c][:1] for c in range(10)])
    made = ddlab.SyntheticSet(
        images,
        torch.arange(10),
        torch.tensor([0.01]),
        {"method": "dd", "init": "random", "steps": 1, "epochs": 1, "ipc": 1},
    )
    kaiming = ddlab.SyntheticSet(
        images, torch.arange(10), torch.tensor([0.01]), {**made.config, "init_scheme": "kaiming"}
    )
    xavier = ddlab.evaluate(made, mnist, n_models=2)
    outcome = core.get("02.2").outcome
    assert outcome({"xavier": xavier, "kaiming": ddlab.evaluate(kaiming, mnist, n_models=2)}) in ("falls", "holds")
    with pytest.raises(NotYet, match="xavier init scheme; it should be kaiming draws"):
        outcome({"xavier": xavier, "kaiming": xavier})
    with pytest.raises(NotYet, match="does not record"):
        outcome({"xavier": xavier, "kaiming": Scores(torch.tensor([0.1, 0.1]), "random")})
