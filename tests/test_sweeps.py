"""Sweeps over DD's size settings: one distilled and evaluated set per grid point, in grid order,
the table and the plot, and clear errors for a bad grid."""

import pytest

from ddlab import evaluate, plots
from ddlab.experiments.sweeps import Sweep, sweep
from ddlab.methods.dd import DD

TINY = DD(init="fixed", ipc=1, steps=1, epochs=1, real_batch=32, iterations=2)


def test_a_sweep_distils_and_evaluates_every_point_of_the_grid(mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))
    result = sweep(TINY, mnist, {"steps": (1, 2), "epochs": (1, 2)}, progress=False)
    assert result.varied == ("steps", "epochs")
    assert [(p["steps"], p["epochs"]) for p in result.points] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert result.column("images") == [10, 10, 20, 20]
    assert [s.lrs.shape[0] for s in result.sets] == [1, 2, 2, 4]  # steps x epochs GD steps
    assert [(s.config["steps"], s.config["epochs"]) for s in result.sets] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert result.column("networks") == [1] * 4 and all(s > 0 for s in result.column("seconds"))
    assert result.points[3]["accuracy"] == pytest.approx(evaluate(result.sets[3], mnist).mean)
    assert all(0 <= a <= 1 for a in result.column("accuracy"))
    table = str(result)
    assert table.splitlines()[0] == "| steps | epochs | images | test accuracy (%) | distil (s) |"
    assert len(table.splitlines()) == 6 and result._repr_markdown_() == table
    events = []
    again = sweep(TINY, mnist, {"steps": (2,), "epochs": (2,)}, progress=False, callbacks=[events.append])
    assert again.sets[0].images.equal(result.sets[3].images) and len(events) == 1  # made once per machine
    assert again.points[0]["seconds"] == result.points[3]["seconds"]  # the run's own time


def test_bad_grids_are_one_line_errors(mnist):
    with pytest.raises(ValueError, match="DD has no setting 'stepz'; settings: .*steps"):
        sweep(TINY, mnist, {"stepz": (1, 2)})
    with pytest.raises(ValueError, match=r"grid\['ipc'\] must be a non-empty list of values, got \(\)"):
        sweep(TINY, mnist, {"ipc": ()})
    with pytest.raises(ValueError, match=r"grid\['init'\] must be a non-empty list of values, got 'fixed'"):
        sweep(TINY, mnist, {"init": "fixed"})
    with pytest.raises(ValueError, match="DD.ipc must be a positive integer, got 0"):
        sweep(TINY, mnist, {"ipc": (0,)})
    with pytest.raises(TypeError, match="sweep varies a DD config, got dict"):
        sweep({"ipc": 1}, mnist, {"ipc": (1,)})


def _made_up() -> Sweep:
    """A sweep's result without running one: 3 steps x 2 epochs, accuracy rising with both."""
    points = tuple(
        {
            "steps": s,
            "epochs": e,
            "images": 10 * s,
            "accuracy": 0.5 + 0.1 * s + 0.05 * e,
            "std": 0.01 * s,
            "networks": 4,
            "seconds": 1.0,
        }
        for s in (1, 2, 4)
        for e in (1, 3)
    )
    return Sweep(("steps", "epochs"), points, ())


def test_plot_sweep_draws_one_line_per_hue_value_in_x_order():
    made_up = _made_up()
    ax = plots.plot_sweep(made_up, x="steps", hue="epochs")
    lines = [bars.lines[0] for bars in ax.containers]  # each errorbar's data line
    assert len(lines) == 2 and [t.get_text() for t in ax.get_legend().get_texts()] == ["epochs = 1", "epochs = 3"]
    assert lines[0].get_xdata().tolist() == [1, 2, 4]
    assert lines[1].get_ydata().tolist() == pytest.approx([100 * (0.5 + 0.1 * s + 0.15) for s in (1, 2, 4)])
    assert plots.plot_sweep(made_up, x="epochs").get_legend() is None
    with pytest.raises(ValueError, match="'ipc' is not a varied setting of this sweep; varied: steps, epochs"):
        plots.plot_sweep(made_up, x="ipc")
    with pytest.raises(ValueError, match="a sweep has no column 'loss'"):
        made_up.column("loss")
