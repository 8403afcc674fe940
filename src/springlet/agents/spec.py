"""The agent specs: `agents/<name>.yaml` as validated data (plain agents and routers)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from springlet.models.options import ModelOptions
from springlet.models.reference import EmbeddingReference, ModelReference
from springlet.models.thinking import ThinkSetting
from springlet.prompts.spec import PromptTestCase
from springlet.spec_base import Spec

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"


class ToolRef(Spec):
    """One entry of an agent's `tools:`: a Python tool, a prompt, another agent, or the
    tools of an MCP server (`mcp: NAME`, with optional include / exclude / prefix)."""

    kind: Literal["python", "prompt", "agent", "mcp"]
    name: str
    include: list[str] = Field(default_factory=list)
    """mcp: only the server's tools with these names or matching these globs."""
    exclude: list[str] = Field(default_factory=list)
    """mcp: not the server's tools with these names or matching these globs."""
    prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$")
    """mcp: put before each tool name the model sees (`crm_` makes `find` `crm_find`)."""

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"kind": "python", "name": value}
        if isinstance(value, dict) and "mcp" in value:
            return _mcp_entry(value)
        if isinstance(value, dict) and len(value) == 1:
            ((key, name),) = value.items()
            if key in ("prompt", "agent"):
                if not isinstance(name, str):
                    raise ValueError(f"'{key}:' takes the name of a {key}, got {name!r}")
                return {"kind": key, "name": name}
        if isinstance(value, dict) and {"kind", "name"} <= set(value):
            return value
        raise ValueError(
            "a tool entry is a tool name ('get_order_status'), 'prompt: NAME', 'agent: NAME' "
            "or 'mcp: SERVER'"
        )

    def __str__(self) -> str:
        return self.name if self.kind == "python" else f"{self.kind}: {self.name}"


def _mcp_entry(value: dict[str, Any]) -> dict[str, Any]:
    """`{mcp: NAME, include: [...], ...}` as ToolRef fields (unknown keys stay, to be
    reported at their line)."""
    rest = {k: v for k, v in value.items() if k != "mcp"}
    if not isinstance(value["mcp"], str):
        raise ValueError(f"'mcp:' takes the name of a server in mcp_servers:, got {value['mcp']!r}")
    for key in ("kind", "name"):
        if key in rest:
            raise ValueError(f"'{key}' is not an option of 'mcp:'; use include, exclude, prefix")
    return {"kind": "mcp", "name": value["mcp"], **rest}


class KnowledgeRef(Spec):
    """Retrieval from one collection (the RAG advisor), as listed under `knowledge:`."""

    collection: str
    top_k: int = Field(default=4, ge=1, le=100)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    mode: Literal["advisor", "tool", "both"] = "advisor"
    """advisor: retrieve before each answer; tool: the model calls search_<collection>."""
    sources: list[str] = Field(default_factory=list)
    """Only retrieve from files matching these globs."""
    tags: list[str] = Field(default_factory=list)
    """Only retrieve chunks from sources carrying one of these tags."""


class MemoryOptions(Spec):
    """`memory:` conversation memory persisted in the workspace data dir, by session id."""

    window: int | None = Field(default=None, ge=1)
    """Keep the last N messages in the model's context (all are stored)."""


DEFAULT_APPROVAL_TIMEOUT_S = 300.0
"""An approval nobody answers (a stream consumer that ignores ApprovalRequested) refuses
the tool after this long, instead of holding the run forever."""


class ApprovalOptions(Spec):
    """`approval:` human approval before the listed tools run."""

    tools: list[str] = Field(min_length=1)
    timeout_s: float = Field(default=DEFAULT_APPROVAL_TIMEOUT_S, gt=0)
    """How long a request waits for an answer; unanswered, the tool is refused."""


class RetryOptions(Spec):
    """`retry:` retries of failed tool calls and model calls."""

    tools: int = Field(default=0, ge=0, le=10)
    model: int = Field(default=0, ge=0, le=10)


