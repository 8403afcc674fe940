"""A workspace with 31 mistakes reports all 31, each at its file:line:col, in one load."""

from __future__ import annotations

from pathlib import Path

import pytest

from springlet.workspace.loader import load_workspace_files

FIXTURE = Path(__file__).parent / "fixtures" / "many_mistakes"


def test_all_mistakes_are_reported_with_locations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    loaded = load_workspace_files(Path("."))
    expected = (FIXTURE / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [str(p) for p in loaded.problems] == expected
    assert len(expected) >= 30


def test_nothing_in_the_broken_workspace_is_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    loaded = load_workspace_files(Path("."))
    assert loaded.usable_agents == []
    assert set(loaded.unusable) >= {"agent:helpdesk", "agent:ping", "agent:pong", "agent:router"}
    assert "prompt:summarize" in loaded.unusable
