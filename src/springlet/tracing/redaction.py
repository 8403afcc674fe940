"""Secrets never land in a trace: values under sensitive keys and text matching secret
patterns are replaced before a span reaches any store, exporter or sink."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from springlet.errors import SpringletError
from springlet.tracing.spans import Span

REDACTED = "[REDACTED]"
_KEY_CACHE_LIMIT = 4096

BUILTIN_PATTERNS = (
    r"\bsk-[A-Za-z0-9_-]{16,}",  # OpenAI-style API keys
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",  # GitHub tokens
    r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key ids
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",  # Slack tokens
    r"(?i:\bbearer\s+[A-Za-z0-9._~+/=-]{8,})",  # Authorization: Bearer ...
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
)
_BUILTIN_TRIGGERS = r"sk-|gh[pousr]_|akia|xox[abprs]-|bearer|-----begin"
"""Text every match of a built-in pattern contains, lowercased. Most strings in a trace
hold no secret; ruling that out with one scan of the lowercased text is ~10x cheaper
than running the patterns (case-insensitive, and the key=value part backtracks over
every word)."""
_QUANTITY_WORDS = frozenset(
    {"count", "counts", "limit", "len", "length", "size", "total", "max", "min", "num", "usage"}
)
"""A key with one of these words names an amount (`token_count`, `max_token_len`): it is
never a secret, and its number must stay a number (OTel GenAI's `gen_ai.usage.*_tokens`,
Ollama's `num_ctx`, `max_tokens` all pass)."""
_TEXT_CACHE_LIMIT = 4096
_CACHED_TEXT_LIMIT = 4096
"""Texts repeat across spans (every model call resends the instructions and history):
the redacted form of short ones is remembered, up to this many, this long."""


class Redactor:
    """Replaces values of keys containing one of `fields` (case-insensitive) and any
    text matching `patterns` (plus built-in API-key/token patterns) with [REDACTED].

    A `key=value` / `key: value` pair inside free text (a model message saying
    "password: hunter2") is caught too, by the field names.

    A field matches whole words of a key (`api_key` matches `x-api-key` and
    `OPENAI_API_KEY`; `token` matches `access_token`, `token2` and `refreshToken`, not
    `tokens`, `tokenizer` or `input_tokens`), and never a key naming an amount.
    """

    def __init__(self, fields: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        self.fields = tuple(f.lower() for f in fields if f)
        self._field_words = [_words(f) for f in self.fields]
        names = "|".join(re.escape(f) for f in self.fields)  # lowercase, as the prescan
        sources = list(BUILTIN_PATTERNS)
        if self.fields:
            # "api_key=abc", "password: hunter2", '"token": "abc"'
            sources.append(
                rf"(?i:(?<![A-Za-z0-9])(?P<fieldkey>[\w.-]*(?:{names})[\w.-]*)[\"']?\s*[:=]\s*[\"']?"
                r"(?P<value>[^\s\"',;}]+))"
            )
        self._patterns = _one_pass(sources, [])
        self._user_patterns = _one_pass([], list(patterns))
        self._trigger = re.compile(f"{_BUILTIN_TRIGGERS}|{names}" if names else _BUILTIN_TRIGGERS)
        self._texts: dict[str, str] = {}
        self._sensitive_keys: dict[str, bool] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> Redactor:
        """From `TracingSettings.redact` (a RedactionSettings)."""
        return cls(fields=settings.fields, patterns=settings.patterns)

    def is_sensitive_key(self, key: str) -> bool:
        known = self._sensitive_keys.get(key)
        if known is None:
            known = self._names_a_secret(_words(key))  # cached: keys repeat
            if len(self._sensitive_keys) < _KEY_CACHE_LIMIT:  # keys repeat: role, content ...
                self._sensitive_keys[key] = known
        return known

    def text(self, value: str) -> str:
        known = self._texts.get(value)
        if known is not None:
            return known
        redacted = value
        if self._trigger.search(value.lower()) is not None:
            for pattern in self._patterns:
                redacted = pattern.sub(self._replacement, redacted)
        for pattern in self._user_patterns:
            redacted = pattern.sub(_replacement, redacted)
        if len(value) <= _CACHED_TEXT_LIMIT:
            if len(self._texts) >= _TEXT_CACHE_LIMIT:
                self._texts.clear()
            self._texts[value] = redacted
        return redacted

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._json_text(value)
        if isinstance(value, dict):
            return {
                k: REDACTED if self.is_sensitive_key(str(k)) else self.value(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def _names_a_secret(self, words: list[str]) -> bool:
        if not words or _QUANTITY_WORDS.intersection(words):
            return False
        for field in self._field_words:
            for start in range(len(words) - len(field) + 1):
                if all(_same_word(w, f) for w, f in zip(words[start:], field, strict=False)):
                    return True
        return False

    def _replacement(self, match: re.Match[str]) -> str:
        key = match.group("fieldkey") if "fieldkey" in match.re.groupindex else None
        if key is not None and not self.is_sensitive_key(key):
            return match.group(0)  # "max_tokens: 512" names an amount, not a secret
        return _replacement(match)

    def span(self, span: Span) -> Span:
        attributes = {key: self.value(val) for key, val in span.attributes.items()}
        error = None if span.error is None else self.text(span.error)
        return replace(span, attributes=attributes, error=error)

    def _json_text(self, value: str) -> str:
        # tool arguments and results are often JSON text: redact by key inside them
        stripped = value.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                parsed = json.loads(value)
            except ValueError:
                pass
            else:
                return json.dumps(self.value(parsed), ensure_ascii=False)
        return self.text(value)


def _one_pass(own: list[str], users: list[str]) -> list[re.Pattern[str]]:
    # one alternation scans each string once; a user's pattern with global flags or
    # named groups can't be joined (flags apply to all, names may clash), so it keeps
    # a pass of its own
    joinable = list(own)
    alone: list[str] = []
    for source in users:
        own_pass = _GLOBAL_FLAGS.match(source) or "(?P<" in source
        (alone if own_pass else joinable).append(source)
    sources = [*own, *users]
    for source in sources:
        try:
            re.compile(source)
        except re.error as exc:
            raise SpringletError(
                f"tracing.redact.patterns: {source!r} is not a regular expression: {exc}",
                hint="fix the pattern in springlet.yaml (Python `re` syntax)",
            ) from exc
    combined = [re.compile("|".join(f"(?:{s})" for s in joinable))] if joinable else []
    return combined + [re.compile(s) for s in alone]


def _words(key: str) -> list[str]:
    """`OPENAI_API_KEY` / `refreshToken` / `x-api-key` -> lowercase words."""
    return re.findall(r"[a-z]+[0-9]*|[0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())


def _same_word(word: str, field_word: str) -> bool:
    """`token` is `token` and `token2`, not `tokens` (a count) or `tokenizer`."""
    return word == field_word or (word.startswith(field_word) and word[len(field_word) :].isdigit())


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def _replacement(match: re.Match[str]) -> str:
    if "value" in match.re.groupindex and match.group("value") is not None:
        start, end = match.span("value")
        base = match.start()
        whole = match.group(0)
        return whole[: start - base] + REDACTED + whole[end - base :]
    return REDACTED
