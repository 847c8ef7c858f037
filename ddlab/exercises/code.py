"""Write it yourself: the learner completes a function, and the check runs it beside ddlab's.

An exercise cell holds a stub — a signature, a docstring saying what to compute, ``...`` — and a check:

    def dm_loss(real, syn):
        \"\"\"sum over classes c of || mean(real[c]) - mean(syn[c]) ||^2 ...\"\"\"
        ...

    check_code("07.w1", dm_loss)

`check_code` calls the function on fresh random inputs (a new draw every call, so no typed number and
no hard-wired shape can pass), in float64 so the tolerance can be tight, and compares what it
returns with what the package computes on the same inputs: the value, and — where the package's
answer is differentiable — the gradient with respect to the inputs the exercise names, since a loss
with the right value and a broken gradient teaches nothing. Every way to fail prints one line that
says which: the stub (not yet), an exception (shown in one line), a wrong type or shape, a wrong
value (yours and the package's), a right value with a wrong gradient. `hint` and `solution` work as
for the predict-then-check exercises (`core`), and each exercise registers a plausible wrong
implementation, so the tests can show the check catches that mistake.

This module holds the machinery only; the exercises live in `written/`, one module per notebook.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

DRAWS = 3  # fresh random inputs per check
TOLERANCE = dict(rtol=1e-7, atol=1e-10)  # float64: a right answer computed another way agrees to ~1e-12


@dataclass(frozen=True)
class CodeExercise:
    id: str  # "07.w1": notebook 07, write-it-yourself exercise 1
    name: str  # the function the learner completes: "dm_loss"
    inputs: Callable[[torch.Generator], dict]  # fresh random arguments by name, from a generator
    reference: Callable[..., Any]  # the package's answer on those arguments
    wrong: Callable[..., Any]  # a plausible mistake, which the check must catch (tests)
    wrt: tuple[str, ...]  # arguments whose gradient must match; () where none is defined
    why: str  # what the function means, shown when it passes
    hint: str  # a nudge, not the answer
    solution: str  # the solved cell: the completed function and its check


_CODE_EXERCISES: dict[str, CodeExercise] = {}
_RESULTS: dict[str, list[str]] = {}  # every check's result per exercise: "not yet", "wrong", "passed"


def code_exercise(
    id: str, name: str, reference: Callable, wrong: Callable, wrt: tuple[str, ...], why: str, hint: str, solution: str
) -> Callable:
    """Register the decorated function (generator -> {argument: value}) as the inputs of exercise `id`."""

    def register(inputs: Callable[[torch.Generator], dict]) -> Callable[[torch.Generator], dict]:
        if id in _CODE_EXERCISES:
            raise ValueError(f"exercise {id!r} is registered twice")
        _CODE_EXERCISES[id] = CodeExercise(
            id, name, inputs, reference, wrong, tuple(wrt), why, hint, solution.strip() + "\n"
        )
        return inputs

    return register


def find(id: str) -> CodeExercise | None:
    """Exercise `id` if it is a write-it-yourself one, else None."""
    return _CODE_EXERCISES.get(id)


def ids() -> list[str]:
    """Every write-it-yourself exercise of the course, in notebook order."""
    return sorted(_CODE_EXERCISES)


def results(id: str) -> list[str]:
    """What each check of exercise `id` found so far, oldest first (for the tests)."""
    return list(_RESULTS.get(id, []))


def check_code(id: str, fn: Callable, seeds: tuple[int, ...] | None = None) -> bool:
    """Print ✅ when `fn` computes what ddlab computes on fresh random inputs (value and gradient),
    else 🤔 and what differs; return whether it passed. `seeds`: the draws (default: new ones)."""
    exercise = _CODE_EXERCISES.get(id)
    if exercise is None:
        raise ValueError(f"no write-it-yourself exercise {id!r}; exercises: {', '.join(ids())}")
    seeds = seeds if seeds is not None else tuple(secrets.randbits(31) for _ in range(DRAWS))
    try:
        for seed in seeds:
            _compare(exercise, fn, seed)
    except _Mismatch as mismatch:
        _RESULTS.setdefault(id, []).append(mismatch.result)
        print(f'🤔 Not yet: {mismatch} (hint("{id}") if you are stuck).')
        return False
    _RESULTS.setdefault(id, []).append("passed")
    print(
        f"✅ Right: your {exercise.name} gives ddlab's value{' and gradient' if exercise.wrt else ''} on "
        f"{len(seeds)} fresh random inputs (float64, rtol {TOLERANCE['rtol']:g}). {exercise.why}"
    )
    return True


class _Mismatch(Exception):
    def __init__(self, message: str, result: str = "wrong"):
        super().__init__(message)
        self.result = result


def _compare(exercise: CodeExercise, fn: Callable, seed: int) -> None:
    """Raise _Mismatch saying how `fn` differs from the reference on the draw `seed`."""
    name = exercise.name
    if not callable(fn):
        raise _Mismatch(f"complete the function `{name}` and pass it to the check", "not yet")
    theirs_in, mine_in = (_draw(exercise, seed) for _ in range(2))  # two equal copies: fn may modify its own
    expected = exercise.reference(*theirs_in.values())
    try:
        got = fn(*mine_in.values())  # by position: any parameter names do
    except Exception as error:  # the learner's code: show any error
        raise _Mismatch(f"your {name} raised {type(error).__name__}: {_one_line(error)}") from None
    if got is None or got is ...:
        raise _Mismatch(f"complete the function `{name}`: it returns {got!r}", "not yet")
    inputs = _describe(theirs_in)
    got_parts, expected_parts = _parts(got, expected, name), _parts(expected, expected, name)
    for what, mine, theirs in zip(_labels(expected, name), got_parts, expected_parts):
        if mine.shape != theirs.shape:
            raise _Mismatch(
                f"{what} has shape {tuple(mine.shape)} where it should be {tuple(theirs.shape)} "
                f"on these inputs: {inputs}"
            )
        if not torch.allclose(mine.detach().double(), theirs.detach().double(), **TOLERANCE):
            raise _Mismatch(f"{_difference(what, mine, theirs)} on these inputs: {inputs}")
    if exercise.wrt:
        _compare_gradients(exercise, got_parts, expected_parts, mine_in, theirs_in, seed, inputs)


def _compare_gradients(exercise, got_parts, expected_parts, mine_in, theirs_in, seed, inputs) -> None:
    """The gradient of one random projection of the output, w.r.t. each input in `wrt`."""
    generator = torch.Generator().manual_seed(seed + 1)
    probes = [torch.randn(t.shape, generator=generator, dtype=torch.float64) for t in expected_parts]
    theirs = _gradients(expected_parts, probes, _leaves(theirs_in, exercise.wrt))
    mine = _gradients(got_parts, probes, _leaves(mine_in, exercise.wrt))
    for (what, g_mine), g_theirs in zip(mine, (g for _, g in theirs)):
        if g_mine is None and g_theirs is not None:
            raise _Mismatch(
                f"your {exercise.name} returns the right value, but no gradient reaches {what} "
                "(a .detach(), .item(), torch.no_grad() or a missing create_graph=True?)"
            )
        if g_theirs is not None and not torch.allclose(g_mine, g_theirs, **TOLERANCE):
            largest = (g_mine - g_theirs).abs().max().item()
            raise _Mismatch(
                f"your {exercise.name} returns the right value, but its gradient w.r.t. {what} "
                f"differs from ddlab's by up to {largest:.3g} (largest entry "
                f"{g_theirs.abs().max().item():.3g}) on these inputs: {inputs}"
            )


def _draw(exercise: CodeExercise, seed: int) -> dict:
    arguments = exercise.inputs(torch.Generator().manual_seed(seed))
    for leaf in _leaves(arguments, exercise.wrt).values():
        leaf.requires_grad_()
    return arguments


def _leaves(arguments: dict, names: tuple[str, ...]) -> dict[str, Tensor]:
    """The tensors of the arguments `names`, by a readable name (a dict argument gives one per entry)."""
    found = {}
    for name in names:
        value = arguments[name]
        found.update({f"{name}[{k!r}]": v for k, v in value.items()} if isinstance(value, dict) else {name: value})
    return found


def _gradients(
    outputs: list[Tensor], probes: list[Tensor], leaves: dict[str, Tensor]
) -> list[tuple[str, Tensor | None]]:
    projection = sum((out.double() * probe).sum() for out, probe in zip(outputs, probes) if out.requires_grad)
    if not torch.is_tensor(projection):  # nothing of it depends on the inputs
        return [(what, None) for what in leaves]
    grads = torch.autograd.grad(projection, list(leaves.values()), allow_unused=True)
    return list(zip(leaves, grads))


def _parts(value: Any, like: Any, name: str) -> list[Tensor]:
    """`value` as a list of tensors laid out like the reference's answer `like` (a tensor or a dict)."""
    if isinstance(like, dict):
        if not isinstance(value, dict) or set(value) != set(like):
            raise _Mismatch(
                f"your {name} should return a dict with the keys {', '.join(map(repr, like))}, got {_kind(value)}"
            )
        parts = [value[k] for k in like]
    else:
        parts = [value]
    for part in parts:
        if not torch.is_tensor(part):
            raise _Mismatch(
                f"your {name} should return {'tensors' if len(parts) > 1 else 'a tensor'}, got {_kind(part)}"
            )
    return parts


