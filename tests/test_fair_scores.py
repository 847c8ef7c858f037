"""Fair scores (DD-Ranking): soft labels alone lift random real images, and the fair gain sees through
it; hard and soft columns for a DD set with learned labels, none for KIP's targets; leaderboard rows
carry the columns; the real-data networks are cached and verified."""

import dataclasses

import pytest
import torch

from ddlab import DD, distill, recipes
from ddlab.data import Dataset
from ddlab.experiments import fair, leaderboard as lb
from ddlab.methods import kip  # noqa: F401  (importing the file registers "kip")
from ddlab.methods.base import config_for
from ddlab.protocol import Budget, Protocol
from ddlab.recipes import LeaderboardPlan, WholeData
from ddlab.synthetic import SyntheticSet

TINY = LeaderboardPlan(
    ipcs=(1,),
    evaluation=Budget(0.02, 2, width=8),
    test_examples=500,
    use_assets=False,
    checks=1,
    check_models=1,
    check_examples=200,
    fair=WholeData(epochs=1, n_models=1, examples=500),
)


def blends(classes: int = 4, side: int = 8, seed: int = 0) -> Dataset:
    """A toy task whose labels are uncertain: each image blends the classes' prototypes with random
    weights, and its label is drawn from those weights. A class label keeps one draw of them; a
    teacher trained on all the data learns them, so its soft labels say far more per image."""
    generator = torch.Generator().manual_seed(seed)
    prototypes = torch.randn(classes, side * side, generator=generator)  # (classes, D)

    def draw(n):
        weights = (2 * torch.randn(n, classes, generator=generator)).softmax(1)  # (n, classes)
        x = weights @ prototypes + 0.3 * torch.randn(n, side * side, generator=generator)
        return x.view(n, 1, side, side), torch.multinomial(weights, 1, generator=generator).flatten()

    (x_train, y_train), (x_test, y_test) = draw(4000), draw(1000)
    return Dataset("blends", x_train, y_train, x_test, y_test, (0.0,), (1.0,), tuple("abcd"[:classes]))


def test_soft_labels_alone_lift_random_real_images_and_the_fair_gain_sees_through_it(tmp_path):
    data = blends()
    judge = fair.Judge(Protocol(arch="mlp", augmentation="none", epochs=50, lr=0.05), n_models=2)
    budget = WholeData(epochs=10, n_models=1)
    layout = SyntheticSet(torch.zeros(12, 1, 8, 8), torch.arange(4).repeat_interleave(3))  # 3 per class
    net, trained = fair.whole_data_networks(data, judge.real_protocol(layout, budget), budget, root=tmp_path)
    teacher = {name: value[:1] for name, value in trained.items()}
    results = []
    for draw in range(8):  # one draw of 12 images is noisy; the lift shows on average
        images = fair.random_like(layout, data, seed=100 + draw)
        # a "distilled" set that is nothing but random real images carrying the teacher's labels
        pretender = dataclasses.replace(images, soft_labels=fair.teacher_labels(net, teacher, images.images))
        assert pretender.trains_on_soft_labels
        results.append(fair.fair_scores(pretender, data, judge, budget, seed=draw, root=tmp_path))
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    lift = mean([r.soft.mean - r.hard.mean for r in results])  # the same images, soft vs class labels
    naive, fair_gain = mean([r.naive_gain for r in results]), mean([r.soft_gain for r in results])
    assert lift > 0.02, lift  # 3 to 9 points on other toy seeds
    assert naive > 0.04 and abs(fair_gain) < 0.015, (naive, fair_gain)  # naive 5 to 10 points, fair within 0.5
    assert all(r.gap == r.whole.mean - r.hard.mean and r.whole.setting == "whole data" for r in results)
    assert "soft labels" in results[0].summary() and fair.points(0.1234) == "+12.3" and fair.points(None) == "—"


def test_random_like_keeps_counts_places_and_step_sizes(mnist):
    labels = torch.tensor([3, 3, 0, 7, 3])
    made = SyntheticSet(
        torch.zeros(5, 1, 28, 28),
        labels,
        torch.ones(2),
        {"method": "dd", "epochs": 2},
        soft_labels=torch.full((5, 10), 0.1),
    )
    real = fair.random_like(made, mnist, seed=1)
    assert torch.equal(real.labels, labels) and torch.equal(real.lrs, made.lrs) and real.soft_labels is None
    assert real.config == {"method": "random_real", "epochs": 2}
    for image, label in zip(real.images, labels):
        assert (mnist.per_class(int(label)) == image).flatten(1).all(1).any()
    threes = real.images[labels == 3].flatten(1)
    assert not any(torch.equal(threes[i], threes[j]) for i in range(3) for j in range(i))  # without replacement
    assert torch.equal(fair.random_like(made, mnist, seed=1).images, real.images)


def test_a_dd_set_with_learned_labels_gets_hard_and_soft_columns(mnist, tmp_path):
    config = DD(init="fixed", learn_labels=True, n_images=5, steps=1, epochs=1, iterations=2, real_batch=32)
    made = distill(config, mnist, seed=0, progress=False, eval_every=2, eval_models=1, eval_examples=100)
    assert made.trains_on_soft_labels and made.soft_labels.shape == (5, 10)
    judge = lb.judge(made, TINY)
    assert judge.protocol is None  # replayed, as the leaderboard replays DD sets
    scores = fair.fair_scores(made, mnist, judge, WholeData(epochs=1, n_models=1, examples=256), root=tmp_path)
    assert scores.soft is not None and scores.random_soft is not None
    # a fixed-init set is judged on its one network, and random real images in its places too
    assert all(
        s.setting == "fixed" and len(s.accuracies) == 1
        for s in (scores.hard, scores.soft, scores.random_hard, scores.random_soft)
    )
    assert scores.soft_gain == scores.soft.mean - scores.random_soft.mean
    assert scores.naive_gain == scores.soft.mean - scores.random_hard.mean
    # the soft column trains on the learned labels; shared 50/50 at the start, they teach all ten digits
    assert not torch.equal(scores.soft.accuracies, scores.hard.accuracies)


