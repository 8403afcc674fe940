"""A span's detail as the Traces screen shows it: messages in and out, tool arguments
and result, retrieved sources with scores, model and options, tokens, time to first
token, tokens/s, and the error with its traceback (OTel `exception.*` attributes)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text

from springlet.tui.trace_model import duration_text
from springlet.tui.widgets.tool_card import cut, pretty_json

SHOWN_CHARS = 4_000
"""Each section is cut here; the whole span is in `springlet traces show`."""

_SHOWN_ELSEWHERE = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "springlet.retrieval.sources",
    "exception.stacktrace",
    "exception.message",
    "exception.type",
}


def span_facts(span: Any) -> list[tuple[str, str]]:
    """(label, value) lines: what the span is, how long, which model, tokens, speed."""
    attributes: dict[str, Any] = span.attributes
    facts = [
        ("span", f"{span.kind} · {span.name}"),
        ("status", str(span.status)),
        ("duration", duration_text(span.duration_ms)),
    ]
    model = attributes.get("gen_ai.response.model") or attributes.get("gen_ai.request.model")
    if model:
        facts.append(("model", str(model)))
    options = {
        k.removeprefix("gen_ai.request."): v
        for k, v in attributes.items()
        if k.startswith("gen_ai.request.") and k != "gen_ai.request.model"
    }
    if options:
        facts.append(("options", ", ".join(f"{k}={v}" for k, v in sorted(options.items()))))
    tokens_in = attributes.get("gen_ai.usage.input_tokens")
    tokens_out = attributes.get("gen_ai.usage.output_tokens")
    if tokens_in is not None or tokens_out is not None:
        facts.append(("tokens", f"{tokens_in or 0} in · {tokens_out or 0} out"))
    ttft = attributes.get("springlet.time_to_first_token_ms")
    if ttft is not None:
        facts.append(("first token", duration_text(float(ttft))))
    speed = attributes.get("springlet.tokens_per_second")
    if speed is not None:
        facts.append(("tokens/s", f"{float(speed):.1f}"))
    if attributes.get("springlet.retrieval.query"):
        facts.append(("query", str(attributes["springlet.retrieval.query"])))
    return facts


def span_sections(span: Any) -> list[tuple[str, str, str]]:
    """(title, text, lexer) blocks: messages, tool call, sources, error, other attributes."""
    attributes: dict[str, Any] = span.attributes
    sections: list[tuple[str, str, str]] = []
    kind, message = attributes.get("exception.type"), attributes.get("exception.message")
    if span.error or message or attributes.get("exception.stacktrace"):
        head = f"{kind}: {message}" if kind and message is not None else str(span.error or "")
        trace = str(attributes.get("exception.stacktrace") or "")
        sections.append(("error", f"{head}\n\n{trace}".strip(), "pytb" if trace else "text"))
    for key, title in (
        ("gen_ai.tool.call.arguments", "arguments"),
        ("gen_ai.tool.call.result", "result"),
        ("gen_ai.input.messages", "messages in"),
        ("gen_ai.output.messages", "messages out"),
    ):
        if attributes.get(key) is not None:
            sections.append((title, pretty_json(attributes[key]), "json"))
    sources = attributes.get("springlet.retrieval.sources")
    if sources:
        sections.append(("sources", sources_text(sources), "text"))
    rest = {k: v for k, v in attributes.items() if k not in _SHOWN_ELSEWHERE}
    if rest:
        sections.append(("attributes", json.dumps(rest, indent=2, default=str), "json"))
    return sections


def sources_text(sources: Any) -> str:
    """`0.82  knowledge/manual/reset.md > Reset` per retrieved source, best first."""
    if isinstance(sources, str):
        try:
            sources = json.loads(sources)
        except ValueError:
            return str(sources)
    lines = []
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict):
            continue
        score = source.get("score")
        shown = f"{score:.2f}" if isinstance(score, int | float) else "  ? "
        where = str(source.get("path") or source.get("source") or "?")
        if source.get("heading"):
            where += f" > {source['heading']}"
        lines.append(f"{shown}  {where}")
    return "\n".join(lines) or "(none)"


def span_detail(span: Any) -> RenderableType:
    """Everything above as one renderable for a `Static`."""
    parts: list[RenderableType] = []
    for label, value in span_facts(span):
        parts.append(Text.assemble((f"{label:>11} ", "bold"), value))
    for title, text, lexer in span_sections(span):
        shown, was_cut = cut(text, SHOWN_CHARS)
        parts.append(Text(f"\n{title}", style="bold underline"))
        if lexer == "text":
            parts.append(Text(shown))
        else:
            parts.append(
                Syntax(shown, lexer, theme="ansi_dark", word_wrap=True, background_color="default")
            )
        if was_cut:
            parts.append(Text("… cut here (springlet traces show has it all)", style="yellow"))
    return Group(*parts)
