from ddlab import environment
from ddlab.exercises import check


def test_environment_report_names_device_profile_and_data_source(mnist, monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    report = environment.describe(mnist)
    assert "PyTorch" in report and "profile: quick" in report
    assert f"source: {mnist.source}" in report and "60,000 train / 10,000 test" in report


def test_check_prints_success_or_hint(capsys):
    assert check(True, "well done", "try again") is None
    assert capsys.readouterr().out == "✅ well done\n"
    check(False, "well done", "look at x")
    assert capsys.readouterr().out == "🤔 Not yet: look at x\n"
