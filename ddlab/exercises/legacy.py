"""The old check(ok, success, hint) of notebooks not yet converted to predict-then-check.
To be deleted when the last notebook is converted (issue 15)."""
from __future__ import annotations


def check(ok: bool, success: str, hint: str) -> bool:
    print(("✅ " + success) if ok else ("🤔 Not yet: " + hint))
    return bool(ok)
