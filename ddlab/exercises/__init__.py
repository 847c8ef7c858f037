"""The course's exercises: predict, then check (`core`), one module per notebook.

    from ddlab.exercises import check, hint, solution
    hint("03.2")        # a nudge
    solution("03.2")    # the solved cell
"""
from . import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09, nb10, nb11, nb12, nb13  # noqa: F401  (each registers its notebook's exercises)
from .core import NotYet, check, exercise, hint, ids, solution, wrong_prediction

__all__ = ["NotYet", "check", "exercise", "hint", "ids", "solution", "wrong_prediction"]
