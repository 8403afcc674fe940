"""The context budget of each model call, and compaction when a request would not fit.

Before each model call the request (system prompt, tool schemas, retrieved passages,
memory, the run so far) is counted with the model's own tokenizer
(`springlet.models.token_budget`). Within the budget - the model's context window less
`reserve_tokens` for the answer, or `max_context_tokens` - nothing happens. Over it,
the tiers of `compaction_tiers` run in order until the request fits: old tool results
become stubs, the oldest turns are dropped, the steps of the current turn are
summarized (by `summary_model`, default the agent's own). The system prompt is never
touched and a tool call never loses its result. Only the request is compacted: memory
and the trace keep the whole conversation. Each compaction is a `ContextCompacted`
event and a `compaction` span with the token counts before and after.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage

from springlet.agents import compaction_tiers as tiers
from springlet.agents.events import ContextCompacted
from springlet.agents.run_context import current_run
from springlet.errors import ContextOverflowError
from springlet.models.token_budget import context_window, count_tokens
from springlet.tracing.advisor_spans import record_advisor_span

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]

TOKENS_BEFORE = "springlet.compaction.tokens_before"
TOKENS_AFTER = "springlet.compaction.tokens_after"
BUDGET = "springlet.compaction.budget"
TIERS = "springlet.compaction.tiers"
SUMMARY_PROMPT = (
    "Summarize the assistant's work below for the assistant itself, who will continue "
    "it: keep every fact, number, name and tool result it may still need, drop the rest. "
    "Write at most 200 words."
)
_SUMMARY_MEMO = "springlet.compaction.summary"
"""RunContext.memo: (ids of the messages summarized, the summary), reused by later calls."""
SUMMARY_INPUT_TOKENS = 3000
"""At most this much of the transcript goes to the summarizer (its newest part)."""


class Compaction(AgentMiddleware[AgentState[Any], Any]):
    """Keep each request within the model's context budget (see the module doc)."""

    def __init__(
        self,
        *,
        reserve_tokens: int,
        max_context_tokens: int | None = None,
        summary_model: BaseChatModel | None = None,
        summarize: bool = True,
    ) -> None:
        super().__init__()
        self.reserve_tokens = reserve_tokens
        self.max_context_tokens = max_context_tokens
        self.summary_model = summary_model
        self.summarize = summarize
        self._fixed: dict[tuple[int, ...], int] = {}
        """Tokens of (system prompt, tools) seen before: the same on every call of a run."""

    def budget(self, model: BaseChatModel) -> tuple[int, int] | None:
        """(tokens a request may take, the window they come from); None: unknown."""
        window = context_window(model)
        limits = [n for n in (window, self.max_context_tokens) if n]
        if not limits:
            return None
        limit = min(limits)
        return limit - min(self.reserve_tokens, limit // 4), limit

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        model = request.model
        known = self.budget(model)
        if known is None:
            return await handler(request)
        budget, window = known
        counter = _Counter(model, self._fixed_tokens(request))
        before = counter(request.messages)
        if before <= budget:
            return await handler(request)
        began = time.perf_counter()
        messages, used = await self._compact(list(request.messages), budget, counter, model)
        after = counter(messages)
        problems = tiers.unpaired_calls(messages)
        assert not problems, f"compaction split a tool call from its result: {problems}"
        self._report(before, after, budget, used, time.perf_counter() - began)
        if after > budget:
            done = ", ".join(used) or "nothing could be shortened"
            raise ContextOverflowError(
                f"the request needs {after} tokens even after compaction ({done}), more than "
                f"the {budget} of the model's {window}-token context window that a request may "
                "use (the rest is kept for the answer)",
                hint="shorten the instructions, retrieve fewer chunks (knowledge top_k), "
                "lower max_tool_result_tokens, or use a model with a longer context",
            )
        return await handler(request.override(messages=messages))

    async def _compact(
        self,
        messages: list[AnyMessage],
        budget: int,
        count: _Counter,
        model: BaseChatModel,
    ) -> tuple[list[AnyMessage], list[str]]:
        units = tiers.units_of(messages)
        ctx = current_run.get()
        memo: dict[str, Any] = ctx.memo if ctx is not None else {}
        covered, summary = memo.get(_SUMMARY_MEMO, (frozenset(), None))
        if summary is not None:  # this run's earlier summary stands in for what it covers
            units = tiers.with_summary(units, covered, summary)
        used: list[str] = []
        if tiers.stub_old_tool_results(units, budget, count):
            used.append("tool results stubbed")
        dropped: list[tiers.Unit] = []
        if count(tiers.flatten(units)) > budget:
            dropped = tiers.drop_oldest_turns(units, budget, count)
            if dropped:
                used.append("oldest turns dropped")
        if count(tiers.flatten(units)) > budget and self.summarize:
            head, middle, tail = tiers.summarizable(units)
            if middle or dropped:
                summarized = [*dropped, *middle]
                summary = await self._summary(summarized, self.summary_model or model)
                covered = covered | {m.id for u in summarized for m in u.messages if m.id}
                memo[_SUMMARY_MEMO] = (covered, summary)
                units = [*head, tiers.Unit([summary]), *tail]
                used.append("earlier steps summarized")
        return tiers.flatten(units), used

    async def _summary(self, units: Sequence[tiers.Unit], model: BaseChatModel) -> AIMessage:
        text = tiers.transcript(units)
        limit = SUMMARY_INPUT_TOKENS * 4  # characters: the newest part matters most
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        answer = await model.ainvoke([SystemMessage(SUMMARY_PROMPT), HumanMessage(text)])
        return AIMessage(f"[springlet compaction: summary of earlier steps]\n{answer.text}")

    def _fixed_tokens(self, request: ModelRequest) -> int:
        system, tools = request.system_message, request.tools
        key = (id(request.model), hash(system.text if system else ""), *map(id, tools))
        if key not in self._fixed:
            fixed: list[AnyMessage] = [system] if system is not None else []
            schemas = [_schema(t) for t in tools]
            tokens = count_tokens(request.model, fixed, schemas) if fixed or schemas else 0
            if len(self._fixed) > 64:  # templated instructions: one entry per rendering
                self._fixed.clear()
            self._fixed[key] = tokens
        return self._fixed[key]

    def _report(
        self, before: int, after: int, budget: int, used: list[str], seconds: float
    ) -> None:
        ctx = current_run.get()
        if ctx is not None:
            ctx.emit(ContextCompacted(ctx.run_id, ctx.step, before, after, budget, tuple(used)))
        record_advisor_span(
            "compaction",
            {TOKENS_BEFORE: before, TOKENS_AFTER: after, BUDGET: budget, TIERS: used},
            duration_ms=seconds * 1000,
        )


class _Counter:
    """Tokens of a request with these messages: the system prompt and tool schemas once,
    each message once (counted per message, so a compaction step re-counts nothing)."""

    def __init__(self, model: BaseChatModel, fixed: int) -> None:
        self.model = model
        self.fixed = fixed
        self.cache: dict[int, int] = {}

    def __call__(self, messages: Sequence[AnyMessage]) -> int:
        total = self.fixed
        for message in messages:
            key = id(message)
            if key not in self.cache:
                self.cache[key] = count_tokens(self.model, [message])
            total += self.cache[key]
        return total


def _schema(tool: Any) -> Any:
    if isinstance(tool, dict):
        return tool
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(tool)
