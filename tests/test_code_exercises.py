"""Write-it-yourself exercises: for every one, the stub is "not yet", the registered wrong
implementation fails, the worked solution passes on several seeds, and each way of failing prints
its own one-line message. DM's reference loss is checked equal to the package's DM loss on MNIST."""

from __future__ import annotations

import pytest
import torch

from ddlab.exercises import code, core
from ddlab.methods.dm import DM, DistributionMatching

SEEDS = (0, 1, 2, 3)


def solved(id: str):
    """The function the exercise's worked solution defines, run as the notebook would run it."""
    exercise = code.find(id)
    namespace = {}
    exec(
        "import torch\nfrom torch.func import functional_call\nfrom torch.nn import functional as F\n"
        "from ddlab.functional import loss\ncheck_code = lambda id, fn: None\n" + exercise.solution,
        namespace,
    )
    return namespace[exercise.name]


def verdict(id, fn, capsys, seeds=SEEDS) -> tuple[bool, str]:
    passed = code.check_code(id, fn, seeds=seeds)
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1, f"one line, got: {printed}"
    return passed, printed


@pytest.mark.parametrize("id", code.ids())
def test_the_stub_fails_as_not_yet(id, capsys):
    def stub(*arguments): ...

    passed, printed = verdict(id, stub, capsys)
    assert not passed and printed.startswith("🤔 Not yet: complete the function")
    assert code.results(id)[-1] == "not yet"


@pytest.mark.parametrize("id", code.ids())
def test_the_wrong_implementation_fails(id, capsys):
    passed, printed = verdict(id, code.find(id).wrong, capsys)
    assert not passed and "🤔" in printed and code.results(id)[-1] == "wrong"


@pytest.mark.parametrize("id", code.ids())
def test_the_solution_passes_on_several_seeds(id, capsys):
    passed, printed = verdict(id, solved(id), capsys)
    assert passed and printed.startswith("✅"), printed
    assert code.results(id)[-1] == "passed"


@pytest.mark.parametrize("id", code.ids())
def test_the_solution_agrees_with_the_package_far_inside_the_tolerance(id):
    """The float64 tolerance (rtol 1e-7) is tight, yet a right answer computed another way sits far inside it."""
    exercise = code.find(id)
    for seed in SEEDS:
        theirs, mine = code._draw(exercise, seed), code._draw(exercise, seed)  # inputs in `wrt` require grad
        expected, got = exercise.reference(*theirs.values()), solved(id)(*mine.values())
        for a, b in zip(*(v.values() if isinstance(v, dict) else [v] for v in (expected, got))):
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("id", code.ids())
def test_hint_and_solution_reach_code_exercises(id, capsys):
    core.hint(id)
    assert code.find(id).hint in capsys.readouterr().out
    assert core.solution(id) == code.find(id).solution and core.get(id) is code.find(id)


def test_each_way_of_failing_says_which(capsys):
    def raising(g_syn, g_real):
        raise RuntimeError("shapes cannot be multiplied\nsecond line")

    def wrong_shape(g_syn, g_real):
        return 1 - torch.cosine_similarity(g_syn.flatten(1), g_real.flatten(1))  # per row: not summed

    def no_gradient(g_syn, g_real):
        return code.find("05.w1").reference(g_syn.detach(), g_real.detach())

    def not_a_tensor(g_syn, g_real):
        return 3.2

    expected = {
        raising: "your matching_distance raised RuntimeError: shapes cannot be multiplied (",
        wrong_shape: "has shape",
        no_gradient: "no gradient reaches g_syn",
        not_a_tensor: "should return a tensor, got float",
    }
    for fn, words in expected.items():
        passed, printed = verdict("05.w1", fn, capsys, seeds=(0,))
        assert not passed and words in printed, printed
    passed, printed = verdict("05.w1", lambda g_syn, g_real: 0 * g_syn.sum() + 2.0, capsys, seeds=(0,))
    assert "is 2 where it should be" in printed


def test_a_right_value_with_a_wrong_gradient_is_named(capsys):
    def value_right_gradient_wrong(k_ts, k_ss, y_s, reg):
        right = code.find("13.w1").reference(k_ts, k_ss, y_s, reg)
        return right.detach() + 0 * k_ts.sum()  # the same numbers; d/dk_ts is 0, not K's

    passed, printed = verdict("13.w1", value_right_gradient_wrong, capsys, seeds=(0,))
    assert not passed and "returns the right value, but its gradient w.r.t. k_ts differs" in printed


def test_unknown_ids_and_the_wrong_check_say_what_is_allowed():
    with pytest.raises(ValueError, match="no write-it-yourself exercise '07.w9'; exercises: 01.w1"):
        code.check_code("07.w9", print)
    with pytest.raises(ValueError, match=r"check it with check_code\('07.w1', your_function\)"):
        core.check("07.w1", "equal", 0)


def test_fresh_inputs_change_from_check_to_check():
    inputs = code.find("07.w1").inputs
    shapes = {tuple(inputs(torch.Generator().manual_seed(seed))["syn"].shape) for seed in range(6)}
    assert len(shapes) > 1


def test_the_dm_reference_is_the_packages_dm_loss(mnist):
    """`class_mean_distance` on the embeddings of the network and batches `outer_loss` draws equals it."""
    method = DistributionMatching(DM(ipc=2, width=8, real_batch=16, dsa=False), mnist, torch.Generator().manual_seed(0))
    state = method.generator.get_state()
    package = method.outer_loss()
    method.generator.set_state(state)
    theta = method.fresh_network()
    features = {k.removeprefix("features."): v for k, v in theta.items() if k.startswith("features.")}
    real = torch.stack([method._embed(features, method.real_images(c)) for c in range(10)])
    syn = torch.stack([method._embed(features, method.class_images(c)) for c in range(10)])
    torch.testing.assert_close(code.find("07.w1").reference(real, syn), package, rtol=1e-5, atol=1e-6)
