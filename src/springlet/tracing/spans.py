"""The span model: one unit of work in a run (the run itself, a model call, a tool ...).

Attribute names follow the OpenTelemetry GenAI semantic conventions where one exists
(`gen_ai.*`); springlet's own additions live under `springlet.*`.
"""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from springlet._runtime import fork


class SpanKind(StrEnum):
    AGENT = "agent"
    MODEL = "model"
    TOOL = "tool"
    RETRIEVAL = "retrieval"
    ADVISOR = "advisor"


class SpanStatus(StrEnum):
    RUNNING = "running"
    """Open: only a run's root span is stored in this state. Read back, a run whose
    process (on this host) is gone shows as an error, "interrupted"."""
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"
    STEP_LIMIT = "step_limit"


# OpenTelemetry GenAI attribute names (semantic conventions, gen_ai.*)
OPERATION = "gen_ai.operation.name"
SYSTEM = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
FINISH_REASONS = "gen_ai.response.finish_reasons"
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION_ID = "gen_ai.conversation.id"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
MCP_SERVER = "springlet.mcp.server"
"""The MCP server (its name under mcp_servers:) whose tool a tool span ran."""
DATA_SOURCE_ID = "gen_ai.data_source.id"
# springlet additions
TIME_TO_FIRST_TOKEN_MS = "springlet.time_to_first_token_ms"
TOKENS_PER_SECOND = "springlet.tokens_per_second"
MODEL_THINKING = "springlet.model.thinking"
"""The thinking text of a model call (kept apart from its answer)."""
RUN_INPUT = "springlet.run.input"
RUN_OUTPUT = "springlet.run.output"
RETRIEVAL_QUERY = "springlet.retrieval.query"
RETRIEVAL_SOURCES = "springlet.retrieval.sources"
ADVISOR_NAME = "springlet.advisor.name"
# OpenTelemetry resource names, on a run's root span: which process ran it
PROCESS_PID = "process.pid"
HOST_NAME = "host.name"
HOST = socket.gethostname()


# one urandom-seeded generator: uuid4 asks the OS for entropy on every call, which
# costs ~100x more and showed up in the agent's hot path
_RANDOM = random.Random(os.urandom(32))
# a forked child reseeds, or two children would make the same ids (and overwrite each
# other's spans in the store)
fork.forget_in_child(lambda: _RANDOM.seed(os.urandom(32)))


def new_id() -> str:
    """A 128-bit id as 32 hex digits (usable as an OTel trace id as is): milliseconds
    since the epoch in the first 48 bits, as in UUIDv7, then 80 random bits.

    Ids that grow with time keep the trace store's indexes appending instead of
    writing into random pages (and sort runs by start)."""
    return f"{time.time_ns() // 1_000_000:012x}{_RANDOM.getrandbits(80):020x}"


def short_id(run_id: str) -> str:
    """The part of a run id people read and type: its random tail (the head is a
    timestamp that runs of the same minute share)."""
    return run_id[-12:]


def new_span_id() -> str:
    """A 64-bit random id as 16 hex digits (an OTel span id)."""
    return f"{_RANDOM.getrandbits(64):016x}"


@dataclass(frozen=True)
class Span:
    """One finished (or, for a run's root, still open) piece of work.

    `trace_id` is the top-level run's id; a nested run (an agent used as a tool) shares
    its parent's trace and hangs below the tool span that started it. `run_id` is the id
    of the run (root agent span) this span belongs to.
    """

    span_id: str
    trace_id: str
    run_id: str
    parent_id: str | None
    kind: SpanKind
    name: str
    start_ns: int
    end_ns: int | None = None
    status: SpanStatus = SpanStatus.RUNNING
    error: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    """Start order inside the trace; siblings sort by it."""
    deferred: tuple[Callable[[], dict[str, Any]], ...] = field(
        default=(), compare=False, repr=False
    )
    """Attributes still to compute (message lists, answers): the recorder hands over the
    objects and the tracer's writer thread turns them into attributes (`settled`), so
    the conversion costs nothing on the agent's path."""

    @property
    def duration_ms(self) -> float | None:
        if self.end_ns is None:
            return None
        return (self.end_ns - self.start_ns) / 1e6

    @property
    def finished(self) -> bool:
        return self.end_ns is not None

    def with_changes(self, **changes: Any) -> Span:
        return replace(self, **changes)

    def settled(self) -> Span:
        """This span with its deferred attributes computed."""
        if not self.deferred:
            return self
        attributes = dict(self.attributes)
        for compute in self.deferred:
            attributes.update(compute())
        return replace(self, attributes=attributes, deferred=())

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see springlet.tracing.export_json)."""
        return {
            "span_id": self.span_id,
            "trace_id": self.trace_id,
            "run_id": self.run_id,
            "parent_id": self.parent_id,
            "kind": self.kind.value,
            "name": self.name,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "duration_ms": self.duration_ms,
            "status": self.status.value,
            "error": self.error,
            "attributes": self.attributes,
            "seq": self.seq,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        return cls(
            span_id=data["span_id"],
            trace_id=data["trace_id"],
            run_id=data["run_id"],
            parent_id=data.get("parent_id"),
            kind=SpanKind(data["kind"]),
            name=data["name"],
            start_ns=int(data["start_ns"]),
            end_ns=None if data.get("end_ns") is None else int(data["end_ns"]),
            status=SpanStatus(data.get("status", "running")),
            error=data.get("error"),
            attributes=dict(data.get("attributes") or {}),
            seq=int(data.get("seq", 0)),
        )


def now_ns() -> int:
    return time.time_ns()
