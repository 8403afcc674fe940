"""The retrieval advisor injects numbered passages, reports its sources, and says so
when the documents do not cover a question; `search_<collection>` tools likewise."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool

from springlet.agents.retrieval_advisor import (
    KnowledgeBinding,
    RetrievalAdvisor,
    search_tool,
    tool_name,
)
from springlet.rag.sources import Source
from springlet.testing import Reply, ScriptedChatModel, ToolCall

MANUAL = {
    "reset.md": "# Router\n\n## Reset\n\nHold the reset button for ten seconds to reset it.\n",
    "hours.md": "# Shop\n\n## Hours\n\nThe shop opens at nine and closes at five.\n",
}


def _system_text(messages: list[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, SystemMessage))


def _echo_system(messages: list[BaseMessage], tools: list[Any]) -> Reply:
    return Reply("SYSTEM:\n" + _system_text(messages))


def _advisor(corpus: Any, seen: list[tuple[str, str, list[Source]]], **binding: Any) -> Any:
    corpus.write(MANUAL)
    corpus.ingest()
    options = {"top_k": 2, "min_score": 0.3, **binding}
    return RetrievalAdvisor(
        [KnowledgeBinding(corpus.retriever(), **options)],
        on_sources=lambda c, q, s: seen.append((c, q, s)),
    )


def test_passages_are_injected_with_markers_and_sources_reported(corpus: Any) -> None:
    seen: list[tuple[str, str, list[Source]]] = []
    agent = create_agent(
        ScriptedChatModel(respond=_echo_system),
        tools=[],
        system_prompt="You are the helpdesk.",
        middleware=[_advisor(corpus, seen)],
    )
    state = agent.invoke({"messages": [HumanMessage("How do I reset the router?")]})
    answer = state["messages"][-1].text
    assert answer.startswith("SYSTEM:\nYou are the helpdesk.")
    assert "[1] docs/reset.md > Router > Reset" in answer
    assert "Hold the reset button" in answer
    assert state["sources"][0]["path"] == "docs/reset.md"
    assert state["sources"][0]["marker"] == 1
    assert [(c, q) for c, q, _ in seen] == [("docs", "How do I reset the router?")]
    assert seen[0][2][0].heading == "Router > Reset"


def test_empty_retrieval_tells_the_model_the_documents_do_not_cover_it(corpus: Any) -> None:
    seen: list[tuple[str, str, list[Source]]] = []
    agent = create_agent(
        ScriptedChatModel(respond=_echo_system),
        tools=[],
        middleware=[_advisor(corpus, seen, min_score=0.95)],
    )
    state = agent.invoke({"messages": [HumanMessage("What is the airspeed of a swallow?")]})
    answer = state["messages"][-1].text
    assert "do not cover it" in answer and "[1]" not in answer
    assert state["sources"] == []
    assert seen[0][2] == []


@tool
def shop_clock() -> str:
    """The current time at the shop."""
    return "It is 10:00."


def test_retrieves_once_per_question_even_when_the_model_is_called_twice(corpus: Any) -> None:
    seen: list[tuple[str, str, list[Source]]] = []
    prompts: list[str] = []

    def respond(messages: list[BaseMessage], tools: list[Any]) -> Any:
        prompts.append(_system_text(messages))
        if len(prompts) == 1:
            return ToolCall("shop_clock", {})
        return Reply("Open now [1].")

    agent = create_agent(
        ScriptedChatModel(respond=respond), tools=[shop_clock], middleware=[_advisor(corpus, seen)]
    )
    state = agent.invoke({"messages": [HumanMessage("When does the shop open?")]})
    assert state["messages"][-1].text == "Open now [1]."
    assert len(seen) == 1
    assert len(prompts) == 2 and all("docs/hours.md" in p for p in prompts)


async def test_async_agent_gets_the_same_passages(corpus: Any) -> None:
    seen: list[tuple[str, str, list[Source]]] = []
    agent = create_agent(
        ScriptedChatModel(respond=_echo_system), tools=[], middleware=[_advisor(corpus, seen)]
    )
    state = await agent.ainvoke({"messages": [HumanMessage("When does the shop open?")]})
    assert "[1] docs/hours.md > Shop > Hours" in state["messages"][-1].text
    assert state["sources"][0]["path"] == "docs/hours.md"


def test_search_tool_returns_marked_passages_or_says_nothing_matched(corpus: Any) -> None:
    corpus.write(MANUAL)
    corpus.ingest()
    seen: list[tuple[str, str, list[Source]]] = []
    search = search_tool(
        KnowledgeBinding(corpus.retriever(), top_k=1, min_score=0.3),
        on_sources=lambda c, q, s: seen.append((c, q, s)),
    )
    assert search.name == "search_docs"
    found = search.invoke({"query": "reset the router"})
    assert found.startswith("[1] docs/reset.md > Router > Reset")
    assert "No passage in 'docs'" in search.invoke({"query": "zebra migration patterns"})
    assert [q for _, q, _ in seen] == ["reset the router", "zebra migration patterns"]
    assert tool_name("product.manual-v2") == "search_product_manual-v2"