class CompactionOptions(Spec):
    """`compaction:` keeping each model request within the model's context window."""

    enabled: bool = True
    reserve_tokens: int = Field(default=1024, ge=0)
    """Room kept for the answer below the model's context window."""
    max_context_tokens: int | None = Field(default=None, ge=256)
    """A budget below the model's window (needed for models whose window is unknown)."""
    summarize: bool = True
    """Summarize earlier steps when stubbing tool results and dropping turns is not enough."""
    summary_model: ModelReference | None = None
    """The model that summarizes (default: the agent's own)."""
    max_tool_result_tokens: int | None = Field(default=8192, ge=64)
    """The longest single tool result the model sees; the rest is cut, with a note."""

    @model_validator(mode="before")
    @classmethod
    def _on_or_off(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


BUILTIN_ADVISORS: dict[str, type[Spec]] = {
    "memory": MemoryOptions,
    "approval": ApprovalOptions,
    "retry": RetryOptions,
    "compaction": CompactionOptions,
}


class AdvisorRef(Spec):
    """One entry of `advisors:`, e.g. `memory: {window: 20}` or a custom advisor's name.

    A built-in advisor's options land in the field of its name, so a mistake in them is
    reported at the exact key the user wrote; a custom advisor's options stay free-form.
    """

    name: str
    memory: MemoryOptions | None = None
    approval: ApprovalOptions | None = None
    retry: RetryOptions | None = None
    compaction: CompactionOptions | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {value: None}
        if isinstance(value, dict) and len(value) == 1 and "name" not in value:
            ((name, options),) = value.items()
            options = {} if options is None else options
            if name in BUILTIN_ADVISORS:
                return {"name": name, name: options}
            return {"name": name, "options": options}
        if isinstance(value, dict) and "name" in value:
            return value
        raise ValueError(
            "an advisor entry is 'NAME' or 'NAME: {options}', e.g. 'memory: {window: 20}'"
        )

    def typed_options(self) -> Spec | None:
        """The options as their typed spec, for the built-in advisors."""
        if self.name not in BUILTIN_ADVISORS:
            return None
        value: Spec | None = getattr(self, self.name)
        return value if value is not None else BUILTIN_ADVISORS[self.name]()


class Limits(Spec):
    """Bounds on one run."""

    max_steps: int = Field(default=10, ge=1, le=1000)
    """Model calls allowed in one run; reaching it ends the run with 'step limit reached'."""
    timeout_s: float | None = Field(default=None, gt=0)
    """Wall-clock bound on the whole run."""
    max_repeated_calls: int = Field(default=3, ge=1)
    """Identical tool calls (same tool, same arguments) allowed in one run."""


class AgentSpec(Spec):
    """A tool-using, knowledge-backed agent (`agents/<name>.yaml`)."""

    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["agent"] = "agent"
    description: str
    model: ModelReference | None = None
    options: ModelOptions = Field(default_factory=ModelOptions)
    think: ThinkSetting = None
    """Thinking for models that can (Ollama capability "thinking"): true, false, or a level."""
    instructions: str
    tools: list[ToolRef] = Field(default_factory=list)
    knowledge: list[KnowledgeRef] = Field(default_factory=list)
    advisors: list[AdvisorRef] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    compaction: CompactionOptions = Field(default_factory=CompactionOptions)
    """The context budget; also written as an advisor (`advisors: [compaction: {...}]`,
    FORMAT v1.1), which then takes its place."""
    output: dict[str, Any] | None = None
    """JSON Schema of a structured answer, or `{prompt: NAME}` to reuse a prompt's output."""
    tests: list[PromptTestCase] = Field(default_factory=list)

    @field_validator("output")
    @classmethod
    def _output_is_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None or set(value) == {"prompt"}:
            return value
        from springlet.jsonschema_check import check_json_schema

        check_json_schema(value)
        return value

    def compaction_options(self) -> CompactionOptions:
        """`compaction:`, or the `compaction` advisor's options when one is listed."""
        ref = self.advisor("compaction")
        if ref is None:
            return self.compaction
        options = ref.typed_options()
        return options if isinstance(options, CompactionOptions) else self.compaction

    def advisor(self, name: str) -> AdvisorRef | None:
        return next((a for a in self.advisors if a.name == name), None)


class RouteSpec(Spec):
    """One destination of a router, with example messages that belong to it."""

    agent: str
    examples: list[str] = Field(min_length=1)


class RouterSpec(Spec):
    """An agent that forwards each message to the agent whose examples it resembles."""

    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["router"]
    description: str
    routes: list[RouteSpec] = Field(min_length=1)
    fallback: str | None = None
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    model: ModelReference | None = None
    """The chat model that chooses when no example is close enough."""
    embeddings: EmbeddingReference | None = None
    tests: list[PromptTestCase] = Field(default_factory=list)
