"""Ollama's wire format, for the test server: served models, message conversion, embeddings.

Kept apart from the HTTP plumbing in `ollama_server` so each side reads on its own.
Shapes follow Ollama's docs/api.md (`/api/tags`, `/api/show`, `/api/chat`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call

from springlet.models.fit import parse_parameter_size

ALL_CAPABILITIES = ("completion", "tools", "embedding", "vision", "thinking")


@dataclass(frozen=True)
class ServedModel:
    """A model the test server pretends to have installed."""

    name: str
    family: str = "qwen2"
    parameter_size: str = "7.6B"
    quantization_level: str = "Q4_K_M"
    context_length: int = 32768
    capabilities: tuple[str, ...] = ("completion", "tools")
    embedding_length: int = 0
    """Vector size for embedding models (0: not an embedding model)."""
    size: int = 4_683_075_271

    @property
    def full_name(self) -> str:
        """The name with its tag, as `/api/tags` lists it (`x` -> `x:latest`)."""
        return normalize_name(self.name)

    def supports(self, capability: str) -> bool:
        """An empty capability list stands for an older Ollama that reports none: such a
        model completes text but has no tools."""
        if not self.capabilities:
            return capability == "completion"
        return capability in self.capabilities

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.full_name.encode()).hexdigest()

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }

    def tags_entry(self) -> dict[str, Any]:
        return {
            "name": self.full_name,
            "model": self.full_name,
            "modified_at": "2026-01-01T00:00:00Z",
            "size": self.size,
            "digest": self.digest,
            "details": self.details(),
        }

    def show_response(self) -> dict[str, Any]:
        arch = self.family
        model_info: dict[str, Any] = {
            "general.architecture": arch,
            "general.parameter_count": parse_parameter_size(self.parameter_size),
            f"{arch}.context_length": self.context_length,
            f"{arch}.block_count": 28,
            f"{arch}.attention.head_count": 28,
            f"{arch}.attention.head_count_kv": 4,
            f"{arch}.embedding_length": self.embedding_length or 3584,
        }
        shown: dict[str, Any] = {
            "modelfile": f"FROM {self.full_name}",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": self.details(),
            "model_info": model_info,
            "modified_at": "2026-01-01T00:00:00Z",
        }
        if self.capabilities:
            shown["capabilities"] = list(self.capabilities)
        return shown


@dataclass
class TurnStats:
    """Counts and timings reported in the final chat chunk."""

    prompt_tokens: int
    output_tokens: int
    started_ns: int
    first_token_ns: int = 0
    finished_ns: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def normalize_name(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def to_langchain_messages(messages: list[dict[str, Any]]) -> list[BaseMessage]:
    """Ollama chat messages as LangChain messages (tool results get matching call ids)."""
    converted: list[BaseMessage] = []
    pending_ids: list[tuple[str, str]] = []  # (tool name, call id) awaiting a result
    for index, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content") or ""
        if role == "system":
            converted.append(SystemMessage(content))
        elif role == "assistant":
            calls = []
            for number, raw in enumerate(message.get("tool_calls") or []):
                function = raw.get("function", {})
                call_id = raw.get("id") or f"call_{index}_{number}"
                pending_ids.append((function.get("name", ""), call_id))
                calls.append(
                    tool_call(
                        name=function.get("name", ""),
                        args=dict(function.get("arguments") or {}),
                        id=call_id,
                    )
                )
            converted.append(AIMessage(content=content, tool_calls=calls))
        elif role == "tool":
            name = message.get("tool_name") or message.get("name") or ""
            call_id = _take_call_id(pending_ids, name) or f"call_{index}"
            converted.append(ToolMessage(content=content, tool_call_id=call_id, name=name))
        else:
            converted.append(HumanMessage(content))
    return converted


def _take_call_id(pending: list[tuple[str, str]], name: str) -> str | None:
    for position, (tool_name, call_id) in enumerate(pending):
        if tool_name == name or not name:
            del pending[position]
            return call_id
    return pending.pop(0)[1] if pending else None


def ollama_tool_calls(message: AIMessage, *, malformed: bool = False) -> list[dict[str, Any]]:
    """The message's tool calls as Ollama sends them; `malformed` breaks the arguments."""
    calls = []
    for call in message.tool_calls:
        arguments: Any = call["args"]
        if malformed:
            arguments = json.dumps(arguments)[:-2]  # a truncated JSON string, not an object
        calls.append({"function": {"name": call["name"], "arguments": arguments}})
    return calls


def count_tokens(text: str) -> int:
    """Whitespace words: the test server's notion of a token."""
    return len(text.split())


def prompt_token_count(messages: list[dict[str, Any]], tools: list[Any]) -> int:
    words = sum(count_tokens(str(m.get("content") or "")) for m in messages)
    return words + sum(count_tokens(json.dumps(t)) for t in tools)