def _labels(like: Any, name: str) -> list[str]:
    return [f"{name}(...)[{k!r}]" for k in like] if isinstance(like, dict) else [f"your {name}"]


def _difference(what: str, mine: Tensor, theirs: Tensor) -> str:
    if mine.numel() == 1:
        return f"{what} is {mine.item():.6g} where it should be {theirs.item():.6g}"
    gap = (mine.detach().double() - theirs.detach().double()).abs()
    at = tuple(int(i) for i in torch.unravel_index(gap.argmax(), gap.shape))
    return (
        f"{what} differs from ddlab's by up to {gap.max().item():.3g} (entry {at}: "
        f"{mine[at].item():.6g} where it should be {theirs[at].item():.6g})"
    )


def _describe(arguments: dict) -> str:
    """The inputs in one line: tensors by shape, numbers by value."""

    def one(value):
        if torch.is_tensor(value):
            return f"a tensor {tuple(value.shape)}" if value.dim() else f"{value.item():.4g}"
        if isinstance(value, dict):
            return f"a dict of {len(value)} tensors"
        if isinstance(value, torch.nn.Module):
            return f"a {type(value).__name__}"
        return repr(value)

    return ", ".join(f"{name} = {one(value)}" for name, value in arguments.items())


def _kind(value: Any) -> str:
    return f"a tensor {tuple(value.shape)}" if torch.is_tensor(value) else f"{type(value).__name__} {value!r:.60}"


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else "(no message)"


def solved_code_checks(id: str) -> str:
    """The code a test harness runs in the notebook's kernel right after exercise `id`'s worked
    solution (`core.solved_cell_checks`): the learner's unsolved stub was "not yet", the solution
    passed, and the exercise's registered wrong implementation fails the same check."""
    if id not in _CODE_EXERCISES:
        raise ValueError(f"no write-it-yourself exercise {id!r}; exercises: {', '.join(ids())}")
    return f'''
from ddlab.exercises import code as _code
_seen = _code.results("{id}")
assert _seen == ["not yet", "passed"], (
    f"exercise {id}: the unsolved stub should say 'not yet', then its solution pass; the checks said {{_seen}}")
assert not _code.check_code("{id}", _code.find("{id}").wrong), "exercise {id}: the wrong implementation passes"
assert _code.results("{id}")[-1] == "wrong", f"exercise {id}: the wrong implementation is not called wrong"
'''
