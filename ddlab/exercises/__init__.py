"""The course's exercises: predict, then check (`core`), one module per notebook.

    from ddlab.exercises import check, hint, solution
    hint("03.2")        # a nudge
    solution("03.2")    # the solved cell
"""
from . import core, legacy, nb03  # noqa: F401  (nb03 registers notebook 03's exercises)
from .core import NotYet, exercise, hint, ids, solution, wrong_prediction


def check(*args, **kwargs) -> bool:
    """`core.check(id, prediction, answer)`; the old ``check(ok, success, hint)`` until every notebook
    is converted."""
    return (legacy.check if isinstance(args[0], bool) else core.check)(*args, **kwargs)

__all__ = ["NotYet", "check", "exercise", "hint", "ids", "solution", "wrong_prediction"]
