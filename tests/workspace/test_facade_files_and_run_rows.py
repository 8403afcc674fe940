"""The editor's files (`list_workspace_files`, `read_workspace_file`,
`save_workspace_file`) and the run table's rows (`list_run_rows`, `read_run_rows`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from springlet import SpringletError, load_workspace
from springlet.tracing.spans import Span, SpanKind, SpanStatus
from springlet.tracing.store import STORE_FILE, TraceStore
from springlet.workspace import (
    RunStats,
    WorkspaceFile,
    list_run_rows,
    list_workspace_files,
    read_run_rows,
    read_workspace_file,
    save_workspace_file,
)


def test_files_are_listed_by_kind_read_and_saved(tmp_path: Path) -> None:
    for folder, name in (("agents", "a.yaml"), ("prompts", "p.yml"), ("tools", "t.py")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text("# x\n")
    (tmp_path / "tools" / "notes.txt").write_text("not a tool")
    (tmp_path / "springlet.yaml").write_text("default_model: auto\n")
    ws = load_workspace(tmp_path, tracing=False)
    files = list_workspace_files(ws)
    assert files == [
        WorkspaceFile(Path("springlet.yaml"), "settings", "yaml"),
        WorkspaceFile(Path("agents/a.yaml"), "agents", "yaml"),
        WorkspaceFile(Path("prompts/p.yml"), "prompts", "yaml"),
        WorkspaceFile(Path("tools/t.py"), "tools", "python"),
    ]
    assert read_workspace_file(ws, "agents/a.yaml") == "# x\n"
    save_workspace_file(ws, Path("agents/b.yaml"), "name: b\n")
    assert (tmp_path / "agents" / "b.yaml").read_text() == "name: b\n"


def test_saving_outside_the_workspace_or_a_non_definition_is_refused(tmp_path: Path) -> None:
    ws = load_workspace(tmp_path, tracing=False)
    with pytest.raises(SpringletError, match="outside the workspace"):
        save_workspace_file(ws, "../evil.yaml", "x")
    with pytest.raises(SpringletError, match="not a definition file"):
        save_workspace_file(ws, "notes.txt", "x")
    with pytest.raises(SpringletError, match=r"cannot read agents/none\.yaml"):
        read_workspace_file(ws, "agents/none.yaml")


def span(run: str, span_id: str, kind: SpanKind, start: int, **attrs: object) -> Span:
    status = SpanStatus.ERROR if attrs.pop("failed", False) else SpanStatus.OK
    parent = None if span_id == run else run
    return Span(span_id, run, run, parent, kind, span_id, start, start + 10, status,
                attributes=dict(attrs), seq=start)  # fmt: skip


def test_run_rows_count_tools_errors_and_the_first_ttft(tmp_path: Path) -> None:
    run = "0190aaaa000000000000000000000001"
    quiet = "0190aaaa000000000000000000000002"
    store = TraceStore(tmp_path / ".springlet" / STORE_FILE)
    store.write([
        span(run, "m0", SpanKind.MODEL, 0),  # asked for a tool: no token streamed
        span(run, "m1", SpanKind.MODEL, 1, **{"springlet.time_to_first_token_ms": 300.0}),
        span(run, "t1", SpanKind.TOOL, 2),
        span(run, "t2", SpanKind.TOOL, 3, failed=True),
        span(run, "m2", SpanKind.MODEL, 4, **{"springlet.time_to_first_token_ms": 90.0}),
        span(run, run, SpanKind.AGENT, 0, **{"gen_ai.agent.name": "shop"}),
        span(quiet, quiet, SpanKind.AGENT, 20, **{"springlet.run.input": json.dumps("hi")}),
    ])  # fmt: skip
    store.close()
    ws = load_workspace(tmp_path, tracing=False)
    rows = {row.run.run_id: row.stats for row in list_run_rows(ws)}
    assert rows[run] == RunStats(spans=6, tool_calls=2, errors=1, ttft_ms=300.0)
    assert rows[quiet] == RunStats(spans=1, tool_calls=0, errors=0, ttft_ms=None)
    [row] = read_run_rows(ws, [run, "no-such-run"])
    assert row.run.agent == "shop" and row.stats.tool_calls == 2


def test_run_rows_of_a_workspace_without_traces(tmp_path: Path) -> None:
    ws = load_workspace(tmp_path, tracing=False)
    assert list_run_rows(ws) == [] and read_run_rows(ws, ["x"]) == []
