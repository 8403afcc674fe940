"""An agent's knowledge: retrieved passages reach the model, sources reach the result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from springlet import Workspace, load_workspace
from springlet.agents.events import RetrievalDone, RunFinished
from springlet.testing import Reply, ToolCall
from springlet.workspace.knowledge import WorkspaceKnowledge

MakeWorkspace = Callable[..., Workspace]

FILES = {
    "knowledge/manual.yaml": """
    name: manual
    sources:
      - path: knowledge/manual/
    embeddings: scripted:words
    """,
    "knowledge/manual/reset.md": "# Reset\n\nHold the power button for ten seconds to reset.\n",
    "knowledge/manual/colors.md": "# Colors\n\nThe kettle comes in red and blue.\n",
}


def knowledge_workspace(make: MakeWorkspace, script: Any, knowledge: str) -> Workspace:
    ws = make(script, knowledge, FILES)
    WorkspaceKnowledge(ws.loaded).ingest("manual")
    return ws


def test_advisor_puts_passages_before_the_model_and_sources_in_the_result(
    make_workspace: MakeWorkspace,
) -> None:
    def respond(messages: list[Any], tools: Any) -> Reply:
        system = str(messages[0].content)
        return Reply("[1] says hold it" if "power button" in system else "no passages")

    ws = knowledge_workspace(
        make_workspace, respond, "knowledge:\n  - collection: manual\n    top_k: 1\n"
    )
    events = list(ws.agent("a").stream("How do I reset the power button?"))
    result = next(e for e in events if isinstance(e, RunFinished)).result
    assert result.text == "[1] says hold it"
    assert [s["path"] for s in result.sources] == ["knowledge/manual/reset.md"]
    [retrieval] = [e for e in events if isinstance(e, RetrievalDone)]
    assert retrieval.collection == "manual"
    assert retrieval.query == "How do I reset the power button?"


def test_tool_mode_lets_the_model_search(make_workspace: MakeWorkspace) -> None:
    ws = knowledge_workspace(
        make_workspace,
        [ToolCall("search_manual", {"query": "kettle colors"}), Reply("Red or blue.")],
        "knowledge:\n  - collection: manual\n    mode: tool\n",
    )
    result = ws.agent("a").run("Which colors?")
    assert result.text == "Red or blue."
    [call] = result.tool_calls
    assert call.name == "search_manual"
    assert "red and blue" in call.result
    assert any(s["path"] == "knowledge/manual/colors.md" for s in result.sources)


def test_retrievals_are_recorded_in_the_trace(make_workspace: MakeWorkspace) -> None:
    from springlet import Workspace as WorkspaceClass
    from springlet.tracing import MemorySink

    ws = knowledge_workspace(
        make_workspace,
        lambda messages, tools: Reply("ok"),
        "knowledge:\n  - collection: manual\n    top_k: 1\n",
    )
    sink = MemorySink()
    traced = WorkspaceClass(ws.loaded, tracing=sink)
    result = traced.agent("a").run("How do I reset the power button?")
    traced.close()
    kinds = [s.kind for s in sink.spans(result.run_id)]
    assert kinds.count("retrieval") == 1
    [retrieval] = [s for s in sink.spans(result.run_id) if s.kind == "retrieval"]
    assert "reset.md" in str(retrieval.attributes)


def test_a_collection_never_ingested_is_ingested_when_an_agent_first_needs_it(
    make_workspace: MakeWorkspace, caplog: Any
) -> None:
    # `springlet init`, then `springlet run`: the first run must answer, not fail
    def respond(messages: list[Any], tools: Any) -> Reply:
        return Reply("found it" if "power button" in str(messages[0].content) else "nothing")

    ws = make_workspace(respond, "knowledge:\n  - collection: manual\n    top_k: 1\n", FILES)
    with caplog.at_level("WARNING", logger="springlet.knowledge"):
        result = ws.agent("a").run("How do I reset the power button?")
    assert result.ok and result.text == "found it"
    assert [s["path"] for s in result.sources] == ["knowledge/manual/reset.md"]
    assert "has never been ingested: ingesting it now" in caplog.text


def test_auto_ingest_never_leaves_the_collection_to_the_user(
    make_workspace: MakeWorkspace,
) -> None:
    files = {**FILES, "springlet.yaml": "knowledge: {auto_ingest: never}\n"}
    ws = make_workspace([Reply("x")], "knowledge:\n  - collection: manual\n", files)
    result = ws.agent("a").run("How do I reset?")
    assert not result.ok
    assert "has not been ingested yet" in (result.error or "")


def test_auto_ingest_always_brings_a_stale_index_up_to_date(
    make_workspace: MakeWorkspace, tmp_path: Path
) -> None:
    def respond(messages: list[Any], tools: Any) -> Reply:
        return Reply("new" if "descale" in str(messages[0].content) else "old")

    files = {**FILES, "springlet.yaml": "knowledge: {auto_ingest: always}\n"}
    knowledge_workspace(make_workspace, respond, "knowledge:\n  - collection: manual\n")
    (tmp_path / "ws" / "springlet.yaml").write_text(files["springlet.yaml"])
    (tmp_path / "ws" / "knowledge" / "manual" / "reset.md").write_text(
        "# Reset\n\nTo reset, descale the kettle first, then hold the power button.\n"
    )
    fresh = load_workspace(tmp_path / "ws", tracing=False)  # the file changed since ingest
    assert fresh.agent("a").run("How do I reset the power button?").text == "new"
    fresh.close()


def test_a_stale_index_gives_one_warning_with_the_count_and_the_command(
    make_workspace: MakeWorkspace, tmp_path: Path, caplog: Any
) -> None:
    knowledge_workspace(make_workspace, [Reply("x")] * 2, "knowledge:\n  - collection: manual\n")
    manual = tmp_path / "ws" / "knowledge" / "manual"
    (manual / "reset.md").write_text("# Reset\n\nUnplug it.\n")
    (manual / "new.md").write_text("# New\n\nA new page.\n")
    fresh = load_workspace(tmp_path / "ws", tracing=False)
    with caplog.at_level("WARNING", logger="springlet.knowledge"):
        fresh.agent("a").run("How do I reset?")
        fresh.agent("a").run("And again?")
    warnings = [r.getMessage() for r in caplog.records if "changed since" in r.getMessage()]
    assert warnings == [
        "collection 'manual': 2 files changed since it was ingested; run `springlet ingest "
        "manual` (or set `knowledge: {auto_ingest: always}`)"
    ]
    fresh.close()
