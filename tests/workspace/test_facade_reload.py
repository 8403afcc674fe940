"""ws.reload(), ws.watch(), ws.validate_text() and ws.describe_agent() on real files."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from springlet import load_workspace
from springlet.testing import Reply, register_script, unregister_script
from springlet.workspace import AgentInfo, ReloadReport, WorkspaceChanged

AGENT = "name: a\ndescription: First.\nmodel: scripted:{script}\ninstructions: Be {mood}.\n"


@pytest.fixture
def script() -> Iterator[str]:
    name = f"r{uuid.uuid4().hex[:8]}"
    register_script(name, lambda messages, tools: Reply(str(messages[0].content)))
    yield name
    unregister_script(name)


@pytest.fixture
def root(tmp_path: Path, script: str) -> Path:
    root = tmp_path / "ws"
    (root / "agents").mkdir(parents=True)
    (root / "agents" / "a.yaml").write_text(AGENT.format(script=script, mood="kind"))
    return root


def test_reload_picks_up_changes_and_keeps_the_last_good_agent(root: Path, script: str) -> None:
    ws = load_workspace(root, tracing=False)
    assert ws.agent("a").run("hi").text == "Be kind."
    (root / "agents" / "a.yaml").write_text(AGENT.format(script=script, mood="brief"))
    report = ws.reload()
    assert isinstance(report, ReloadReport)
    assert report.changed == ("agent:a",) and report.problems == ()
    assert ws.agent("a").run("hi").text == "Be brief."
    (root / "agents" / "a.yaml").write_text("name: a\ndescription: [broken\n")
    broken = ws.reload()
    assert broken.kept == ("agent:a",)
    assert broken.problems and "a.yaml" in str(broken.problems[0].location)
    assert ws.agent("a").run("hi").text == "Be brief."  # still the last good one
    (root / "agents" / "a.yaml").unlink()
    assert ws.reload().changed == ("agent:a",)
    assert ws.agent_names == []


def test_watch_reloads_on_save_and_reports(root: Path, script: str) -> None:
    ws = load_workspace(root, tracing=False)
    events: list[WorkspaceChanged] = []
    arrived = threading.Event()

    def on_event(event: WorkspaceChanged) -> None:
        events.append(event)
        arrived.set()

    handle = ws.watch(on_event)
    try:
        (root / "agents" / "b.yaml").write_text(
            AGENT.format(script=script, mood="new").replace("name: a", "name: b")
        )
        assert arrived.wait(10), "no change event within 10 s"
    finally:
        handle.stop()
    assert not handle.running
    assert any(p.name == "b.yaml" for p in events[0].paths)
    assert "agent:b" in events[0].report.changed and "b" in ws.agent_names


def test_data_dir_writes_do_not_trigger_a_reload(root: Path) -> None:
    ws = load_workspace(root, tracing=False)
    events: list[WorkspaceChanged] = []
    handle = ws.watch(events.append)
    try:
        ws.loaded.data_dir.mkdir(parents=True, exist_ok=True)
        (ws.loaded.data_dir / "noise.yaml").write_text("x: 1\n")
        time.sleep(0.8)
    finally:
        handle.stop()
    assert events == []


def test_validate_text_checks_an_unsaved_buffer(root: Path, script: str) -> None:
    ws = load_workspace(root, tracing=False)
    path = root / "agents" / "a.yaml"
    assert ws.validate_text(path, AGENT.format(script=script, mood="ok")) == ()
    problems = ws.validate_text(path, AGENT.format(script=script, mood="ok") + "tools: [nope]\n")
    assert problems and "nope" in problems[0].message
    assert problems[0].location is not None and problems[0].location.line == 5
    assert path.read_text() == AGENT.format(script=script, mood="kind")  # nothing written
    new_file = ws.validate_text(root / "agents" / "new.yaml", "name: [\n")
    assert new_file and new_file[0].code == "yaml-syntax"
    [syntax] = ws.validate_text(root / "tools" / "t.py", "def broken(:\n")
    assert syntax.code == "python-syntax" and syntax.location.line == 1  # type: ignore[union-attr]


def test_describe_agent_needs_no_model(root: Path, script: str) -> None:
    (root / "agents" / "m.yaml").write_text(
        f"name: m\ndescription: Remembers.\nmodel: scripted:{script}\ninstructions: i\n"
        "advisors:\n  - memory: {}\n"
    )
    ws = load_workspace(root, tracing=False)
    info = ws.describe_agent("m")
    assert isinstance(info, AgentInfo)
    assert (info.kind, info.has_memory, info.model) == ("agent", True, f"scripted:{script}")
    assert info.model_reason == f"scripted:{script} as configured"
    assert ws.describe_agent("a").has_memory is False
    with pytest.raises(Exception, match="no agent named 'zz'"):
        ws.describe_agent("zz")


def test_validate_text_of_the_settings_file(root: Path) -> None:
    ws = load_workspace(root, tracing=False)
    [problem] = ws.validate_text(root / "springlet.yaml", "default_model: nonsense\n")
    assert problem.location is not None and problem.location.path.name == "springlet.yaml"
    assert ws.validate_text(root / "springlet.yaml", "default_model: auto\n") == ()
    assert not (root / "springlet.yaml").exists()


def test_describe_agent_with_auto_says_why(
    root: Path, script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from springlet.models.resolve import forget_auto_choice

    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens there
    forget_auto_choice()
    (root / "agents" / "auto.yaml").write_text(
        "name: auto\ndescription: Any model.\nmodel: auto\ninstructions: i\n"
    )
    ws = load_workspace(root, tracing=False)
    try:
        info = ws.describe_agent("auto")
    finally:
        forget_auto_choice()
    assert info.model == "embedded:smollm2"
    assert "no Ollama at http://127.0.0.1:9" in info.model_reason


def test_a_broken_tools_file_keeps_its_tools(root: Path, script: str) -> None:
    tools = root / "tools" / "t.py"
    tools.parent.mkdir()
    tools.write_text(
        "from springlet import tool\n\n\n@tool\ndef ping() -> str:\n"
        '    """Answers pong."""\n    return "pong"\n'
    )
    agent = root / "agents" / "a.yaml"
    agent.write_text(agent.read_text() + "tools: [ping]\n")
    ws = load_workspace(root, tracing=False)
    tools.write_text("def broken(:\n")
    report = ws.reload()
    assert report.kept == ("agent:a",)
    assert any(p.code == "python-syntax" for p in report.problems)
    assert "ping" in ws.loaded.tools and ws.agent("a").run("hi").status == "ok"
