"""Agent runs on the scripted model: tools, errors, limits, approval, memory, streaming."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from springlet import Workspace, load_workspace
from springlet.agents.events import (
    ApprovalAnswered,
    ApprovalRequested,
    Event,
    ModelMessage,
    ModelToken,
    RunFailed,
    RunFinished,
    RunStarted,
    ToolCallFailed,
    ToolCallFinished,
    ToolCallStarted,
)
from springlet.testing import Reply, ToolCall

MakeWorkspace = Callable[..., Workspace]


def tool_messages(result: Any) -> list[str]:
    return [m["content"] for m in result.messages if m["role"] == "tool"]


def test_tool_round_trip(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("It has shipped.")],
        "tools: [get_order_status]\n",
    )
    result = ws.agent("a").run("Where is A-1001?")
    assert result.status == "ok"
    assert result.text == "It has shipped."
    assert [(c.name, c.arguments, c.result, c.ok) for c in result.tool_calls] == [
        ("get_order_status", {"order_id": "A-1001"}, "Order A-1001 is shipped.", True)
    ]
    assert [m["role"] for m in result.messages] == ["human", "ai", "tool", "ai"]
    assert result.model == f"scripted:{ws.loaded.agents['a'].model.name}"  # type: ignore[union-attr]


def test_tool_error_is_fed_back_and_the_run_goes_on(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("get_order_status", {"order_id": "Z-9"}), Reply("That order does not exist.")],
        "tools: [get_order_status]\n",
    )
    result = ws.agent("a").run("Where is Z-9?")
    assert result.status == "ok"
    assert result.text == "That order does not exist."
    assert tool_messages(result) == [
        "Error: tool 'get_order_status' failed: KeyError: 'no order Z-9'"
    ]
    assert result.tool_calls[0].ok is False


def test_unknown_tool_is_answered_with_an_error(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("teleport", {"where": "Mars"}), Reply("I cannot do that.")],
        "tools: [get_order_status]\n",
    )
    result = ws.agent("a").run("Beam me up")
    assert result.text == "I cannot do that."
    assert tool_messages(result) == [
        "Error: there is no tool named 'teleport'. Available tools: get_order_status."
    ]


def test_invalid_arguments_are_answered_with_an_error(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("get_order_status", {"order": "A-1001"}), Reply("Sorry.")],
        "tools: [get_order_status]\n",
    )
    result = ws.agent("a").run("?")
    [message] = tool_messages(result)
    assert "order_id" in message and "Field required" in message
    assert result.text == "Sorry."


def test_step_limit_ends_with_a_clear_result(make_workspace: MakeWorkspace) -> None:
    calls = [ToolCall("get_order_status", {"order_id": f"A-100{i}"}) for i in range(10)]
    ws = make_workspace(calls, "tools: [get_order_status]\nlimits: {max_steps: 3}\n")
    result = ws.agent("a").run("Loop forever")
    assert result.status == "step_limit"
    assert result.text.startswith("Step limit reached: the agent used its 3 model calls")
    assert len(result.tool_calls) == 3


def test_repeated_identical_calls_are_stopped(make_workspace: MakeWorkspace) -> None:
    same = ToolCall("get_order_status", {"order_id": "A-1001"})
    ws = make_workspace(
        [same, same, same, Reply("Done.")],
        "tools: [get_order_status]\nlimits: {max_repeated_calls: 2}\n",
    )
    result = ws.agent("a").run("?")
    assert [c.ok for c in result.tool_calls] == [True, True, False]
    assert tool_messages(result)[-1].startswith(
        "Error: 'get_order_status' was already called 2 times with these exact arguments"
    )


def test_tool_timeout_is_fed_back(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("slow_lookup", {"key": "x"}), Reply("It was too slow.")],
        "tools: [slow_lookup]\n",
    )
    result = ws.agent("a").run("?")
    assert tool_messages(result) == [
        "Error: tool 'slow_lookup' did not finish within 0.2 s; it was abandoned."
    ]
    assert result.text == "It was too slow."


def test_run_timeout_bounds_the_whole_run(make_workspace: MakeWorkspace) -> None:
    def slow_model(messages: Any, tools: Any) -> Any:
        import time

        time.sleep(0.5)
        return Reply("late")

    ws = make_workspace(slow_model, "limits: {timeout_s: 0.1}\n")
    result = ws.agent("a").run("?")
    assert result.status == "timeout"
    assert result.error == "timed out after 0.1 s (limits.timeout_s)"


def test_model_failure_is_a_failed_result_not_an_exception(make_workspace: MakeWorkspace) -> None:
    from springlet.errors import ModelUnavailableError
    from springlet.testing import Fail

    ws = make_workspace([Fail(ModelUnavailableError("is `ollama serve` running?"))])
    result = ws.agent("a").run("?")
    assert result.status == "error"
    assert "is `ollama serve` running?" in (result.error or "")


APPROVAL = "tools: [refund_order]\nadvisors:\n  - approval: {tools: [refund_order]}\n"


def test_approval_accepted(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("refund_order", {"order_id": "A-1", "amount": 5}), Reply("Refunded.")], APPROVAL
    )
    asked: list[ApprovalRequested] = []

    def approve(request: ApprovalRequested) -> bool:
        asked.append(request)
        return True

    result = ws.agent("a").run("Refund 5 on A-1", approve=approve)
    assert [(r.name, r.arguments) for r in asked] == [
        ("refund_order", {"order_id": "A-1", "amount": 5})
    ]
    assert tool_messages(result) == ["Refunded 5.00 on A-1."]


def test_approval_rejected_in_a_stream(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("refund_order", {"order_id": "A-1", "amount": 5}), Reply("Not refunded.")],
        APPROVAL,
    )
    events: list[Event] = []
    for event in ws.agent("a").stream("Refund 5 on A-1"):
        events.append(event)
        if isinstance(event, ApprovalRequested):
            event.reject("the customer changed their mind")
    answered = [e for e in events if isinstance(e, ApprovalAnswered)]
    assert [(a.step, a.approved, a.reason) for a in answered] == [
        (1, False, "the customer changed their mind")
    ]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert tool_messages(finished.result) == [
        "The user did not approve running 'refund_order' (the customer changed their mind). "
        "Do not retry it."
    ]


def test_tools_needing_approval_do_not_run_without_an_approver(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [ToolCall("refund_order", {"order_id": "A-1", "amount": 5}), Reply("Could not.")],
        "tools: [refund_order]\n",  # @tool(requires_approval=True) is enough
    )
    result = ws.agent("a").run("Refund")
    assert tool_messages(result) == [
        "Error: 'refund_order' needs human approval and nobody was asked; it did not run."
    ]


def count_user_turns(messages: Any, tools: Any) -> Reply:
    turns = [m for m in messages if m.type == "human"]
    return Reply(f"{len(turns)}: {turns[-1].content}")


def test_memory_across_runs_of_one_session_and_isolation(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(count_user_turns, "advisors:\n  - memory: {}\n")
    agent = ws.agent("a")
    assert agent.run("hello", session_id="s1").text == "1: hello"
    assert agent.run("again", session_id="s1").text == "2: again"
    assert agent.run("other", session_id="s2").text == "1: other"
    assert (ws.loaded.data_dir / "memory.sqlite").is_file()


def test_memory_window_limits_what_the_model_sees(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(count_user_turns, "advisors:\n  - memory: {window: 3}\n")
    agent = ws.agent("a")
    for word in ["one", "two", "three"]:
        result = agent.run(word, session_id="w")
    assert result.text == "2: three"  # human, ai, human in the window


def test_memory_survives_a_cancelled_streamed_turn(make_workspace: MakeWorkspace) -> None:
    seen: list[list[Any]] = []

    def respond(messages: Any, tools: Any) -> Any:
        seen.append(list(messages))
        last = messages[-1]
        if last.type == "human" and last.content == "look it up":
            return ToolCall("slow_lookup", {"key": "k"})
        return Reply("fine")

    ws = make_workspace(respond, "tools: [slow_lookup]\nadvisors:\n  - memory: {}\n")
    agent = ws.agent("a")
    for event in agent.stream("look it up", session_id="c"):
        if isinstance(event, ToolCallStarted):
            break  # the user walks away mid-turn
    result = agent.run("hello again", session_id="c")
    assert result.text == "fine"
    # the model got a valid history: every tool call it sees has its result
    history = seen[-1]
    calls = {c["id"] for m in history if m.type == "ai" for c in m.tool_calls}
    results = {m.tool_call_id for m in history if m.type == "tool"}
    assert calls == results
    assert [m.content for m in history if m.type == "human"] == ["look it up", "hello again"]


def test_stream_event_order(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("It has shipped today.")],
        "tools: [get_order_status]\n",
    )
    events = list(ws.agent("a").stream("Where is A-1001?"))
    kinds = [e.kind for e in events if not isinstance(e, ModelToken)]
    assert kinds == [
        "run_started",
        "model_message",
        "tool_call_started",
        "tool_call_finished",
        "model_message",
        "run_finished",
    ]
    tokens = [e.text for e in events if isinstance(e, ModelToken)]
    assert "".join(tokens) == "It has shipped today."
    assert len(tokens) > 1
    assert len({e.run_id for e in events}) == 1
    started = next(e for e in events if isinstance(e, ToolCallStarted))
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert (started.call_id, started.step) == (finished.call_id, 1)
    messages = [e for e in events if isinstance(e, ModelMessage)]
    assert [m.step for m in messages] == [1, 2]
    assert isinstance(events[0], RunStarted) and events[0].model.startswith("scripted:")


async def test_async_stream_and_run(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(lambda messages, tools: Reply("async hello"))
    agent = ws.agent("a")
    assert (await agent.arun("hi")).text == "async hello"
    kinds = [e.kind async for e in agent.astream("hi")]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"


async def test_failed_tool_event(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("get_order_status", {"order_id": "nope"}), Reply("no")],
        "tools: [get_order_status]\n",
    )
    failed = [e async for e in ws.agent("a").astream("?") if isinstance(e, ToolCallFailed)]
    assert [e.name for e in failed] == ["get_order_status"]


def echo_with_session(messages: Any, tools: Any) -> Reply:
    last = messages[-1]
    if last.type == "tool":
        return Reply(f"answer: {last.content}")
    return ToolCall("get_order_status", {"order_id": "A-1001"})  # type: ignore[return-value]


def test_fifty_concurrent_runs_do_not_cross(make_workspace: MakeWorkspace) -> None:
    def respond(messages: Any, tools: Any) -> Any:
        last = messages[-1]
        if last.type == "human":
            return Reply(f"you said {last.content}")
        return Reply("?")

    ws = make_workspace(respond, "advisors:\n  - memory: {}\n")
    agent = ws.agent("a")
    results: dict[int, str] = {}

    def one(i: int) -> None:
        results[i] = agent.run(f"message {i}", session_id=f"s{i}").text

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"you said message {i}" for i in range(50)}


async def test_fifty_concurrent_async_runs(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(lambda messages, tools: Reply(f"re: {messages[-1].content}"))
    agent = ws.agent("a")
    results = await asyncio.gather(*(agent.arun(f"m{i}", session_id=f"x{i}") for i in range(50)))
    assert [r.text for r in results] == [f"re: m{i}" for i in range(50)]
    assert len({r.run_id for r in results}) == 50


def test_run_failed_event_carries_the_error(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace([])
    events = list(ws.agent("a").stream("?"))
    assert isinstance(events[-1], RunFailed)
    assert "ran out" in events[-1].error


def test_instructions_are_rendered_for_the_run(make_workspace: MakeWorkspace) -> None:
    seen: list[str] = []

    def respond(messages: Any, tools: Any) -> Reply:
        seen.append(messages[0].content)
        return Reply("ok")

    ws = make_workspace(respond)
    ws.agent("a").run("?")
    import datetime

    assert seen == [f"You help. Today is {datetime.date.today().isoformat()}."]


def test_static_instructions_reach_every_model_call(make_workspace: MakeWorkspace) -> None:
    # instructions without template markup are create_agent's system prompt
    seen: list[tuple[str, str]] = []

    def respond(messages: Any, tools: Any) -> Reply | ToolCall:
        seen.append((messages[0].type, messages[0].content))
        if messages[-1].type == "tool":
            return Reply("It has shipped.")
        return ToolCall("get_order_status", {"order_id": "A-1001"})

    ws = make_workspace(respond, "tools: [get_order_status]\n")
    agent_file = ws.root / "agents" / "a.yaml"
    agent_file.write_text(agent_file.read_text().replace("Today is {{ today }}.", "Be brief."))
    with load_workspace(ws.root, tracing=False) as static_ws:
        assert static_ws.agent("a").run("Where is A-1001?").text == "It has shipped."
    assert seen == [("system", "You help. Be brief.")] * 2


@pytest.mark.parametrize("name", ["nope"])
def test_unknown_agent_is_a_clear_error(make_workspace: MakeWorkspace, name: str) -> None:
    from springlet.errors import NotFoundError

    ws = make_workspace([Reply("x")])
    with pytest.raises(NotFoundError, match="no agent named 'nope'"):
        ws.agent(name)


def test_dangling_tool_calls_in_memory_are_answered_before_the_next_turn(
    make_workspace: MakeWorkspace,
) -> None:
    from langchain_core.messages import AIMessage

    from springlet._runtime import runtime_loop

    seen: list[list[Any]] = []

    def respond(messages: Any, tools: Any) -> Reply:
        seen.append(list(messages))
        return Reply("ok")

    ws = make_workspace(respond, "tools: [get_order_status]\nadvisors:\n  - memory: {}\n")
    agent = ws.agent("a")
    agent.run("first", session_id="d")
    config = {"configurable": {"thread_id": "d"}}
    dangling = AIMessage(
        "", tool_calls=[{"id": "c1", "name": "get_order_status", "args": {"order_id": "A-1001"}}]
    )
    runtime_loop.run_sync(
        agent.graph.aupdate_state(config, {"messages": [dangling]}, as_node="model")
    )
    agent.run("second", session_id="d")
    history = seen[-1]
    assert [m.type for m in history] == ["system", "human", "ai", "ai", "tool", "human"]
    assert history[4].tool_call_id == "c1"
    assert history[4].content == "Error: this tool call was cancelled before it finished."


def test_an_approval_nobody_answers_refuses_the_tool_after_its_timeout(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [ToolCall("refund_order", {"order_id": "A-1", "amount": 5}), Reply("Not refunded.")],
        "tools: [refund_order]\nadvisors:\n  - approval: {tools: [refund_order], timeout_s: 0.2}\n",
    )
    events = list(ws.agent("a").stream("Refund 5 on A-1"))  # ApprovalRequested is ignored
    [answered] = [e for e in events if isinstance(e, ApprovalAnswered)]
    assert not answered.approved and "no answer within 0.2 s" in answered.reason
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.result.text == "Not refunded."
