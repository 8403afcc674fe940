"""The exact span tree (kinds, parents, order) of typical runs of a plain create_agent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelCallLimitMiddleware
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import StructuredTool, ToolException, tool

from springlet.testing import Fail, Reply, ScriptedChatModel, ToolCall
from springlet.tracing import SpanKind, SpanStatus, Tracer, TraceStore, record_retrieval
from springlet.tracing.retrieval import RETRIEVAL_EVENT

from .conftest import stored_tree

M = "chat scripted:test"


@tool
def get_order_status(order_id: str) -> str:
    """Status of an order by id."""
    return f"order {order_id} has shipped"


def _cancel(order_id: str) -> str:
    raise ToolException(f"order {order_id} cannot be cancelled any more")


cancel_order = StructuredTool.from_function(
    _cancel, name="cancel_order", description="Cancel an order by id.", handle_tool_error=True
)


def run_agent(tracer: Tracer, steps: list[Any], tools: list[Any], **agent_kw: Any) -> str:
    agent = create_agent(ScriptedChatModel(steps=steps), tools, **agent_kw)
    with tracer.run(agent="helpdesk", model="scripted:test", input="q") as run:
        result = agent.invoke({"messages": [("user", "q")]}, config={"callbacks": run.callbacks})
        run.finish(output=result["messages"][-1].content)
    return run.run_id


def test_plain_answer(tracer: Tracer, store: TraceStore) -> None:
    run_id = run_agent(tracer, [Reply("Paris.")], [])
    assert stored_tree(tracer, store, run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
    ]
    run = store.get_run(run_id)
    assert run is not None and run.output == "Paris." and run.output_tokens


def test_two_tool_calls_in_order_with_arguments_and_results(
    tracer: Tracer, store: TraceStore
) -> None:
    steps = [
        ToolCall("get_order_status", {"order_id": "A-1"}, id="c1"),
        ToolCall("get_order_status", {"order_id": "B-2"}, id="c2"),
        Reply("Both shipped."),
    ]
    run_id = run_agent(tracer, steps, [get_order_status])
    tool = "execute_tool get_order_status"
    assert stored_tree(tracer, store, run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
        (1, "tool", tool, "ok"),
        (1, "model", M, "ok"),
        (1, "tool", tool, "ok"),
        (1, "model", M, "ok"),
    ]
    tools = [s for s in store.spans(run_id) if s.kind is SpanKind.TOOL]
    assert [t.attributes["gen_ai.tool.call.id"] for t in tools] == ["c1", "c2"]
    assert tools[1].attributes["gen_ai.tool.call.arguments"] == {"order_id": "B-2"}
    assert tools[1].attributes["gen_ai.tool.call.result"] == "order B-2 has shipped"
    last_model = [s for s in store.spans(run_id) if s.kind is SpanKind.MODEL][-1]
    sent = last_model.attributes["gen_ai.input.messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "tool"]


def test_failing_tool_span_is_error_and_run_goes_on(tracer: Tracer, store: TraceStore) -> None:
    steps = [ToolCall("cancel_order", {"order_id": "A-1"}), Reply("Sorry, too late.")]
    run_id = run_agent(tracer, steps, [cancel_order])
    assert stored_tree(tracer, store, run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool cancel_order", "error"),
        (1, "model", M, "ok"),
    ]
    failed = next(s for s in store.spans(run_id) if s.kind is SpanKind.TOOL)
    assert failed.error is not None and "cannot be cancelled" in failed.error


class Handbook(BaseRetriever):
    def _get_relevant_documents(self, query: str, **kwargs: Any) -> list[Document]:
        return [
            Document("Returns within 30 days.", metadata={"source": "returns.md", "score": 0.91}),
            Document("Shipping takes 2 days.", metadata={"source": "shipping.md", "score": 0.42}),
        ]


def test_retrieval_by_langchain_retriever_and_by_custom_event(
    tracer: Tracer, store: TraceStore
) -> None:
    @tool
    def search_handbook(query: str) -> str:
        """Search the handbook."""
        docs = Handbook().invoke(query)
        dispatch_custom_event(
            RETRIEVAL_EVENT,
            {"query": query, "collection": "faq", "sources": [{"source": "faq.md", "score": 0.7}]},
        )
        return "\n".join(d.page_content for d in docs)

    steps = [ToolCall("search_handbook", {"query": "returns"}), Reply("30 days.")]
    run_id = run_agent(tracer, steps, [search_handbook])
    assert stored_tree(tracer, store, run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool search_handbook", "ok"),
        (2, "retrieval", "retrieve Handbook", "ok"),
        (2, "retrieval", "retrieve faq", "ok"),
        (1, "model", M, "ok"),
    ]
    retrieval = next(s for s in store.spans(run_id) if s.kind is SpanKind.RETRIEVAL)
    assert retrieval.attributes["springlet.retrieval.query"] == "returns"
    sources = retrieval.attributes["springlet.retrieval.sources"]
    assert [(s["source"], s["score"]) for s in sources] == [
        ("returns.md", 0.91),
        ("shipping.md", 0.42),
    ]


def test_agent_as_tool_nests_the_inner_run_below_the_tool(
    tracer: Tracer, store: TraceStore
) -> None:
    inner_ids: list[str] = []

    @tool
    def ask_billing(question: str) -> str:
        """Ask the billing agent."""
        inner = create_agent(ScriptedChatModel(steps=[Reply("No refund due.")]), [])
        with tracer.run(agent="billing", input=question) as run:
            out = inner.invoke({"messages": [("user", question)]}, {"callbacks": run.callbacks})
            run.finish(output=out["messages"][-1].content)
        inner_ids.append(run.run_id)
        return str(out["messages"][-1].content)

    steps = [ToolCall("ask_billing", {"question": "refund?"}), Reply("No refund.")]
    run_id = run_agent(tracer, steps, [ask_billing])
    assert stored_tree(tracer, store, run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool ask_billing", "ok"),
        (2, "agent", "invoke_agent billing", "ok"),
        (3, "model", "chat", "ok"),
        (1, "model", M, "ok"),
    ]
    inner = store.get_run(inner_ids[0])
    assert inner is not None and inner.parent_run_id == run_id and inner.trace_id == run_id
    assert [r.run_id for r in store.list_runs()] == [run_id]  # nested runs are not listed


def test_step_limit_records_the_advisor_that_stopped_the_run(
    tracer: Tracer, store: TraceStore
) -> None:
    agent = create_agent(
        ScriptedChatModel(
            respond=lambda messages, tools: ToolCall("get_order_status", {"order_id": "A"})
        ),
        [get_order_status],
        middleware=[ModelCallLimitMiddleware(run_limit=2, exit_behavior="end")],
    )
    with tracer.run(agent="helpdesk", model="scripted:test") as run:
        agent.invoke({"messages": [("user", "q")]}, {"callbacks": run.callbacks})
        run.finish(status="step_limit", error="model call limit 2 reached")
    assert stored_tree(tracer, store, run.run_id) == [
        (0, "agent", "invoke_agent helpdesk", "step_limit"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool get_order_status", "ok"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool get_order_status", "ok"),
        (1, "advisor", "ModelCallLimitMiddleware.before_model", "ok"),
    ]
    advisor = store.spans(run.run_id)[-1]
    assert advisor.attributes["springlet.advisor.jump_to"] == "end"


async def test_cancelled_stream_keeps_spans_marked_cancelled(
    tracer: Tracer, store: TraceStore
) -> None:
    tool_started = asyncio.Event()

    @tool
    async def slow_lookup(order_id: str) -> str:
        """Look an order up in a slow system."""
        tool_started.set()
        await asyncio.sleep(30)
        return "never"

    steps = [ToolCall("slow_lookup", {"order_id": "A-1"}), Reply("unreached")]
    agent = create_agent(ScriptedChatModel(steps=steps), [slow_lookup])
    run_ids: list[str] = []

    async def consume() -> None:
        async with tracer.run(agent="helpdesk", model="scripted:test") as run:
            run_ids.append(run.run_id)
            stream = agent.astream({"messages": [("user", "q")]}, {"callbacks": run.callbacks})
            async for _update in stream:
                pass

    task = asyncio.create_task(consume())
    await asyncio.wait_for(tool_started.wait(), 5)
    task.cancel()  # the user closed the page while the tool was running
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stored_tree(tracer, store, run_ids[0]) == [
        (0, "agent", "invoke_agent helpdesk", "cancelled"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool slow_lookup", "cancelled"),
    ]
    assert all(span.end_ns is not None for span in store.spans(run_ids[0]))


def test_crashed_run_is_kept_and_marked_error(tracer: Tracer, store: TraceStore) -> None:
    agent = create_agent(ScriptedChatModel(steps=[Fail(RuntimeError("server fell over"))]), [])
    with pytest.raises(RuntimeError), tracer.run(agent="helpdesk", model="scripted:test") as run:
        agent.invoke({"messages": [("user", "q")]}, {"callbacks": run.callbacks})
    assert stored_tree(tracer, store, run.run_id) == [
        (0, "agent", "invoke_agent helpdesk", "error"),
        (1, "model", M, "error"),
    ]
    summary = store.get_run(run.run_id)
    assert summary is not None and summary.status is SpanStatus.ERROR
    assert summary.error == "RuntimeError: server fell over"


def test_streamed_answer_records_time_to_first_token_and_rate(
    tracer: Tracer, store: TraceStore
) -> None:
    agent = create_agent(ScriptedChatModel(steps=[Reply("one two three four")]), [])
    with tracer.run(agent="helpdesk", model="scripted:test") as run:
        chunks = list(
            agent.stream(
                {"messages": [("user", "q")]}, {"callbacks": run.callbacks}, stream_mode="messages"
            )
        )
    assert len(chunks) > 1
    assert stored_tree(tracer, store, run.run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
    ]
    model = store.spans(run.run_id)[1]
    assert 0 <= model.attributes["springlet.time_to_first_token_ms"] <= model.duration_ms
    assert model.attributes["springlet.tokens_per_second"] > 0
    assert model.attributes["gen_ai.output.messages"][0]["content"] == "one two three four"


async def test_record_retrieval_from_an_async_tool(tracer: Tracer, store: TraceStore) -> None:
    @tool
    async def search_faq(query: str) -> str:
        """Search the FAQ."""
        sources = [{"source": "faq.md#returns", "score": 0.83, "text": "30 days"}]
        assert record_retrieval("faq", query, sources, duration_ms=2.5)
        return "30 days"

    steps = [ToolCall("search_faq", {"query": "returns"}), Reply("30 days.")]
    agent = create_agent(ScriptedChatModel(steps=steps), [search_faq])
    async with tracer.run(agent="helpdesk", model="scripted:test") as run:
        await agent.ainvoke({"messages": [("user", "q")]}, {"callbacks": run.callbacks})
    assert stored_tree(tracer, store, run.run_id) == [
        (0, "agent", "invoke_agent helpdesk", "ok"),
        (1, "model", M, "ok"),
        (1, "tool", "execute_tool search_faq", "ok"),
        (2, "retrieval", "retrieve faq", "ok"),
        (1, "model", M, "ok"),
    ]
    retrieval = store.spans(run.run_id)[3]
    assert retrieval.attributes["springlet.retrieval.sources"][0]["score"] == 0.83
    assert retrieval.duration_ms == pytest.approx(2.5, abs=0.01)
    assert not record_retrieval("faq", "outside any run", [])
