import pytest

from ddlab import environment


def test_environment_report_names_device_profile_and_data_source(mnist, monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    report = environment.describe(mnist)
    assert "PyTorch" in report and "profile: quick" in report
    assert f"source: {mnist.source}" in report and "60,000 train / 10,000 test" in report


def test_route_times_sum_each_route_from_the_measured_notebooks(tmp_path, monkeypatch):
    import json

    from ddlab import routes
    from ddlab.sources import course_files

    monkeypatch.setattr(routes, "TIMES_DIR", tmp_path)
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("DDLAB_COURSE_URL", "http://127.0.0.1:9")  # nothing listens: refused at once
    monkeypatch.setattr(course_files, "FIRST_PAUSE_S", 0.0)
    assert (
        "seminar route: not measured here (ddlab: could not fetch http://127.0.0.1:9/benchmarks/"
        in routes.route_times()
    )
    names = ["00_welcome", "01_dd", "02_inits", "05_dc", "07_dm", "09_board", "13_labels"]
    for profile, seconds in (("seminar", 60.0), ("default", 240.0)):
        notebooks = {
            name: {"wall_s": seconds + i, "cpu_s": seconds, "peak_mib": 900, "failed": None}
            for i, name in enumerate(names)
        }
        routes.times_file(profile).write_text(
            json.dumps({"profile": profile, "machine": "a test", "notebooks": notebooks})
        )
    for i, name in enumerate(names):  # the default profile's notebooks measured on two days
        notebooks[name]["date"] = "2026-12-02" if i < 3 else "2026-12-03"
    routes.times_file("default").write_text(
        json.dumps({"profile": "default", "machine": "a test", "notebooks": notebooks})
    )
    seminar, study = routes.route_times().splitlines()
    assert seminar.startswith(
        "seminar route (6 notebooks, seminar profile): 6 min of running in all, "
        "the longest 09_board at 1.1 min (measured on a test)"
    )
    assert study.startswith(
        "self-study route (7 notebooks, default profile): 28 min of running in all, "
        "the longest 13_labels at 4.1 min (measured on a test, 2026-12-02 to 2026-12-03)"
    )
    notebooks.pop("05_dc")
    routes.times_file("seminar").write_text(json.dumps({"profile": "seminar", "machine": "m", "notebooks": notebooks}))
    with pytest.raises(ValueError, match=r"lack notebooks of the seminar route"):
        routes.route_times()


@pytest.mark.parametrize("profile", ["seminar", "default"])
def test_the_shipped_notebook_times_cover_every_notebook_and_none_failed(profile):
    """Notebook 00 prints each route's time from these files: a notebook added or renamed since the
    last `benchmarks/notebook_times.py --save` must be measured again."""
    import json
    from pathlib import Path

    from ddlab import routes

    measured = json.loads(routes.times_file(profile).read_text())
    on_disk = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
    assert sorted(measured["notebooks"]) == on_disk
    assert not [name for name, t in measured["notebooks"].items() if t["failed"]]


def test_the_environment_check_sets_free_memory_against_the_measured_peaks(monkeypatch):
    from ddlab import environment, routes

    monkeypatch.setattr(routes, "peak_memory_mib", lambda profile: (800.0, 1400.0))
    assert "too little for the largest" in environment.memory_report(1000)
    assert "room for one notebook at a time; shut down" in environment.memory_report(2000)
    assert environment.memory_report(4000).endswith("room to spare")
    assert "1.0 GiB free; each notebook peaks at 0.8 GiB to 1.4 GiB" in environment.memory_report(1024)


def test_free_memory_is_the_containers_headroom_where_it_has_a_limit(tmp_path, monkeypatch):
    from ddlab import environment

    limit, usage, meminfo = tmp_path / "memory.max", tmp_path / "memory.current", tmp_path / "meminfo"
    limit.write_text(f"{2 * 2**30}\n")  # Binder's 2 GiB
    usage.write_text(f"{2**29}\n")  # half a GiB used
    meminfo.write_text("MemTotal:       32000000 kB\nMemAvailable:   16000000 kB\n")
    monkeypatch.setattr(environment, "CGROUP_LIMITS", ((str(limit), str(usage)),))
    monkeypatch.setattr(environment, "MEMINFO", str(meminfo))
    assert environment.available_memory_mib() == 1536
    limit.write_text("max\n")  # no limit: the machine's own estimate
    assert environment.available_memory_mib() == 16000000 / 1024
    monkeypatch.setattr(environment, "MEMINFO", str(tmp_path / "missing"))
    assert environment.available_memory_mib() is None
