"""The real-image baselines: DD's layout, what each selection computes, tuning hygiene, the table."""

from dataclasses import replace

import pytest
import torch

from ddlab import inits as inits_module
from ddlab.evaluate import UNSEEN_SEED_OFFSET, evaluate
from ddlab.experiments import baselines
from ddlab.experiments.comparison import compare
from ddlab.methods.dd import DD, DatasetDistillation
from ddlab.sources import assets
from ddlab.synthetic import SyntheticSet

TINY = DD(steps=2, ipc=4, epochs=1, init="fixed")  # 4 images per class, 40 in all, 2 GD steps
GRID = (0.1, 0.2)  # a two-candidate grid keeps tuning to a second


@pytest.fixture
def small_grid(monkeypatch):
    """Baselines that tune internally (optimized_real) use the module's grid: shrink it."""
    monkeypatch.setattr(baselines, "STEP_SIZES", GRID)
    monkeypatch.setattr(baselines, "TUNING_MODELS", 2)
    monkeypatch.setattr(baselines, "JUDGE_MODELS", 3)


@pytest.mark.parametrize("name", list(baselines.BASELINES))
def test_every_baseline_is_laid_out_like_dd(mnist, small_grid, name):
    made = baselines.make_baseline(name, mnist, TINY, seed=0)
    dd_labels = DatasetDistillation(TINY, mnist, torch.Generator().manual_seed(0)).labels
    assert made.images.shape == (40, 1, 28, 28)
    assert torch.equal(made.labels, dd_labels)  # step-major, class-major within a step
    assert made.steps == 2 and made.epochs == 1 and len(made.batches()) == 2
    assert made.lrs.shape == (2,) and torch.all(made.lrs == made.lrs[0])
    assert made.method == name and made.config["init"] == "fixed" and torch.isfinite(made.images).all()
    if name in ("random_real", "optimized_real", "herding", "kcenter"):  # selections: real images of their label
        for c in range(10):
            pool = mnist.per_class(c).flatten(1)  # (n_c, D)
            chosen = made.images[made.labels == c].flatten(1)  # (4, D)
            assert (chosen[:, None] == pool[None]).all(-1).any(-1).all()
    assert len(set(map(bytes, made.images.numpy()))) == 40  # no image repeated


def test_kmeans_with_one_cluster_gives_the_class_means(mnist):
    centroids = baselines.kmeans(mnist, DD(steps=1, ipc=1), seed=3)  # (classes, 1, C, H, W)
    means = torch.stack([mnist.per_class(c).mean(0) for c in range(10)])
    torch.testing.assert_close(centroids[:, 0], means, atol=1e-4, rtol=0)


def test_class_average_is_the_class_mean_or_means_of_its_parts(mnist):
    means = torch.stack([mnist.per_class(c).mean(0) for c in range(10)])
    one = baselines.class_average(mnist, DD(steps=1, ipc=1), seed=0)
    torch.testing.assert_close(one[:, 0], means, atol=1e-5, rtol=0)
    three = baselines.class_average(mnist, DD(steps=3, ipc=3), seed=0)  # (classes, 3, C, H, W)
    sizes = torch.tensor([len(mnist.per_class(c)) for c in range(10)])
    weights = torch.stack([torch.tensor([len(p) for p in torch.arange(n).tensor_split(3)]) for n in sizes])
    pooled = (three * weights.view(10, 3, 1, 1, 1)).sum(1) / sizes.view(10, 1, 1, 1)
    torch.testing.assert_close(pooled, means, atol=1e-4, rtol=0)  # the parts partition each class
    assert not torch.allclose(three[:, 0], three[:, 1])


def test_herding_starts_at_the_image_nearest_the_mean_and_tracks_it(mnist):
    picked = baselines.herding(mnist, DD(steps=3, ipc=3), seed=0)  # (classes, 3, C, H, W)
    random = baselines.random_real(mnist, DD(steps=3, ipc=3), seed=0)
    for c in range(10):
        x = mnist.per_class(c)
        mean = x.mean(0)
        nearest = x[(x - mean).flatten(1).norm(dim=1).argmin()]
        assert torch.equal(picked[c, 0], nearest)
        assert (picked[c].mean(0) - mean).norm() < (random[c].mean(0) - mean).norm()


