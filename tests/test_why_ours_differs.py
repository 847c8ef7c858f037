"""A notebook's "why ours differs" is chosen by the run: the reason of every finding measured as
differing, each said once, and none for a finding that agrees."""

from __future__ import annotations

from ddlab.analysis.findings import Finding, why_ours_differs


def test_why_ours_differs_explains_only_the_findings_the_run_measured_as_differing():
    agree = Finding("a", "up", "up", True, "reason A")
    differ = [
        Finding("b", "up", "down", False, "reason B"),
        Finding("c", "up", "down", False, "reason B"),
        Finding("d", "up", "down", False, "reason D"),
    ]
    assert why_ours_differs([agree]) == "Every finding points the paper's way: nothing to explain."
    text = why_ours_differs([agree, *differ])
    assert "reason A" not in text and text.count("reason B") == 1 and "b; c — differs" in text and "reason D" in text