def test_kip_sets_regression_targets_get_no_soft_column(mnist, tmp_path):
    config = config_for("kip", ipc=1, real_batch=100, iterations=2, learn_labels=True)
    made = distill(config, mnist, seed=0, progress=False, validate=False)
    assert made.soft_labels is not None and not made.trains_on_soft_labels
    judge = fair.Judge(Protocol(arch="mlp", augmentation="none", epochs=20), n_models=1, test_examples=300)
    scores = fair.fair_scores(made, mnist, judge, WholeData(epochs=1, n_models=1, examples=256), root=tmp_path)
    assert scores.soft is None and scores.random_soft is None and scores.soft_gain is None
    assert scores.naive_gain == scores.gain and "soft labels" not in scores.summary()


def test_leaderboard_rows_carry_the_fair_columns_and_the_table_shows_them(mnist):
    row = lb.run("random_real", 1, mnist, plan=TINY)
    assert row.fair is not None and row.fair.hard is row.scores and row.fair.soft is None
    assert row.fair.gain == 0  # seed 0 draws the coreset's very images, and they are judged alike
    assert len(row.fair.random_hard.accuracies) == 2 and len(row.fair.whole.accuracies) == 1
    again = lb.run("herding", 1, mnist, plan=TINY)
    assert again.fair.random_hard is row.fair.random_hard  # same protocol and counts: measured once
    text = str(lb.Leaderboard((row, again), TINY))
    assert "| method | images / class | hard labels (%) | random real (%) | gain | soft labels (%) |" in text
    assert (
        f"| random_real | 1 | {row.scores.format(unit='')} | {row.fair.random_hard.format(unit='')} | "
        f"{fair.points(row.fair.gain)} | — | — | — | {row.fair.whole.format(unit='')} | {fair.points(row.fair.gap)} |"
        in text
    )
    assert "500 random training images for 1 epoch(s)" in text
    assert lb.run("herding", 1, mnist, plan=dataclasses.replace(TINY, fair=None)).fair is None
    assert "hard labels (%)" not in str(
        lb.Leaderboard((lb.run("kcenter", 1, mnist, plan=dataclasses.replace(TINY, fair=None)),), TINY)
    )


def test_real_data_networks_are_cached_verified_and_rebuilt(tmp_path, caplog):
    data = blends()
    real, budget = Protocol(arch="mlp", augmentation="none", epochs=1), WholeData(epochs=1, n_models=2, examples=512)
    net, first = fair.whole_data_networks(data, real, budget, root=tmp_path)
    files = list((tmp_path / "whole_data").glob("blends-mlp-*.pt"))
    assert len(files) == 1 and files[0].with_name(files[0].name + ".sha256").is_file()
    assert next(iter(first.values())).shape[0] == 2
    fair._trained.clear()  # as in a new session: from the file
    _, loaded = fair.whole_data_networks(data, real, budget, root=tmp_path)
    assert all(torch.equal(first[k], loaded[k]) for k in first)
    fair._trained.clear()
    files[0].write_bytes(files[0].read_bytes()[:-10])  # damaged: trained again, same weights
    with caplog.at_level("WARNING"):
        _, rebuilt = fair.whole_data_networks(data, real, budget, root=tmp_path)
    assert "fails its sha256 check" in caplog.text and all(torch.equal(first[k], rebuilt[k]) for k in first)
    with pytest.raises(ValueError, match="temperature must be positive"):
        fair.teacher_labels(net, first, data.x_test[:2], temperature=0)


def test_the_default_profiles_real_data_networks_are_shipped_verified_and_used_without_training(
    mnist, tmp_path, monkeypatch
):
    monkeypatch.setenv("DDLAB_PROFILE", "default")
    assert {p.name for p in fair.SHIPPED_DIR.glob("*.pt")} == set(fair.SHA256)
    plan = recipes.leaderboard()
    dm = SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10), None, {"method": "dm", "width": 32, "ipc": 1})
    judge = lb.judge(dm, plan)
    real = judge.real_protocol(dm, plan.fair)

    def no_training(*args, **kwargs):
        raise AssertionError("shipped networks must not be trained again")

    monkeypatch.setattr(fair, "_train_and_save", no_training)
    fair._trained.clear()
    net, params = fair.whole_data_networks(mnist, real, plan.fair, root=tmp_path)  # an empty data root
    accuracy = fair.accuracy_many(net, params, mnist.x_test[:1000], mnist.y_test[:1000])
    assert accuracy.item() > 0.9  # one epoch on all of MNIST
    fair._trained.clear()
    name = next(n for n in fair.SHA256 if n.startswith("mnist-convnet"))
    for suffix in ("", ".sha256"):
        (tmp_path / (name + suffix)).write_bytes((fair.SHIPPED_DIR / (name + suffix)).read_bytes())
    (tmp_path / (name + ".sha256")).write_text("0" * 64 + "\n")
    monkeypatch.setattr(fair, "SHIPPED_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"^shipped whole-data networks .* do not match their sha256"):
        fair.whole_data_networks(mnist, real, plan.fair, root=tmp_path / "root")
    fair._trained.clear()