def test_optimized_real_is_selected_on_training_networks_only(mnist, small_grid, monkeypatch):
    config = DD(steps=1, ipc=1, epochs=1, init="random")
    drawn, judged = [], []  # (setting, use, inits) per draw; (set, networks, accuracy)
    real_draw, real_accuracy = inits_module.draw_inits, baselines.validation_accuracy

    def draw_spy(spec, data, n, generator, *, use="distill"):
        inits = real_draw(spec, data, n, generator, use=use)
        drawn.append((spec.setting, use, inits))
        return inits

    def accuracy_spy(synthetic, data, setting, n_models, seed):
        accuracy = real_accuracy(synthetic, data, setting, n_models, seed)
        judged.append((synthetic.images, len(accuracy), accuracy.mean().item()))
        return accuracy

    monkeypatch.setattr(inits_module, "draw_inits", draw_spy)
    monkeypatch.setattr(baselines, "validation_accuracy", accuracy_spy)
    chosen = baselines.optimized_real(mnist, config, seed=0)  # (classes, 1, C, H, W)
    assert drawn and all(setting == "random" and use == "distill" for setting, use, _ in drawn)
    # the networks results are reported on: evaluate's random draws for seeds 0-2, and the fixed init
    spec = config.inits()
    reported = [
        real_draw(spec, mnist, 20, torch.Generator().manual_seed(UNSEEN_SEED_OFFSET + seed), use="test")
        for seed in range(3)
    ] + [real_draw(replace(spec, setting="fixed"), mnist, 1, None)]
    for _, _, inits in drawn:
        for test_inits in reported:
            assert not any(torch.equal(a, b) for a in inits["conv1.weight"] for b in test_inits["conv1.weight"])
    ranking = judged[len(GRID) :]  # after tuning on the first candidate
    assert len(ranking) == baselines.CANDIDATES and all(n == 3 for _, n, _ in ranking)
    best = max(ranking, key=lambda judged_set: judged_set[2])
    assert torch.equal(best[0], chosen[:, 0])


def test_step_size_is_tuned_on_the_grid_and_never_on_the_test_set(mnist):
    grid = (0.05, 0.2, 0.5)
    made = baselines.make_baseline("class_average", mnist, TINY, step_sizes=grid)
    scores = made.config["validation_accuracy"]
    assert made.config["tuned_step_size"] in grid and made.config["step_size_grid"] == list(grid)
    assert made.lrs[0].item() == pytest.approx(grid[scores.index(max(scores))])
    poisoned = replace(mnist, x_test=torch.zeros_like(mnist.x_test), y_test=(mnist.y_test + 1) % 10)
    again = baselines.make_baseline("class_average", poisoned, TINY, step_sizes=grid)
    assert again.config["validation_accuracy"] == scores and torch.equal(again.lrs, made.lrs)
    given = baselines.make_baseline("class_average", mnist, TINY, step_size=0.3)
    assert torch.all(given.lrs == 0.3) and given.config["validation_accuracy"] == []


def test_a_baseline_beats_chance_on_mnist(mnist):
    made = baselines.make_baseline(
        "class_average", mnist, DD(steps=1, ipc=1, epochs=3, init="fixed"), step_sizes=(0.1, 0.2, 0.3)
    )
    assert evaluate(made, mnist).mean > 0.25  # chance is 0.10


def test_bad_input_gets_one_line_errors(mnist):
    with pytest.raises(ValueError, match="unknown baseline 'median'; available: random_real, optimized_real"):
        baselines.make_baseline("median", mnist, TINY)
    with pytest.raises(
        ValueError,
        match=r"random_real.s images per class \(DD.ipc\)=6000 is more images than the smallest class of mnist has \(5421\)",
    ):
        baselines.make_baseline("random_real", mnist, DD(steps=10, ipc=6000))
    empty = SyntheticSet(
        torch.zeros(10, 1, 28, 28), torch.arange(10), torch.ones(1), {"method": "dd", "steps": 0, "ipc": 1, "epochs": 1}
    )
    with pytest.raises(ValueError, match="DD.steps must be a positive integer, got 0"):
        baselines.make_baseline("kmeans", mnist, empty)
    with pytest.raises(ValueError, match="no DD layout"):
        baselines.make_baseline(
            "kmeans", mnist, SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10), config={"method": "dm"})
        )
    with pytest.raises(TypeError, match="like must be a DD config or a SyntheticSet, got str"):
        baselines.make_baseline("kmeans", mnist, "dd")
    with pytest.raises(
        ValueError,
        match="unknown init setting 'pretrained' for a baseline; use one of: fixed, random, "
        "fixed_pretrained, random_pretrained",
    ):
        baselines.make_baseline("class_average", mnist, TINY, init="pretrained")
    with pytest.raises(ValueError, match="step_sizes must be a non-empty list of positive numbers, got \\(0.1, -1\\)"):
        baselines.make_baseline("class_average", mnist, TINY, step_sizes=(0.1, -1))
    with pytest.raises(ValueError, match="n_sets must be positive, got 0"):
        compare(TINY, mnist, n_sets=0)
    with pytest.raises(ValueError, match="unknown baseline 'median'"):
        compare(TINY, mnist, names=("median",))


