"""A deterministic LangChain chat model for tests: it answers from a script.

Two ways to drive it:

- `steps`: a list consumed one step per model call (`Reply`, `ToolCall`, a list of
  tool calls, or `Fail`). The cursor is shared by every binding of the model and is
  advanced under a lock, so agents running on several threads see each step once.
- `respond`: a function `(messages, tools) -> step`, called on every model call. It keeps
  no state in the model, so it is safe to share between threads and runs.

    model = ScriptedChatModel(steps=[ToolCall("get_order_status", {"order_id": "A-1001"}),
                                     Reply("Order A-1001 has shipped.")])
    register_script("helpdesk", model)   # `scripted:helpdesk` now resolves to it

Every call is recorded in `model.calls` (messages and the tools the caller bound), so a
test can assert what the agent actually sent.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from springlet.errors import ModelError, ModelReferenceError


@dataclass(frozen=True)
class Reply:
    """The model answers with this text."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """The model asks for one tool call (`id` is generated when not given)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Fail:
    """The model call raises `error` (to test retries and error paths)."""

    error: BaseException


Step = Reply | ToolCall | Fail | Sequence[Reply | ToolCall]
"""One model turn: a reply, a tool call, several tool calls (optionally with a Reply
giving the text that goes with them), or a failure."""

RespondFunction = Callable[[list[BaseMessage], list[dict[str, Any]]], Step]
"""`(messages, tools in OpenAI format) -> step`: a stateless script."""


class ScriptExhaustedError(ModelError):
    """A stepped script was asked for more turns than it has."""


@dataclass(frozen=True)
class ScriptedCall:
    """What one model call received: the messages and the tools bound for it."""

    messages: list[BaseMessage]
    tools: list[dict[str, Any]]


class _ScriptState:
    """The cursor and call log shared by a model and every binding made from it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.position = 0
        self.calls: list[ScriptedCall] = []


_call_ids = itertools.count(1)


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers from `steps` or a `respond` function (see module doc)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    steps: list[Any] | None = None
    respond: Callable[..., Any] | None = None
    script_name: str = "scripted"
    """Named in errors and in response metadata (`scripted:NAME`)."""
    words_per_chunk: int = Field(default=1, ge=1)

    _state: _ScriptState = PrivateAttr(default_factory=_ScriptState)

    def model_post_init(self, context: Any, /) -> None:
        if (self.steps is None) == (self.respond is None):
            raise ValueError("ScriptedChatModel needs exactly one of `steps` or `respond`")

    @property
    def _llm_type(self) -> str:
        return "springlet-scripted"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"script_name": self.script_name}

    def _resolve_model_profile(self) -> ModelProfile | None:
        # like the Ollama and embedded models: create_agent's response_format then asks
        # for a JSON answer (script it as `Reply('{"field": ...}')`), not an output tool
        return ModelProfile(tool_calling=True, structured_output=True)

    @property
    def calls(self) -> list[ScriptedCall]:
        """Every call made so far, in order (a copy)."""
        with self._state.lock:
            return list(self._state.calls)

    @property
    def remaining(self) -> int | None:
        """Steps not yet used (None for a `respond` script)."""
        if self.steps is None:
            return None
        with self._state.lock:
            return len(self.steps) - self._state.position

    def reset(self) -> None:
        """Start the script again from its first step and forget recorded calls."""
        with self._state.lock:
            self._state.position = 0
            self._state.calls.clear()

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Parse the scripted reply (JSON text, or a tool call's arguments) into `schema`."""

        def parse(message: AIMessage) -> Any:
            return parse_structured(message, schema)

        parser = RunnableLambda(parse)
        if not include_raw:
            return self | parser

        def with_raw(message: AIMessage) -> dict[str, Any]:
            try:
                return {"raw": message, "parsed": parse(message), "parsing_error": None}
            except (ValueError, TypeError) as exc:
                return {"raw": message, "parsed": None, "parsing_error": exc}

        return self | RunnableLambda(with_raw)

    def next_step(self, messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Step:
        """Record this call and return the step that answers it."""
        state = self._state
        with state.lock:
            state.calls.append(ScriptedCall(messages=list(messages), tools=list(tools)))
            if self.steps is None:
                position = -1
            else:
                position = state.position
                if position >= len(self.steps):
                    raise ScriptExhaustedError(
                        f"script '{self.script_name}' ran out: it has {len(self.steps)} "
                        f"step(s) and the model was called {len(state.calls)} time(s)",
                        hint="add steps to the script, or use `respond=` for open-ended runs",
                    )
                state.position += 1
        if self.respond is not None:
            return self.respond(list(messages), list(tools))  # type: ignore[no-any-return]
        assert self.steps is not None
        return self.steps[position]  # type: ignore[no-any-return]

    def _turn(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        step = self.next_step(messages, list(kwargs.get("tools") or []))
        return step_to_message(step, messages, self.script_name)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._turn(messages, kwargs))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._turn(messages, kwargs)
        for chunk in message_to_chunks(message, self.words_per_chunk):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        message = self._turn(messages, kwargs)
        for chunk in message_to_chunks(message, self.words_per_chunk):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk


def step_to_message(step: Step, messages: list[BaseMessage], script_name: str) -> AIMessage:
    """The AIMessage a step stands for (raising the error of a `Fail`)."""
    if isinstance(step, Fail):
        raise step.error
    parts: Sequence[Reply | ToolCall] = [step] if isinstance(step, Reply | ToolCall) else list(step)
    text = " ".join(p.text for p in parts if isinstance(p, Reply))
    calls = [
        tool_call(name=p.name, args=dict(p.args), id=p.id or f"call_{next(_call_ids)}")
        for p in parts
        if isinstance(p, ToolCall)
    ]
    for part in parts:
        if not isinstance(part, Reply | ToolCall):
            raise TypeError(
                f"script '{script_name}' has a step {part!r}; "
                "expected Reply, ToolCall, Fail or a list of them"
            )
    return AIMessage(
        content=text,
        tool_calls=calls,
        usage_metadata=estimate_usage(messages, text, calls),
        response_metadata={
            "model_name": f"scripted:{script_name}",
            "model_provider": "scripted",
            "finish_reason": "tool_calls" if calls else "stop",
        },
    )


def message_to_chunks(
    message: AIMessage, words_per_chunk: int = 1
) -> Iterator[ChatGenerationChunk]:
    """The message as a stream: its text word by word, then one last chunk carrying the
    tool calls (as tool_call_chunks), the usage and the response metadata."""
    text = message.content if isinstance(message.content, str) else str(message.content)
    words = text.split(" ") if text else []
    for start in range(0, len(words), words_per_chunk):
        piece = " ".join(words[start : start + words_per_chunk])
        if start + words_per_chunk < len(words):
            piece += " "
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
    chunks = [
        tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
        for i, c in enumerate(message.tool_calls)
    ]
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="",
            id=message.id,
            tool_call_chunks=chunks,
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
            chunk_position="last",
        )
    )


