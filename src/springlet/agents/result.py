"""`RunResult`: everything a caller needs to know about one finished run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RunStatus = Literal["ok", "step_limit", "timeout", "error", "cancelled", "rejected"]


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call of a run and what came of it."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    result: str
    ok: bool


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class RunResult:
    """The answer of a run (`text`, or `output` for structured answers) and how it came about.

    `status` is "ok" for a normal answer; "step_limit" and "timeout" end a run with a
    clear message in `text` rather than an exception.
    """

    run_id: str
    agent: str
    session_id: str
    text: str
    status: RunStatus = "ok"
    output: Any = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    duration_s: float = 0.0
    model: str = ""
    model_reason: str = ""
    route: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if hasattr(self.output, "model_dump"):
            data["output"] = self.output.model_dump(mode="json")
        data["usage"]["total_tokens"] = self.usage.total_tokens
        return data
