"""The compaction tiers as plain functions on a conversation (no model, no I/O).

A conversation is cut into *units* that are never split: a user message, an assistant
message with the results of every tool call it made, or a lone assistant answer. So a
tool call always travels with its result (the orphan ToolMessage that providers reject
with a 400, langchain #38352, cannot happen), and the system prompt is not in the list
at all: the request keeps it apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage

Counter = Callable[[Sequence[AnyMessage]], int]

STUB_MARK = "[springlet compaction:"


@dataclass
class Unit:
    """Messages that stay together: a user message, or an assistant step and its results."""

    messages: list[AnyMessage]

    @property
    def is_user(self) -> bool:
        return isinstance(self.messages[0], HumanMessage)


def units_of(messages: Sequence[AnyMessage]) -> list[Unit]:
    """`messages` cut into units; a tool result joins the step whose call it answers."""
    units: list[Unit] = []
    for message in messages:
        if isinstance(message, ToolMessage) and units and not units[-1].is_user:
            units[-1].messages.append(message)
        else:
            units.append(Unit([message]))
    return units


def flatten(units: Sequence[Unit]) -> list[AnyMessage]:
    return [m for unit in units for m in unit.messages]


def current_turn_start(units: Sequence[Unit]) -> int:
    """The index of the unit holding the latest user message (0 when there is none)."""
    return max((i for i, u in enumerate(units) if u.is_user), default=0)


def stub_old_tool_results(units: list[Unit], budget: int, count: Counter) -> int:
    """Tier 1: replace tool results, oldest first, with a stub that says what was
    removed, sparing the latest step's; the number of results stubbed."""
    last_step = max((i for i, u in enumerate(units) if not u.is_user), default=-1)
    stubbed = 0
    for index, unit in enumerate(units):
        if count(flatten(units)) <= budget:
            break
        if index == last_step:
            continue
        for position, message in enumerate(unit.messages):
            if isinstance(message, ToolMessage) and not message.text.startswith(STUB_MARK):
                stub = stub_of(message, count([message]))
                if count([stub]) < count([message]):  # a short result stays as it is
                    unit.messages[position] = stub
                    stubbed += 1
    return stubbed


def stub_of(message: ToolMessage, tokens: int) -> ToolMessage:
    name = message.name or "the tool"
    note = (
        f"{STUB_MARK} the result of {name} ({tokens} tokens) was removed to fit the "
        "context window; it is kept in the run's trace. Call the tool again if you need it.]"
    )
    return message.model_copy(update={"content": note})


def drop_oldest_turns(units: list[Unit], budget: int, count: Counter) -> list[Unit]:
    """Tier 2: drop whole turns before the current one, oldest first; the dropped units."""
    dropped: list[Unit] = []
    while count(flatten(units)) > budget:
        start = current_turn_start(units)
        if start == 0:
            break
        end = next((i for i in range(1, start + 1) if units[i].is_user), start)
        dropped += units[:end]
        del units[:end]
    return dropped


def summarizable(units: list[Unit]) -> tuple[list[Unit], list[Unit], list[Unit]]:
    """Tier 3's split: (kept before, to summarize, kept after). The current user message
    and the latest step stay; the steps in between are summarized."""
    start = current_turn_start(units)
    head = units[: start + 1]
    steps = units[start + 1 :]
    return head, steps[:-1], steps[-1:]


def with_summary(units: list[Unit], covered: frozenset[str], summary: AIMessage) -> list[Unit]:
    """`units` with those an earlier summary covers replaced by it, where the first was."""
    out: list[Unit] = []
    placed = False
    for unit in units:
        if all(m.id in covered for m in unit.messages):
            if not placed:
                out.append(Unit([summary]))
                placed = True
            continue
        out.append(unit)
    return out


def transcript(units: Sequence[Unit]) -> str:
    """What a summarizer reads: the units as plain text."""
    lines = []
    for message in flatten(units):
        if isinstance(message, AIMessage) and message.tool_calls:
            calls = ", ".join(f"{c['name']}({c['args']})" for c in message.tool_calls)
            lines.append(f"assistant called: {calls}")
        elif isinstance(message, ToolMessage):
            lines.append(f"result of {message.name or 'a tool'}: {message.text}")
        else:
            role = "user" if isinstance(message, HumanMessage) else "assistant"
            lines.append(f"{role}: {message.text}")
    return "\n".join(lines)


def unpaired_calls(messages: Sequence[AnyMessage]) -> list[str]:
    """Tool call ids without their result, and results without their call (should be none)."""
    calls: set[str] = set()
    problems: list[str] = []
    for message in messages:
        if isinstance(message, AIMessage):
            calls |= {str(c.get("id")) for c in message.tool_calls}
        elif isinstance(message, ToolMessage):
            if message.tool_call_id not in calls:
                problems.append(f"result {message.tool_call_id} without its call")
            calls.discard(message.tool_call_id)
    return problems + [f"call {c} without its result" for c in sorted(calls)]


def capped_result(text: str, max_tokens: int) -> str | None:
    """`text` cut to about `max_tokens` tokens with a note saying what was left out;
    None when it fits. Counted like springlet's estimate: ~4 ASCII characters a token,
    one token per other character."""
    if len(text) <= max_tokens or _estimate(text) <= max_tokens:
        return None
    cut = max_tokens * 4
    while cut > 0 and _estimate(text[:cut]) > max_tokens:
        cut = cut * 3 // 4
    left_out = len(text) - cut
    return (
        f"{text[:cut]}\n[springlet: the tool's result was cut here to about {max_tokens} "
        f"tokens (max_tool_result_tokens); {left_out} more characters were left out. The "
        "run's trace records the tool's output.]"
    )


def _estimate(text: str) -> int:
    if text.isascii():
        return len(text) // 4
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return ascii_chars // 4 + (len(text) - ascii_chars)
