"""LangChain callbacks -> spans.

One `SpanRecorder` per run. LangChain reports every runnable (graph nodes, the model,
tools, retrievers) with its own run id and its parent's; graph plumbing is skipped and
its children are attached to the nearest span above. Finished spans go straight to
`emit` (the tracer's background pipeline), so nothing is written on the agent's path.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.outputs import LLMResult

from springlet.tracing import spans as a
from springlet.tracing._attributes import (
    advisor_effect,
    answer_attributes,
    clip,
    describe,
    did_work,
    document_source,
    input_messages,
    status_of,
)
from springlet.tracing.advisor_spans import ADVISOR_SPAN_EVENT
from springlet.tracing.retrieval import RETRIEVAL_EVENT
from springlet.tracing.spans import Span, SpanKind, SpanStatus, new_span_id, now_ns


@dataclass(frozen=True)
class ActiveTool:
    """The tool span running on this context (thread or task)."""

    trace_id: str
    span_id: str
    run_id: str
    recorder: SpanRecorder
    callback_run_id: UUID


ACTIVE_TOOL: contextvars.ContextVar[ActiveTool | None] = contextvars.ContextVar(
    "springlet_tracing_active_tool", default=None
)
"""A run opened while a tool runs (an agent used as a tool) hangs below that tool."""

TOOL_SPAN_ATTRIBUTES: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "springlet_tracing_tool_span_attributes", default=None
)
"""Attributes for the next tool span opened on this context (set by the agent's tool guard,
e.g. that the call's arguments were repaired)."""


@dataclass
class _Open:
    span_id: str
    kind: SpanKind
    name: str
    parent_id: str
    start_ns: int
    seq: int
    attributes: dict[str, Any] = field(default_factory=dict)
    first_token_ns: int | None = None
    previous_tool: ActiveTool | None = None
    deferred: list[Callable[[], dict[str, Any]]] = field(default_factory=list)


class SpanRecorder(BaseCallbackHandler):
    """Turns one run's LangChain callbacks into spans below `root_span_id`."""

    run_inline = True  # called on the agent's own thread/task: no executor hop, context kept
    raise_error = False

    def __init__(
        self,
        *,
        trace_id: str,
        run_id: str,
        root_span_id: str,
        emit: Callable[[Span], None],
        model: str | None = None,
        next_seq: Callable[[], int],
    ) -> None:
        self.trace_id = trace_id
        self.run_id = run_id
        self.root_span_id = root_span_id
        self._emit = emit
        self._model = model
        self._next_seq = next_seq
        self._lock = threading.Lock()
        self._open: dict[UUID, _Open] = {}
        self._passthrough: dict[UUID, str] = {}
        self._delegated: set[UUID] = set()
        self._ignored: set[UUID] = set()

    def delegate(self, tool_run_id: UUID) -> None:
        """A run of its own was opened inside this tool: its work is that run's to record
        (LangGraph also passes this handler down to it; those events are skipped)."""
        with self._lock:
            self._delegated.add(tool_run_id)

    def _skipped(self, run_id: UUID, parent_run_id: UUID | None) -> bool:
        if parent_run_id is not None and (
            parent_run_id in self._ignored or parent_run_id in self._delegated
        ):
            with self._lock:
                self._ignored.add(run_id)
            return True
        return False

    # -- plumbing -------------------------------------------------------------------

    def _parent_span(self, parent_run_id: UUID | None) -> str:
        if parent_run_id is None:
            return self.root_span_id
        opened = self._open.get(parent_run_id)
        if opened is not None:
            return opened.span_id
        return self._passthrough.get(parent_run_id, self.root_span_id)

    def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        kind: SpanKind,
        name: str,
        attributes: dict[str, Any],
    ) -> _Open | None:
        if self._skipped(run_id, parent_run_id):
            return None
        with self._lock:
            opened = _Open(
                span_id=new_span_id(),
                kind=kind,
                name=name,
                parent_id=self._parent_span(parent_run_id),
                start_ns=now_ns(),
                seq=self._next_seq(),
                attributes=attributes,
            )
            self._open[run_id] = opened
        return opened

    def _finish(
        self,
        run_id: UUID,
        status: SpanStatus,
        error: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> _Open | None:
        with self._lock:
            opened = self._open.pop(run_id, None)
        if opened is None:
            return None
        if attributes:
            opened.attributes.update(attributes)
        if opened.kind is SpanKind.TOOL:
            ACTIVE_TOOL.set(opened.previous_tool)
            self._delegated.discard(run_id)
        self._emit(self._span(opened, status, error))
        return opened

    def _span(self, opened: _Open, status: SpanStatus, error: str | None) -> Span:
        return Span(
            span_id=opened.span_id,
            trace_id=self.trace_id,
            run_id=self.run_id,
            parent_id=opened.parent_id,
            kind=opened.kind,
            name=opened.name,
            start_ns=opened.start_ns,
            end_ns=now_ns(),
            status=status,
            error=error,
            attributes=opened.attributes,
            seq=opened.seq,
            deferred=tuple(opened.deferred),
        )

    def close_open(self, status: SpanStatus, error: str | None = None) -> None:
        """End every span still open (the run crashed or was cancelled), keeping them."""
        with self._lock:
            pending = list(self._open.items())
            self._open.clear()
        for _, opened in sorted(pending, key=lambda item: item[1].seq):
            self._emit(self._span(opened, status, error))

    # -- chains: graph plumbing, advisors (middleware nodes), nested agents ----------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if self._skipped(run_id, parent_run_id):
            return
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "chain")
        parent = self._open.get(parent_run_id) if parent_run_id else None
        if parent is not None and parent.kind is SpanKind.TOOL:
            # an agent invoked inside a tool with the tool's callbacks
            self._start(
                run_id,
                parent_run_id,
                SpanKind.AGENT,
                name,
                {a.OPERATION: "invoke_agent", a.AGENT_NAME: name},
            )
        elif "." in name and (metadata or {}).get("langgraph_node") == name:
            advisor = name.split(".", 1)[0]
            self._start(run_id, parent_run_id, SpanKind.ADVISOR, name, {a.ADVISOR_NAME: advisor})
        else:
            with self._lock:
                self._passthrough[run_id] = self._parent_span(parent_run_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        opened = self._open.get(run_id)
        if opened is None:
            with self._lock:
                self._passthrough.pop(run_id, None)
                self._ignored.discard(run_id)
            return
        if opened.kind is SpanKind.ADVISOR and not did_work(outputs):
            with self._lock:  # an advisor that changed nothing is not worth a span
                self._open.pop(run_id, None)
            return
        self._finish(
            run_id,
            SpanStatus.OK,
            attributes=advisor_effect(outputs) if opened.kind is SpanKind.ADVISOR else None,
        )

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if run_id in self._open:
            self._finish(run_id, status_of(error), describe(error))
        else:
            with self._lock:
                self._passthrough.pop(run_id, None)
                self._ignored.discard(run_id)

    # -- model calls ----------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        attributes = self._model_attributes(serialized, metadata, kwargs)
        opened = self._start(
            run_id,
            parent_run_id,
            SpanKind.MODEL,
            f"chat {attributes.get(a.REQUEST_MODEL, '')}".strip(),
            attributes,
        )
        if opened is not None:
            opened.deferred.append(partial(input_messages, messages[0] if messages else []))

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        attributes = self._model_attributes(serialized, metadata, kwargs)
        attributes[a.OPERATION] = "text_completion"
        attributes[a.INPUT_MESSAGES] = [{"role": "user", "content": clip(p)} for p in prompts]
        self._start(
            run_id,
            parent_run_id,
            SpanKind.MODEL,
            f"text_completion {attributes.get(a.REQUEST_MODEL, '')}".strip(),
            attributes,
        )

    def _model_attributes(
        self,
        serialized: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        params = kwargs.get("invocation_params") or {}
        meta = metadata or {}
        model = (
            params.get("model")
            or params.get("model_name")
            or meta.get("ls_model_name")
            or self._model
            or ""
        )
        attributes: dict[str, Any] = {a.OPERATION: "chat", a.REQUEST_MODEL: str(model)}
        provider = meta.get("ls_provider") or params.get("_type")
        if provider:
            attributes[a.SYSTEM] = str(provider)
        return attributes

    def on_llm_new_token(
        self, token: str | list[str | dict[str, Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        opened = self._open.get(run_id)
        if opened is not None and opened.first_token_ns is None and token:
            opened.first_token_ns = now_ns()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        opened = self._open.get(run_id)
        if opened is None:
            return
        answer = partial(
            answer_attributes, response, opened.start_ns, opened.first_token_ns, now_ns()
        )
        opened.deferred.append(answer)
        self._finish(run_id, SpanStatus.OK)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, status_of(error), describe(error))

    # -- tools ------------------------------------------------------------------------

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "tool")
        attributes: dict[str, Any] = {
            a.OPERATION: "execute_tool",
            a.TOOL_NAME: name,
            a.TOOL_ARGUMENTS: inputs if inputs is not None else clip(input_str),
        }
        if kwargs.get("tool_call_id"):
            attributes[a.TOOL_CALL_ID] = str(kwargs["tool_call_id"])
        server = (kwargs.get("metadata") or {}).get("springlet_mcp_server")
        if server:
            attributes[a.MCP_SERVER] = str(server)
        attributes.update(TOOL_SPAN_ATTRIBUTES.get() or {})
        opened = self._start(
            run_id, parent_run_id, SpanKind.TOOL, f"execute_tool {name}", attributes
        )
        if opened is not None:
            opened.previous_tool = ACTIVE_TOOL.get()
            active = ActiveTool(self.trace_id, opened.span_id, self.run_id, self, run_id)
            ACTIVE_TOOL.set(active)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        content = output.content if isinstance(output, ToolMessage) else output
        failed = isinstance(output, ToolMessage) and output.status == "error"
        self._finish(
            run_id,
            SpanStatus.ERROR if failed else SpanStatus.OK,
            clip(str(content)) if failed else None,
            {a.TOOL_RESULT: clip(content if isinstance(content, str) else str(content))},
        )

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, status_of(error), describe(error))

    # -- retrieval ----------------------------------------------------------------------

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "retriever")
        self._start(
            run_id,
            parent_run_id,
            SpanKind.RETRIEVAL,
            f"retrieve {name}",
            {a.OPERATION: "retrieve", a.DATA_SOURCE_ID: name, a.RETRIEVAL_QUERY: clip(query)},
        )

    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        sources = [document_source(doc) for doc in documents]
        self._finish(run_id, SpanStatus.OK, attributes={a.RETRIEVAL_SOURCES: sources})

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, status_of(error), describe(error))

    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        if not isinstance(data, dict) or run_id in self._ignored:
            return
        if name == RETRIEVAL_EVENT:
            collection = str(data.get("collection") or "retrieval")
            kind, title = SpanKind.RETRIEVAL, f"retrieve {collection}"
            attributes: dict[str, Any] = {
                a.OPERATION: "retrieve",
                a.DATA_SOURCE_ID: collection,
                a.RETRIEVAL_QUERY: clip(str(data.get("query", ""))),
                a.RETRIEVAL_SOURCES: list(data.get("sources") or []),
            }
        elif name == ADVISOR_SPAN_EVENT:
            title = str(data.get("name") or "advisor")
            kind = SpanKind.ADVISOR
            attributes = {a.ADVISOR_NAME: title, **dict(data.get("attributes") or {})}
        else:
            return
        with self._lock:
            parent = self._parent_span(run_id)
            seq = self._next_seq()
        end = now_ns()
        start = end - int(float(data.get("duration_ms") or 0) * 1e6)
        self._emit(
            Span(
                span_id=new_span_id(),
                trace_id=self.trace_id,
                run_id=self.run_id,
                parent_id=parent,
                kind=kind,
                name=title,
                start_ns=start,
                end_ns=end,
                status=SpanStatus.OK,
                seq=seq,
                attributes=attributes,
            )
        )
