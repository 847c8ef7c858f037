from ddlab import environment


def test_environment_report_names_device_profile_and_data_source(mnist, monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    report = environment.describe(mnist)
    assert "PyTorch" in report and "profile: quick" in report
    assert f"source: {mnist.source}" in report and "60,000 train / 10,000 test" in report
