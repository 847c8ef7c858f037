"""`solved_cell_checks`, the code the notebook harness runs after each worked solution, passes on a sound
exercise and fails when the stub was not "not yet" or the solution does not pass."""

from __future__ import annotations

import pytest

from ddlab.exercises import core


@pytest.fixture
def toy(monkeypatch):
    """A throwaway exercise "99.1" (is the answer above 0?), registered only for one test."""
    monkeypatch.setattr(core, "_EXERCISES", dict(core._EXERCISES))
    monkeypatch.setattr(core, "_VERDICTS", {})
    monkeypatch.setattr(core, "_OUTCOMES", {})
    core.exercise(
        "99.1",
        choices=("above", "below"),
        why="Its sign.",
        hint="Look at the sign.",
        solution='prediction = "above"\nanswer = 3\ncheck("99.1", prediction, answer)\n',
    )(lambda answer: "above" if answer > 0 else "below")
    return "99.1"


def test_passes_after_an_unsolved_stub_and_its_solution(toy, capsys):
    kernel = {"check": core.check}
    exec('prediction = ...\nanswer = ...\ncheck("99.1", prediction, answer)\n', kernel)
    exec(core.get(toy).solution + core.solved_cell_checks(toy), kernel)
    assert core._VERDICTS[toy] == ["not yet", "passed", "wrong", "not yet"]
    assert capsys.readouterr().out.count("✅") == 1


def test_fails_when_the_stub_already_passed(toy):
    kernel = {"check": core.check}
    exec(core.get(toy).solution, kernel)  # the "stub" came solved
    with pytest.raises(AssertionError, match="the unsolved stub should say 'not yet'"):
        exec(core.get(toy).solution + core.solved_cell_checks(toy), kernel)


def test_fails_when_the_solution_does_not_pass(toy):
    kernel = {"check": core.check}
    exec('prediction = ...\nanswer = ...\ncheck("99.1", prediction, answer)\n', kernel)
    with pytest.raises(AssertionError, match=r"\['not yet', 'wrong'\]"):
        exec(
            'prediction = "below"\nanswer = 3\ncheck("99.1", prediction, answer)\n' + core.solved_cell_checks(toy),
            kernel,
        )


def test_an_unknown_exercise_is_named():
    with pytest.raises(ValueError, match="no exercise '99.9'"):
        core.solved_cell_checks("99.9")
