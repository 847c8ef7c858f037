"""Self-checking exercises: a notebook cell computes the learner's answer, `check` says whether it holds.

Checks print instead of raising, so a notebook with the exercise still unsolved runs top to bottom
(the course is executed in CI exactly as a learner first sees it).
"""
from __future__ import annotations


def check(ok: bool, success: str, hint: str) -> None:
    """Print ✅ + `success` when `ok`, else 🤔 + `hint` (returns nothing, so a cell shows only that)."""
    print(("✅ " + success) if ok else ("🤔 Not yet: " + hint))
