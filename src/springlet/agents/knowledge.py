"""An agent's `knowledge:` list as a retrieval advisor and `search_<collection>` tools.

`mode: advisor` retrieves before each answer (springlet.rag's RetrievalAdvisor), `mode:
tool` lets the model search when it wants to, `both` does both. Every retrieval is
reported to the run as a RetrievalDone event, and its sources land in the RunResult.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from springlet.agents.events import RetrievalDone
from springlet.agents.run_context import current_run
from springlet.errors import SpringletError
from springlet.tracing import record_retrieval

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from springlet.agents.services import AgentServices
    from springlet.agents.spec import AgentSpec


def knowledge_for(services: AgentServices, spec: AgentSpec) -> tuple[list[Any], list[BaseTool]]:
    """The middleware and tools that give agent `spec` its knowledge (none when it has none)."""
    if not spec.knowledge:
        return [], []
    try:
        from springlet.agents.retrieval_advisor import (
            RetrievalAdvisor,
            binding_from_ref,
            search_tool,
        )
    except ImportError as exc:
        raise SpringletError(
            f"agent '{spec.name}' uses knowledge, but the retrieval layer cannot load: {exc}",
            hint="remove `knowledge:` from the agent, or install springlet's RAG dependencies",
        ) from None
    knowledge = services.retrievers()
    advised = [binding_from_ref(knowledge, r) for r in spec.knowledge if r.mode != "tool"]
    searched = [binding_from_ref(knowledge, r) for r in spec.knowledge if r.mode != "advisor"]
    middleware = [RetrievalAdvisor(advised, on_sources=report_sources)] if advised else []
    tools = [search_tool(b, on_sources=report_sources) for b in searched]
    return middleware, tools


def report_sources(collection: str, query: str, sources: list[Any]) -> None:
    """Record a retrieval in the current run: its sources and a RetrievalDone event."""
    ctx = current_run.get()
    if ctx is None:
        return
    found = tuple(source.to_dict() for source in sources)
    ctx.sources.extend(found)
    ctx.emit(RetrievalDone(ctx.run_id, ctx.step, collection, query, found))
    record_retrieval(collection, query, found)
