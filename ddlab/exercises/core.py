"""Predict, then check: the one shape of every exercise in the course.

An exercise cell records the learner's prediction *before* anything is computed, then the answer the
cell asks for, then hands both to `check`:

    prediction = ...      # which is higher, "herding" or "kcenter"? (one of the choices)
    answer = ...          # the two sets' test accuracies, computed with ddlab
    check("03.2", prediction, answer)

`check` reads the outcome off the *computed* answer (never off the prediction), says whether the
prediction matched it and why the outcome is what it is. An unsolved stub (``...``), an answer that is
not what was asked, or a wrong prediction prints 🤔 with what to do next; `hint` and `solution`
reveal more on request. Checks print instead of raising, so a notebook with its exercises unsolved
still runs top to bottom (CI runs the course exactly as a learner first opens it), and return
whether they passed, and record each verdict, so the tests can run every notebook solved and see each
check pass and fail (`solved_cell_checks`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .code import CodeExercise, find as find_code_exercise, ids as written_ids, solved_code_checks


class NotYet(ValueError):
    """The answer is missing or is not what the exercise asks for; the message says what to do."""


@dataclass(frozen=True)
class Exercise:
    id: str  # "03.2": notebook 03, exercise 2
    choices: tuple[str, ...]  # the predictions a learner can record
    outcome: Callable[[Any], str]  # the choice the computed answer shows (raises NotYet)
    why: str | Callable[[str], str]  # why the outcome is what it is, shown after the check;
    # a function of the outcome where each has its own reason
    hint: str  # a nudge towards the answer, not the answer
    solution: str  # the solved cell: sets `prediction` and `answer`, calls check
    typed: Any = None  # counterfeit: the old answer's numbers, typed to give the right
    # outcome; the check must refuse it (`answers`, `provenance`)
    wrong_setting: str = ""  # counterfeit: code run after the solution that sets `counterfeit`
    # to an answer from the wrong setting (or the same object twice)

    def explain(self, outcome: str) -> str:
        """Why `outcome` came out. A text that fits every outcome would hedge both ways, so an
        exercise whose outcome can go either way gives a reason per outcome."""
        return self.why(outcome) if callable(self.why) else self.why


_EXERCISES: dict[str, Exercise] = {}
_OUTCOMES: dict[str, str] = {}  # the outcome each exercise's last check computed
_VERDICTS: dict[str, list[str]] = {}  # every check's verdict, in order: "not yet", "passed" or "wrong"


def exercise(
    id: str,
    choices: tuple[str, ...],
    why: str | Callable[[str], str],
    hint: str,
    solution: str,
    typed: Any = None,
    wrong_setting: str = "",
) -> Callable:
    """Register the decorated function as exercise `id`'s outcome: answer -> one of `choices`; `typed`
    and `wrong_setting` are the two counterfeit answers its check must refuse (see `Exercise`)."""

    def register(outcome: Callable[[Any], str]) -> Callable[[Any], str]:
        if id in _EXERCISES:
            raise ValueError(f"exercise {id!r} is registered twice")
        _EXERCISES[id] = Exercise(
            id, tuple(choices), outcome, why, hint, solution.strip() + "\n", typed, wrong_setting.strip()
        )
        return outcome

    return register


def get(id: str) -> Exercise | CodeExercise:
    """Exercise `id`: predict-then-check, or write-it-yourself (`code`): both have a hint and a solution."""
    if id not in _EXERCISES:
        if (written := find_code_exercise(id)) is not None:
            return written
        raise ValueError(f"no exercise {id!r}; exercises: {', '.join(sorted(_EXERCISES) + written_ids())}")
    return _EXERCISES[id]


def ids() -> list[str]:
    """Every exercise of the course, in notebook order."""
    return sorted(_EXERCISES)


def check(id: str, prediction: Any, answer: Any) -> bool:
    """Print ✅ when `answer` is what exercise `id` asks for and `prediction` names its outcome,
    else 🤔 and what to do; return whether it passed."""
    if isinstance(get(id), CodeExercise):
        raise ValueError(f"exercise {id!r} asks for a function: check it with check_code({id!r}, your_function)")
    verdict, message = _judge(get(id), prediction, answer)
    _VERDICTS.setdefault(id, []).append(verdict)
    print(message)
    return verdict == "passed"


def _judge(exercise: Exercise, prediction: Any, answer: Any) -> tuple[str, str]:
    """The verdict on one check ("not yet", "wrong" or "passed") and the message the learner sees."""
    options = " or ".join(repr(c) for c in exercise.choices)
    stuck = f'(hint("{exercise.id}") if you are stuck)'
    if prediction is ...:
        return "not yet", f"🤔 Not yet: first record your prediction: {options}."
    if prediction not in exercise.choices:
        return "not yet", f"🤔 Not yet: your prediction {prediction!r} is not one of the choices: {options}."
    if answer is ...:
        return "not yet", f"🤔 Not yet: now compute the answer the cell asks for {stuck}."
    try:
        outcome = exercise.outcome(answer)
    except NotYet as error:
        return "not yet", f"🤔 Not yet: {error} {stuck}."
    _OUTCOMES[exercise.id] = outcome
    if prediction != outcome:
        return "wrong", f"🤔 You predicted {prediction!r}; the outcome is {outcome!r}. {exercise.explain(outcome)}"
    return "passed", f"✅ Right: {outcome!r}. {exercise.explain(outcome)}"


def wrong_prediction(id: str) -> str:
    """A choice other than the outcome the last check of `id` computed (for the tests)."""
    if id not in _OUTCOMES:
        raise ValueError(f"exercise {id!r} has not been checked with a computed answer yet")
    return next(c for c in get(id).choices if c != _OUTCOMES[id])


def solved_cell_checks(id: str) -> str:
    """The code a test harness runs in the notebook's kernel right after exercise `id`'s worked solution.

    It asserts what makes the exercise sound, from the verdicts `check` recorded in that kernel: the
    learner's unsolved stub said "not yet" and the worked solution passed (nothing else checked `id`
    in between), the same answer with the other prediction is "wrong", the prediction without an
    answer is "not yet", and so are both counterfeits: the typed numbers and the answer from the wrong
    setting that the exercise registers (checked only where it registers them). It is code rather than a function call here because it must run where the
    notebook's own cells ran, on the `prediction` and `answer` the solution left there. A
    write-it-yourself exercise has its own checks (`code.solved_code_checks`).
    """
    if find_code_exercise(id) is not None:
        return solved_code_checks(id)
    exercise = get(id)
    checks = f'''
from ddlab.exercises import core as _core
_seen = _core._VERDICTS.get("{id}", [])
assert _seen == ["not yet", "passed"], (
    f"exercise {id}: the unsolved stub should say 'not yet', then its solution pass; the checks said {{_seen}}")
_core.check("{id}", _core.wrong_prediction("{id}"), answer)
assert _seen[-1] == "wrong", f"exercise {id}: the other prediction is not called wrong: {{_seen[-1]}}"
_core.check("{id}", prediction, ...)
assert _seen[-1] == "not yet", f"exercise {id}: a missing answer is not 'not yet': {{_seen[-1]}}"
'''
    if exercise.typed is not None:
        checks += f'''_core.check("{id}", prediction, _core.get("{id}").typed)
assert _seen[-1] == "not yet", f"exercise {id}: typed numbers were not refused: {{_seen[-1]}}"
'''
    if exercise.wrong_setting:
        checks += f'''{exercise.wrong_setting}
_core.check("{id}", prediction, counterfeit)
del counterfeit
assert _seen[-1] == "not yet", f"exercise {id}: the answer from the wrong setting was not refused: {{_seen[-1]}}"
'''
    return checks


CHECK_CALL = re.compile(r"""check\("(\d\d\.\d+)", prediction, answer\)|check_code\("(\d\d\.w\d+)", \w+\)""")


def exercise_cells(nb) -> dict[int, str]:
    """{cell index: exercise id} of a notebook's predict-then-check and write-it-yourself cells (`nb` as
    nbformat reads it): the cells a harness solves, found by the one call each of them ends with."""
    return {
        i: m.group(1) or m.group(2)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (m := CHECK_CALL.search(cell.source))
    }


def hint(id: str) -> None:
    """Print a nudge for exercise `id`."""
    print(f"💡 {get(id).hint}")


def solution(id: str) -> str:
    """The worked solution of exercise `id`, as the code of the solved cell (printed and returned)."""
    code = get(id).solution
    print(code)
    return code
