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
whether they passed, so the tests can run every notebook solved and see each check pass and fail.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


class NotYet(ValueError):
    """The answer is missing or is not what the exercise asks for; the message says what to do."""


@dataclass(frozen=True)
class Exercise:
    id: str                                  # "03.2": notebook 03, exercise 2
    choices: tuple[str, ...]                 # the predictions a learner can record
    outcome: Callable[[Any], str]            # the choice the computed answer shows (raises NotYet)
    why: str                                 # why the outcome is what it is, shown after the check
    hint: str                                # a nudge towards the answer, not the answer
    solution: str                            # the solved cell: sets `prediction` and `answer`, calls check


_EXERCISES: dict[str, Exercise] = {}
_OUTCOMES: dict[str, str] = {}               # the outcome each exercise's last check computed


def exercise(id: str, choices: tuple[str, ...], why: str, hint: str, solution: str) -> Callable:
    """Register the decorated function as exercise `id`'s outcome: answer -> one of `choices`."""
    def register(outcome: Callable[[Any], str]) -> Callable[[Any], str]:
        if id in _EXERCISES:
            raise ValueError(f"exercise {id!r} is registered twice")
        _EXERCISES[id] = Exercise(id, tuple(choices), outcome, why, hint, solution.strip() + "\n")
        return outcome
    return register


def get(id: str) -> Exercise:
    if id not in _EXERCISES:
        raise ValueError(f"no exercise {id!r}; exercises: {', '.join(sorted(_EXERCISES))}")
    return _EXERCISES[id]


def ids() -> list[str]:
    """Every exercise of the course, in notebook order."""
    return sorted(_EXERCISES)


def check(id: str, prediction: Any, answer: Any) -> bool:
    """Print ✅ when `answer` is what exercise `id` asks for and `prediction` names its outcome,
    else 🤔 and what to do; return whether it passed."""
    exercise = get(id)
    options = " or ".join(repr(c) for c in exercise.choices)
    if prediction is ...:
        return _not_yet(f"first record your prediction: {options}.")
    if prediction not in exercise.choices:
        return _not_yet(f"your prediction {prediction!r} is not one of the choices: {options}.")
    if answer is ...:
        return _not_yet(f"now compute the answer the cell asks for (hint(\"{id}\") if you are stuck).")
    try:
        outcome = exercise.outcome(answer)
    except NotYet as error:
        return _not_yet(f"{error} (hint(\"{id}\") if you are stuck).")
    _OUTCOMES[id] = outcome
    if prediction != outcome:
        print(f"🤔 You predicted {prediction!r}; the outcome is {outcome!r}. {exercise.why}")
        return False
    print(f"✅ Right: {outcome!r}. {exercise.why}")
    return True


def wrong_prediction(id: str) -> str:
    """A choice other than the outcome the last check of `id` computed (for the tests)."""
    if id not in _OUTCOMES:
        raise ValueError(f"exercise {id!r} has not been checked with a computed answer yet")
    return next(c for c in get(id).choices if c != _OUTCOMES[id])


def hint(id: str) -> None:
    """Print a nudge for exercise `id`."""
    print(f"💡 {get(id).hint}")


def solution(id: str) -> str:
    """The worked solution of exercise `id`, as the code of the solved cell (printed and returned)."""
    code = get(id).solution
    print(code)
    return code


def _not_yet(message: str) -> bool:
    print(f"🤔 Not yet: {message}")
    return False
