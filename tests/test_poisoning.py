"""DD's poisoning attack (Wang et al. 2018, Section 4.3): the outer loss relabels one class, the
driver judges against the same labels, the measurement of an attack, the naive baseline, the bad-input
errors and the command-line option."""

import dataclasses

import pytest
import torch

from ddlab import distill, evaluate, inits, plots
from ddlab.__main__ import build_parser, config_from_args, main
from ddlab.distill import validation_slice
from ddlab.experiments.adaptation import without_steps
from ddlab.experiments.poisoning import attack_scores, compare_attack, flipped_real
from ddlab.functional import loss, unroll
from ddlab.methods import config_from_dict
from ddlab.methods.dd import DD, DatasetDistillation, relabel
from ddlab.nets import make_net
from ddlab.synthetic import SyntheticSet

TINY = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=2, attack=(3, 8))


def test_relabel_changes_the_source_class_only():
    y = torch.arange(10).repeat(3)  # (30,)
    poisoned = relabel(y, (3, 8))
    assert torch.equal(poisoned[y != 3], y[y != 3])
    assert torch.equal(poisoned[y == 3], torch.full((3,), 8))
    assert relabel(y, ()) is y


def test_the_outer_loss_aims_for_the_relabelled_real_batch(mnist):
    generator = torch.Generator().manual_seed(0)
    method = DatasetDistillation(TINY, mnist, generator)
    state = generator.get_state()  # the real batch is drawn from here
    outer = method.outer_loss()
    x_real, y_real = mnist.sample(TINY.real_batch, torch.Generator().set_state(state))
    assert (y_real == 3).any()
    batches, lrs = method._current().schedule()
    trained = unroll(method.net, {k: v[0] for k, v in method.fixed_init.items()}, batches, lrs)
    torch.testing.assert_close(outer, loss(method.net, trained, x_real, relabel(y_real, (3, 8))))
    assert not torch.isclose(outer, loss(method.net, trained, x_real, y_real))


def test_the_driver_judges_sets_against_the_attacked_labels(mnist):
    result = distill(TINY, mnist, seed=0, progress=False)  # one check, at the end: best = last
    x_val, y_val = validation_slice(mnist)
    attacked = evaluate(result, mnist, on=(x_val, relabel(y_val, (3, 8))), use="distill").mean
    assert result.history["accuracy"] == [pytest.approx(attacked)]
    assert result.config["attack"] == [3, 8]  # saved as plain data ...
    assert config_from_dict(result.config).attack == (3, 8)  # ... and read back as the pair


@pytest.mark.parametrize(
    "attack,message",
    [
        (
            (3,),
            r"DD.attack=\(3,\) is not allowed; use \(\) for no attack or \(source, target\), two different class indices",
        ),
        ((3, 3), r"DD.attack=\(3, 3\) is not allowed"),
        ((-1, 2), r"DD.attack=\(-1, 2\) is not allowed"),
        ((1, 2, 3), r"DD.attack=\(1, 2, 3\) is not allowed"),
        ((1.0, 2), r"DD.attack=\(1.0, 2\) is not allowed"),
    ],
)
def test_bad_attacks_are_one_line_errors(attack, message):
    with pytest.raises(ValueError, match=message) as error:
        DD(attack=attack)
    assert "\n" not in str(error.value)


def test_an_attack_on_a_class_the_data_lacks_names_the_classes_allowed(mnist):
    with pytest.raises(ValueError, match=r"^DD.attack=\(3, 10\) names a class mnist does not have; use classes 0..9$"):
        distill(dataclasses.replace(TINY, attack=(3, 10)), mnist, progress=False)
    untargeted = SyntheticSet(
        torch.zeros(10, 1, 28, 28),
        torch.arange(10),
        torch.zeros(2),
        dataclasses.asdict(dataclasses.replace(TINY, attack=())),
    )
    with pytest.raises(ValueError, match="no attack to measure: pass attack=\\(source, target\\)"):
        attack_scores(untargeted, mnist)
    with pytest.raises(ValueError, match=r"DD.attack=\(12, 1\) names a class"):
        attack_scores(untargeted, mnist, attack=(12, 1))


def _always(cls: int, mnist) -> dict:
    """A LeNet that answers `cls` for every image (zero weights, one positive output bias), stacked once."""
    net = make_net(TINY.arch, *mnist.net_args)
    params = {name: torch.zeros(1, *p.shape) for name, p in net.named_parameters()}
    params["fc3.bias"][0, cls] = 1.0
    return params


@pytest.mark.parametrize("answer", [8, 5])
def test_attack_success_on_networks_with_a_known_answer(mnist, monkeypatch, answer):
    """A network that always answers `answer`, left as it is by zero step sizes: the attack 3 -> 8
    succeeds on every 3 iff answer is 8, and the other classes are right exactly where their label is it."""
    monkeypatch.setattr(inits, "draw_inits", lambda *args, **kwargs: _always(answer, mnist))
    unchanged = without_steps(
        SyntheticSet(torch.randn(10, 1, 28, 28), torch.arange(10), torch.ones(2), dataclasses.asdict(TINY))
    )
    scores = attack_scores(unchanged, mnist)
    others = mnist.y_test[mnist.y_test != 3]
    assert scores.success.accuracies.tolist() == [1.0 if answer == 8 else 0.0]
    assert scores.others.accuracies.item() == pytest.approx((others == answer).float().mean().item())
    assert scores.attack == (3, 8) and str(scores).startswith("3 -> 8 on ")


def test_flipped_real_is_random_real_images_with_the_source_labelled_target(mnist):
    made = flipped_real(mnist, TINY, (3, 8), step_sizes=(0.1, 0.3))
    clean = DatasetDistillation(TINY, mnist, torch.Generator()).labels  # DD's layout: 0..9
    assert torch.equal(made.labels, relabel(clean, (3, 8)))
    threes = mnist.per_class(3).flatten(1)
    assert (made.images[clean == 3].flatten(1)[:, None] == threes[None]).all(-1).any(-1).all()  # a real 3
    assert made.config["tuned_step_size"] in (0.1, 0.3) and torch.all(made.lrs == made.config["tuned_step_size"])
    assert made.method == "flipped_real" and made.lrs.shape == (2,)


def test_compare_attack_measures_every_row_on_the_same_network(mnist):
    poison = distill(TINY, mnist, seed=0, progress=False)
    table = compare_attack(poison, mnist, step_sizes=(0.2,))
    assert list(table.rows) == ["before", "flipped real", "distilled"] and table.images == 10
    distilled = attack_scores(poison, mnist)
    assert torch.equal(table.rows["distilled"].success.accuracies, distilled.success.accuracies)
    bars = table.bars()
    assert list(bars) == ["3 classified as 8", "accuracy on the other classes"]
    assert bars["3 classified as 8"]["before"] is table.rows["before"].success
    ax = plots.plot_bars(bars, ylabel="%")
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.get_xticklabels()] == list(bars)


def test_the_command_line_takes_an_attack_pair(capsys):
    with pytest.raises(SystemExit):
        main(["distill", "dd", "--help"])
    assert "--attack" in capsys.readouterr().out
    parse = build_parser().parse_args
    assert config_from_args(parse(["distill", "dd", "--init", "fixed_pretrained", "--attack", "3", "8"])).attack == (
        3,
        8,
    )
    assert config_from_args(parse(["distill", "dd", "--init", "random"])).attack == ()
    assert main(["distill", "dd", "--attack", "3", "--out", "x.pt"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ddlab: error: DD.attack=(3,) is not allowed") and "\n" not in err
