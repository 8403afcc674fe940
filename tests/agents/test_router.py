"""Routers: a clear embedding match forwards without a chat call; otherwise the model picks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from springlet import Workspace
from springlet.agents.events import RouteChosen
from springlet.testing import Reply, ScriptedChatModel, register_script

MakeWorkspace = Callable[..., Workspace]

ROUTER = """
name: desk
kind: router
description: Routes.
model: scripted:SCRIPT-chooser
embeddings: scripted:words
routes:
  - agent: orders
    examples: ["where is my order", "track my parcel delivery"]
  - agent: a
    examples: ["translate this sentence to Chinese"]
fallback: a
min_score: 0.6
"""

ORDERS = """
name: orders
description: Order questions.
model: scripted:SCRIPT
instructions: Orders.
"""


def make_router(make_workspace: MakeWorkspace, script_name: str, chooser: Any) -> Workspace:
    register_script(f"{script_name}-chooser", chooser)
    return make_workspace(
        lambda messages, tools: Reply(f"answered by the agent for: {messages[-1].content}"),
        files={"agents/desk.yaml": ROUTER, "agents/orders.yaml": ORDERS},
    )


def test_clear_match_routes_without_calling_the_chat_model(
    make_workspace: MakeWorkspace, script_name: str
) -> None:
    chooser = ScriptedChatModel(steps=[])  # any call would fail: the script is empty
    ws = make_router(make_workspace, script_name, chooser)
    events = list(ws.agent("desk").stream("where is my order"))
    chosen = [e for e in events if isinstance(e, RouteChosen)]
    assert [(c.route, c.by) for c in chosen] == [("orders", "embedding")]
    assert chosen[0].score >= 0.6
    assert events[-1].result.route == "orders"  # type: ignore[attr-defined]
    assert chooser.calls == []


def test_ambiguous_message_lets_the_model_choose_among_routes(
    make_workspace: MakeWorkspace, script_name: str
) -> None:
    chooser = ScriptedChatModel(steps=[Reply('{"route": "a"}')])
    ws = make_router(make_workspace, script_name, chooser)
    result = ws.agent("desk").run("hmm, something else entirely")
    assert result.route == "a"
    assert len(chooser.calls) == 1
    assert result.text == "answered by the agent for: hmm, something else entirely"


def test_fallback_when_the_model_cannot_choose(
    make_workspace: MakeWorkspace, script_name: str
) -> None:
    chooser = ScriptedChatModel(steps=[Reply('{"route": "nowhere"}')])
    ws = make_router(make_workspace, script_name, chooser)
    result = ws.agent("desk").run("zzz qqq")
    assert result.route == "a"


def test_routed_run_id_is_the_id_of_its_trace(
    make_workspace: MakeWorkspace, script_name: str
) -> None:
    from springlet import Workspace as WorkspaceClass
    from springlet.tracing import MemorySink

    ws = make_router(make_workspace, script_name, ScriptedChatModel(steps=[]))
    sink = MemorySink()
    traced = WorkspaceClass(ws.loaded, tracing=sink)
    events = list(traced.agent("desk").stream("where is my order"))
    result = events[-1].result  # type: ignore[attr-defined]
    chosen = next(e for e in events if isinstance(e, RouteChosen))
    traced.close()
    assert chosen.run_id == result.run_id
    assert {s.run_id for s in sink.spans()} == {result.run_id}
