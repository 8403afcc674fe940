"""Fallback chains: `model: [ollama:qwen2.5:7b, ollama@gpu2:qwen2.5:7b, embedded:smollm2]`.

LangChain's `ModelFallbackMiddleware` moves on after *any* exception, a bad answer
included, and does not say why; springlet's chain moves on only when the model could not
answer at all (`FALLBACK_ERRORS`: the server is unreachable, the model is missing, the
prompt does not fit its context) and records which model answered and why each one
before it was skipped: in the run's result (`model`, `model_reason`) and as a
`model_fallback` span. A model that failed once is not asked again in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.language_models import BaseChatModel

from springlet.agents.run_context import current_run
from springlet.errors import ModelError
from springlet.models.resolve import FALLBACK_ERRORS
from springlet.tracing.advisor_spans import record_advisor_span

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]

ANSWERED_BY = "springlet.model.answered_by"
SKIPPED = "springlet.model.skipped"
MODEL_MEMO = "springlet.model"
"""RunContext.memo keys: (label, reason) of the model that answered last."""
_START_MEMO = "springlet.fallback.start"
_SKIPPED_MEMO = "springlet.fallback.skipped"
_REPORTED_MEMO = "springlet.fallback.reported"


@dataclass(frozen=True)
class ChainEntry:
    label: str
    """The reference as written, e.g. `ollama@gpu2:qwen2.5:7b`."""
    reason: str
    """Where it runs, e.g. `ollama@gpu2:qwen2.5:7b at http://gpu2:11434`."""
    model: BaseChatModel


class ModelFallback(AgentMiddleware[AgentState[Any], Any]):
    """Try the chain's models in order (see the module doc)."""

    def __init__(self, entries: Sequence[ChainEntry], skipped_at_build: Sequence[str] = ()) -> None:
        super().__init__()
        self.entries = tuple(entries)
        self.skipped_at_build = tuple(skipped_at_build)

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        ctx = current_run.get()
        memo: dict[str, Any] = ctx.memo if ctx is not None else {}
        start = int(memo.get(_START_MEMO, 0))
        before: list[str] = list(memo.get(_SKIPPED_MEMO, self.skipped_at_build))
        skipped = list(before)
        began = time.perf_counter()
        failure: ModelError | None = None
        for index in range(start, len(self.entries)):
            entry = self.entries[index]
            attempt = request if index == 0 else request.override(model=entry.model)
            try:
                response = await handler(attempt)
            except FALLBACK_ERRORS as exc:
                failure = exc
                skipped.append(f"{entry.label} skipped: {exc.message}")
                continue
            memo[_START_MEMO], memo[_SKIPPED_MEMO] = index, skipped
            memo[MODEL_MEMO] = (entry.label, _reason(entry, skipped))
            if len(skipped) > len(before) or (skipped and not memo.get(_REPORTED_MEMO)):
                memo[_REPORTED_MEMO] = True
                record_advisor_span(
                    "model_fallback",
                    {ANSWERED_BY: entry.label, SKIPPED: list(skipped)},
                    duration_ms=(time.perf_counter() - began) * 1000,
                )
            return response
        assert failure is not None, "a fallback chain has at least one model"
        raise type(failure)(
            "no model of the fallback chain could answer: " + "; ".join(skipped),
            hint=failure.hint,
        ) from failure


def _reason(entry: ChainEntry, skipped: list[str]) -> str:
    if not skipped:
        return entry.reason
    return f"{entry.reason} (fallback chain; {'; '.join(skipped)})"
