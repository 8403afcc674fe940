"""The retrieval advisor (LangChain agent middleware) and `search_<collection>` tools.

How the runtime wires it, for an agent's `knowledge:` list:

    knowledge = WorkspaceKnowledge(loaded)
    advisor = RetrievalAdvisor(
        [binding_from_ref(knowledge, ref) for ref in spec.knowledge if ref.mode != "tool"],
        on_sources=lambda collection, query, sources: ...,  # emit RetrievalDone, keep dicts
    )
    tools += [search_tool(binding_from_ref(knowledge, ref))
              for ref in spec.knowledge if ref.mode != "advisor"]
    create_agent(model, tools, middleware=[advisor, ...])

What it does on each user turn:

- `before_model` (sync and async): when the latest human message is new, retrieve for
  it from every bound collection, number all passages [1], [2], ... across collections,
  and write to the agent state: `sources` (list of `Source.to_dict()` with a `marker`
  key), `retrieval_context` (the text injected) and `retrieval_key` (which message it
  was for, so later model calls of the same turn do not retrieve again). `on_sources`
  is called once per collection with the `Source` objects.
- `wrap_model_call`: appends `retrieval_context` to the system message of every model
  call of that turn. Nothing is added to the conversation history.
- When no passage clears `min_score`, the injected text says the documents do not cover
  the question and tells the model to say so instead of guessing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool, StructuredTool

from springlet.rag.retriever import Retriever
from springlet.rag.sources import Source

if TYPE_CHECKING:
    from springlet.agents.services import Retrievers
    from springlet.agents.spec import KnowledgeRef

SourcesCallback = Callable[[str, str, list[Source]], None]
"""on_sources(collection, query, sources), called after each retrieval."""


@dataclass(frozen=True)
class KnowledgeBinding:
    """One collection an agent retrieves from, with its retrieval settings."""

    retriever: Retriever
    top_k: int = 4
    min_score: float = 0.0
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    """Extra `Retriever.retrieve` keywords (mode, mmr_lambda, fetch_k)."""

    @property
    def collection(self) -> str:
        return self.retriever.collection

    def retrieve(self, query: str) -> list[Source]:
        return self.retriever.retrieve(
            query,
            top_k=self.top_k,
            min_score=self.min_score,
            sources=self.sources,
            tags=self.tags,
            **self.options,
        )


def binding_from_ref(knowledge: Retrievers, ref: KnowledgeRef) -> KnowledgeBinding:
    """The binding an agent's `knowledge:` entry describes."""
    return KnowledgeBinding(
        retriever=knowledge.retriever(ref.collection),
        top_k=ref.top_k,
        min_score=ref.min_score,
        sources=tuple(ref.sources),
        tags=tuple(ref.tags),
    )


class RetrievalState(AgentState[Any]):
    sources: NotRequired[list[dict[str, Any]]]
    retrieval_context: NotRequired[str]
    retrieval_key: NotRequired[str]


def format_passages(sources: Sequence[Source], first_marker: int = 1) -> str:
    """Passages with numbered markers, as the model sees them."""
    blocks = []
    for number, source in enumerate(sources, start=first_marker):
        blocks.append(f"[{number}] {source.citation} (score {source.score:.2f})\n{source.text}")
    return "\n\n".join(blocks)


def context_text(per_collection: Sequence[tuple[KnowledgeBinding, list[Source]]]) -> str:
    """What the advisor adds to the system prompt for one user turn."""
    found = [s for _, sources in per_collection for s in sources]
    names = ", ".join(f"'{b.collection}'" for b, _ in per_collection)
    if not found:
        return (
            f"Knowledge base: no passage in {names} is relevant enough to the user's "
            "question. Tell the user that your documents do not cover it; do not guess."
        )
    return (
        "Knowledge base passages for the user's question. Answer from them and cite the "
        "ones you use by their markers, like [1]. If they do not contain the answer, say "
        "that your documents do not cover it.\n\n" + format_passages(found)
    )


class RetrievalAdvisor(AgentMiddleware[RetrievalState, Any, Any]):
    """Retrieve before the model answers; inject numbered passages; report the sources."""

    state_schema = RetrievalState

    def __init__(
        self, bindings: Sequence[KnowledgeBinding], *, on_sources: SourcesCallback | None = None
    ) -> None:
        super().__init__()
        self.bindings = list(bindings)
        self.on_sources = on_sources
        self.tools: Sequence[BaseTool] = []

    @property
    def name(self) -> str:
        return "RetrievalAdvisor"

    def before_model(self, state: RetrievalState, runtime: Any) -> dict[str, Any] | None:
        question = _pending_question(state)
        if question is None:
            return None
        key, query = question
        results = [(b, b.retrieve(query)) for b in self.bindings]
        return self._update(key, query, results)

    async def abefore_model(self, state: RetrievalState, runtime: Any) -> dict[str, Any] | None:
        question = _pending_question(state)
        if question is None:
            return None
        key, query = question
        found = await asyncio.gather(*(asyncio.to_thread(b.retrieve, query) for b in self.bindings))
        return self._update(key, query, list(zip(self.bindings, found, strict=True)))

    def _update(
        self, key: str, query: str, results: list[tuple[KnowledgeBinding, list[Source]]]
    ) -> dict[str, Any]:
        marker = 1
        dicts: list[dict[str, Any]] = []
        for binding, sources in results:
            for source in sources:
                dicts.append({**source.to_dict(), "marker": marker})
                marker += 1
            if self.on_sources is not None:
                self.on_sources(binding.collection, query, sources)
        return {
            "sources": dicts,
            "retrieval_context": context_text(results),
            "retrieval_key": key,
        }

    def wrap_model_call(
        self, request: ModelRequest[Any], handler: Callable[[ModelRequest[Any]], ModelResponse]
    ) -> ModelResponse:
        return handler(_with_context(request))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse]],
    ) -> ModelResponse:
        return await handler(_with_context(request))


def _pending_question(state: RetrievalState) -> tuple[str, str] | None:
    """(key, text) of the latest human message when it has not been retrieved for yet."""
    latest = _latest_human(state.get("messages", []))
    if latest is None:
        return None
    text = latest.text.strip()
    key = latest.id or text
    if not text or state.get("retrieval_key") == key:
        return None
    return key, text


def _latest_human(messages: Sequence[AnyMessage]) -> HumanMessage | None:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message
    return None


def _with_context(request: ModelRequest[Any]) -> ModelRequest[Any]:
    context = request.state.get("retrieval_context") if request.state else None
    if not isinstance(context, str) or not context:
        return request
    current = request.system_message
    text = f"{current.text}\n\n{context}" if current is not None and current.text else context
    return request.override(system_message=SystemMessage(content=text))


def tool_name(collection: str) -> str:
    """`search_<collection>`, with characters tool-call APIs reject replaced by `_`."""
    from springlet.tools.names import model_tool_name

    return "search_" + model_tool_name(collection)


def search_tool(
    binding: KnowledgeBinding, *, on_sources: SourcesCallback | None = None
) -> BaseTool:
    """A tool the model calls with a query to search one collection."""
    about = binding.retriever.description or f"the '{binding.collection}' documents"

    def search(query: str) -> str:
        sources = binding.retrieve(query)
        if on_sources is not None:
            on_sources(binding.collection, query, sources)
        if not sources:
            return f"No passage in '{binding.collection}' is relevant enough to: {query}"
        return format_passages(sources)

    return StructuredTool.from_function(
        func=search,
        name=tool_name(binding.collection),
        description=(
            f"Search {about.rstrip('.')}. Give a focused query; returns the most relevant "
            "passages with their source file and heading."
        ),
    )
