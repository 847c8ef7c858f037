"""The course's exercises: predict, then check (`core`), one module per notebook; and write it
yourself (`code`: complete a function, checked against ddlab's on fresh inputs; `written/`).

    from ddlab.exercises import check, check_code, hint, solution
    hint("03.2")        # a nudge
    solution("03.2")    # the solved cell
    answer("07.q3")     # our answer to a question of notebook 07's questionnaire
"""

# Importing each module registers its exercises: one module per notebook, and `written`'s write-it-yourself ones.
from . import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09, nb10, nb11, nb12, nb13, nb14, nb15, written  # noqa: F401
from .code import check_code
from .core import NotYet, check, exercise, hint, ids, solution, wrong_prediction
from .questionnaire import answer

__all__ = ["NotYet", "answer", "check", "check_code", "exercise", "hint", "ids", "solution", "wrong_prediction"]
