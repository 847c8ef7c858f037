import pytest

from ddlab import environment


def test_environment_report_names_device_profile_and_data_source(mnist, monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    report = environment.describe(mnist)
    assert "PyTorch" in report and "profile: quick" in report
    assert f"source: {mnist.source}" in report and "60,000 train / 10,000 test" in report


def test_route_times_sum_each_route_from_the_measured_notebooks(tmp_path, monkeypatch):
    import json

    from ddlab import course

    monkeypatch.setattr(course, "TIMES_DIR", tmp_path)
    assert "seminar route: not measured here" in course.route_times()
    names = ["00_welcome", "01_dd", "02_inits", "05_dc", "07_dm", "09_board", "13_labels"]
    for profile, seconds in (("seminar", 60.0), ("default", 240.0)):
        notebooks = {name: {"wall_s": seconds + i, "cpu_s": seconds, "peak_mib": 900, "failed": None}
                     for i, name in enumerate(names)}
        course.times_file(profile).write_text(json.dumps({"profile": profile, "machine": "a test", "notebooks": notebooks}))
    for i, name in enumerate(names):                 # the default profile's notebooks measured on two days
        notebooks[name]["date"] = "2026-12-02" if i < 3 else "2026-12-03"
    course.times_file("default").write_text(json.dumps({"profile": "default", "machine": "a test", "notebooks": notebooks}))
    seminar, study = course.route_times().splitlines()
    assert seminar.startswith("seminar route (6 notebooks, seminar profile): 6 min of running in all, "
                              "the longest 09_board at 1.1 min (measured on a test)")
    assert study.startswith("self-study route (7 notebooks, default profile): 28 min of running in all, "
                            "the longest 13_labels at 4.1 min (measured on a test, 2026-12-02 to 2026-12-03)")
    notebooks.pop("05_dc")
    course.times_file("seminar").write_text(json.dumps({"profile": "seminar", "machine": "m", "notebooks": notebooks}))
    with pytest.raises(ValueError, match=r"lacks notebooks of the seminar route"):
        course.route_times()


@pytest.mark.parametrize("profile", ["seminar", "default"])
def test_the_shipped_notebook_times_cover_every_notebook_and_none_failed(profile):
    """Notebook 00 prints each route's time from these files: a notebook added or renamed since the
    last `benchmarks/notebook_times.py --save` must be measured again."""
    import json
    from pathlib import Path

    from ddlab import course

    measured = json.loads(course.times_file(profile).read_text())
    on_disk = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
    assert sorted(measured["notebooks"]) == on_disk
    assert not [name for name, t in measured["notebooks"].items() if t["failed"]]