def estimate_usage(
    messages: Sequence[BaseMessage], text: str, calls: Sequence[Any]
) -> UsageMetadata:
    """Whitespace-word counts as token counts: deterministic, and good enough for tests."""
    prompt = sum(len(str(m.content).split()) for m in messages)
    output = len(text.split()) + sum(len(json.dumps(c["args"]).split()) + 1 for c in calls)
    return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)


def parse_structured(message: AIMessage, schema: dict[str, Any] | type) -> Any:
    """A reply's JSON (or its first tool call's arguments) validated into `schema`."""
    from springlet.models.structured import data_of, validated

    return validated(data_of(message), schema)


# -- named scripts: `scripted:NAME` --------------------------------------------------------

ScriptSource = Sequence[Step] | RespondFunction | ScriptedChatModel
_registry: dict[str, ScriptSource] = {}
_registry_lock = threading.Lock()


def register_script(name: str, script: ScriptSource) -> None:
    """Make `scripted:NAME` resolvable.

    A list of steps gives each resolution a fresh model (its own cursor); a `respond`
    function is shared; a `ScriptedChatModel` instance is returned as is, so a test can
    inspect its `calls` after the run.
    """
    with _registry_lock:
        _registry[name] = script


def unregister_script(name: str) -> None:
    """Forget `scripted:NAME` (no error if it was not registered)."""
    with _registry_lock:
        _registry.pop(name, None)


def registered_scripts() -> list[str]:
    """The names registered so far, sorted."""
    with _registry_lock:
        return sorted(_registry)


def scripted_model(name: str) -> ScriptedChatModel:
    """The chat model for `scripted:NAME`, or a ModelReferenceError saying how to register it."""
    with _registry_lock:
        script = _registry.get(name)
        known = sorted(_registry)
    if script is None:
        listed = ", ".join(known) if known else "none"
        raise ModelReferenceError(
            f"no script named '{name}' is registered (registered: {listed})",
            hint=f"call springlet.testing.register_script({name!r}, [...]) before resolving "
            f"'scripted:{name}'",
        )
    if isinstance(script, ScriptedChatModel):
        return script
    if callable(script):
        return ScriptedChatModel(respond=script, script_name=name)
    return ScriptedChatModel(steps=list(script), script_name=name)
