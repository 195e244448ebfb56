"""The member app's benchmark, run small, so that it keeps working."""

from __future__ import annotations

import pytest

from bench import app_shell

pytestmark = pytest.mark.browser


def test_the_app_benchmark_times_the_list_and_runs_lighthouse(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(app_shell, "CASES", 20)
    monkeypatch.setattr(app_shell, "RUNS", 1)
    monkeypatch.setattr(app_shell, "RESULTS", tmp_path)

    app_shell.run()

    printed = capsys.readouterr().out
    assert "20 cases:" in printed and "no cases:" in printed
    assert "performance" in printed and "accessibility" in printed
    assert "Total Blocking Time" in printed
    assert (tmp_path / "lighthouse-cases.json").stat().st_size > 10_000
