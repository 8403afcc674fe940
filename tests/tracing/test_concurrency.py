"""200 concurrent runs in one process: every run's spans stored, none crossed."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import BaseMessage
from langchain_core.tools import tool

from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.tracing import SpanKind, Tracer, TraceStore


@tool
def echo(tag: str) -> str:
    """Echo a tag."""
    return f"echo {tag}"


def respond(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Any:
    question = str(messages[0].content)
    if messages[-1].type == "tool":
        return Reply(f"done {question}")
    return ToolCall("echo", {"tag": question})


AGENT = create_agent(ScriptedChatModel(respond=respond), [echo])


def traced(tracer: Tracer, tag: str) -> str:
    with tracer.run(agent="load", input=tag) as run:
        AGENT.invoke({"messages": [("user", tag)]}, {"callbacks": run.callbacks})
    return run.run_id


async def atraced(tracer: Tracer, tag: str) -> str:
    async with tracer.run(agent="load", input=tag) as run:
        await AGENT.ainvoke({"messages": [("user", tag)]}, {"callbacks": run.callbacks})
    return run.run_id


async def test_200_concurrent_runs_threads_and_asyncio(tracer: Tracer, store: TraceStore) -> None:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=16) as pool:
        threaded = [loop.run_in_executor(pool, traced, tracer, f"t{i}") for i in range(100)]
        awaited = [atraced(tracer, f"a{i}") for i in range(100)]
        run_ids = await asyncio.gather(*threaded, *awaited)
    tags = [f"t{i}" for i in range(100)] + [f"a{i}" for i in range(100)]
    assert tracer.flush(30)
    assert len(set(run_ids)) == 200
    for run_id, tag in zip(run_ids, tags, strict=True):
        spans = store.spans(run_id)
        assert [s.kind for s in spans] == [
            SpanKind.AGENT,
            SpanKind.MODEL,
            SpanKind.TOOL,
            SpanKind.MODEL,
        ], tag
        assert {s.run_id for s in spans} == {run_id}
        assert all(s.parent_id == run_id for s in spans[1:])
        tool_span = spans[2]
        assert tool_span.attributes["gen_ai.tool.call.arguments"] == {"tag": tag}
        assert spans[3].attributes["gen_ai.output.messages"][0]["content"] == f"done {tag}"