def test_comparison_puts_the_distilled_set_beside_the_baselines(mnist):
    distilled = assets.load("dd_fixed_mnist_10")
    table = compare(
        distilled, mnist, settings=("fixed",), names=("class_average", "random_real"), n_sets=2, step_sizes=(0.1, 0.2)
    )
    assert [row.method for row in table.rows] == ["distilled (dd)", "class_average", "random_real"]
    dd, average, random = table.rows
    assert dd.paper == {"fixed": "93.8"} and dd.step_sizes == {"fixed": None}
    assert average.draws["fixed"] == 1 and random.draws["fixed"] == 2  # K=1 averages don't change with the seed
    assert len(random.scores["fixed"].accuracies) == 2
    assert dd.scores["fixed"].mean > max(average.scores["fixed"].mean, random.scores["fixed"].mean)
    text = str(table)
    assert "tuned fixed step size" in text and "| 93.8 |" in text
    assert f"| distilled (dd) | {100 * dd.scores['fixed'].mean:.1f} (n=1) |" in text
    assert table._repr_markdown_() == text and table.row("random_real") is random
    with pytest.raises(KeyError, match="no row 'herding'"):
        table.row("herding")


def test_sets_distilled_for_each_init_get_a_row_each_and_beat_the_baselines_where_they_were_made(mnist):
    """The paper's Table 1 for the 100-image layout: data distilled for the fixed init in the fixed
    column, data distilled for random inits in the random one; each beats the class averages there."""
    for_random, for_fixed = assets.load("dd_random_mnist_100"), assets.load("dd_fixed_mnist_100")
    table = compare((for_random, for_fixed), mnist, names=("class_average",), n_models=4, step_sizes=(0.07,))
    assert [row.method for row in table.rows] == [
        "distilled (dd, for random init)",
        "distilled (dd, for fixed init)",
        "class_average",
    ]
    random_row, fixed_row, average = table.rows
    assert fixed_row.scores["fixed"].mean > average.scores["fixed"].mean
    assert random_row.scores["random"].mean > average.scores["random"].mean
    assert random_row.paper == {"random": "79.5 ± 8.1"} and fixed_row.paper == {}
    with pytest.raises(ValueError, match="different layouts cannot share a table"):
        compare((for_random, assets.load("dd_fixed_mnist_10")), mnist, names=())


def test_the_papers_number_is_shown_only_for_its_own_layout(mnist):
    paper_layout = compare(DD(steps=10, ipc=10, epochs=3), mnist, names=())
    assert paper_layout.rows == () and paper_layout.paper == {"random": "79.5 ± 8.1"}
    assert "The paper's distilled set of this layout: 79.5 ± 8.1 (random init)." in str(paper_layout)
    other = compare(DD(steps=2, ipc=2, epochs=3), mnist, names=())
    assert other.paper == {} and "this layout" not in str(other)


def test_kcenter_picks_the_farthest_image_each_time_and_certifies_its_radius(mnist):
    """Greedy k-center: herding's first pick, then each time the image farthest from all picks so far
    (checked against torch.cdist). Gonzalez's certificate follows: the covering radius (the largest
    distance from an image of the class to its nearest pick) is at most the smallest distance between
    two picks, hence at most twice the best possible radius, e.g. twice that of random picks."""
    config = DD(steps=3, ipc=3)
    picked = baselines.kcenter(mnist, config, seed=0)  # (classes, 3, C, H, W)
    first = baselines.herding(mnist, DD(steps=1, ipc=1), seed=0)[:, 0]
    randoms = [baselines.random_real(mnist, config, seed) for seed in range(3)]
    for c in range(10):
        x = mnist.per_class(c).flatten(1)  # (n_c, D)
        picks = picked[c].flatten(1)  # (3, D)
        radius = lambda centres: torch.cdist(x, centres.flatten(1)).min(1).values.max().item()  # noqa: E731, B023 (this class's)
        assert torch.equal(picked[c, 0], first[c])
        for j in (1, 2):
            assert torch.equal(picks[j], x[torch.cdist(x, picks[:j]).min(1).values.argmax()])
        between = torch.pdist(picks).min().item()
        assert radius(picks) <= between * (1 + 1e-6)
        assert all(radius(picks) <= 2 * radius(r[c]) for r in randoms)
