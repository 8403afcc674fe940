"""The Ollama provider: `ChatOllama` / `OllamaEmbeddings` with springlet's guarantees.

`SpringletChatOllama` is a `ChatOllama` (so tools, `format` / JSON-schema structured
output, streaming, options, keep_alive, token usage and durations all work as LangChain
users know them) that adds:

- errors a user can act on (`springlet.models.ollama_errors`), including a stream that
  ends without Ollama's `done` line;
- prompted tool calls for models without native tools (`ollama_tools`), chosen from the
  probed capabilities or after Ollama's 400 "does not support tools";
- context fitting: Ollama silently drops the start of a prompt longer than `num_ctx`,
  so when the estimated prompt does not fit, `num_ctx` is raised to fit (up to the
  model's context length from `/api/show`); beyond that a `ContextOverflowError` says so;
- `auto_pull`: a missing model is pulled once, then the call is retried;
- `think`: sent only to models whose capabilities include "thinking" (else a warning);
  thinking, reported by Ollama or written inline as `<think>...</think>`, is kept in
  `additional_kwargs["reasoning_content"]`, never in the answer's content;
- `truncate: false` and tool-call argument repair (`ollama_request`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, cast

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_ollama import ChatOllama, OllamaEmbeddings
from pydantic import Field

from springlet._runtime import process_state
from springlet.errors import (
    ContextOverflowError,
    ModelError,
    ModelNotFoundError,
    ModelStreamError,
    ModelTimeoutError,
)
from springlet.models.ollama_budget import PromptCheck
from springlet.models.ollama_catalog import ModelInfo, OllamaCatalog
from springlet.models.ollama_errors import ToolsUnsupportedError, ollama_errors
from springlet.models.ollama_request import READER_KWARG, ToolCallReader, chat_body
from springlet.models.ollama_tools import parse_decision, prompted_messages, tool_choice_schema
from springlet.models.options import ModelOptions
from springlet.models.thinking import THINKING_KEY, ThinkLevel, ThinkSplitter
from springlet.models.token_budget import calibration

log = logging.getLogger(__name__)

OLLAMA_DEFAULT_NUM_CTX = 4096
"""What Ollama uses when a request sets no num_ctx (and the model file sets none)."""
OUTPUT_RESERVE_TOKENS = 512
"""Room kept for the answer when fitting the context."""
CONTEXT_STEP = 1024

_without_native_tools: set[tuple[str, str]] = set()
_tools_lock = threading.Lock()
_warned_no_thinking: set[tuple[str, str]] = set()
THINK_KWARG = "_springlet_think"
"""A private keyword argument: the `think` value to send (absent: send none)."""


def forget_tool_support() -> None:
    """Forget which models answered "does not support tools" (between tests)."""
    with _tools_lock:
        _without_native_tools.clear()


process_state.register("models.ollama_tool_support", forget=forget_tool_support)


def estimate_tokens(messages: list[BaseMessage], tools: list[Any] | None = None) -> int:
    """A deliberately generous token estimate: ~4 ASCII characters per token, one token per
    other character (CJK text is about one token per character), plus message framing."""
    total = 0
    for message in messages:
        text = message.text if isinstance(message.content, str | list) else str(message.content)
        ascii_chars = sum(1 for ch in text if ord(ch) < 128)
        total += ascii_chars // 4 + (len(text) - ascii_chars) + 6
    if tools:
        total += sum(len(str(t)) // 4 for t in tools)
    return total


class SpringletChatOllama(ChatOllama):
    """`ChatOllama` plus errors, tools fallback, context fitting and auto_pull."""

    timeout_s: float | None = None
    auto_pull: bool = False
    extra_options: dict[str, Any] = Field(default_factory=dict)
    """Ollama options ChatOllama has no field for (min_p, typical_p, num_batch, ...)."""
    think: ThinkLevel | None = None
    """`think:` of the agent or prompt (None: the model's default)."""

    @property
    def host(self) -> str:
        return self.base_url or "http://127.0.0.1:11434"

    def catalog(self) -> OllamaCatalog:
        return OllamaCatalog(self.host, self.timeout_s or 30.0)

    def model_info(self) -> ModelInfo | None:
        """The probed details of this model, or None when the server cannot say."""
        try:
            return self.catalog().show(self.model)
        except ModelError:
            return None

    # -- the one place every call goes through (sync and async) -------------------------

    def _iterate_over_stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        kwargs = self._think_kwargs(self._fit_context(messages, stop, kwargs))
        tools = kwargs.get("tools")
        if tools and self._lacks_native_tools():
            yield from self._prompted(messages, stop, kwargs)
            return
        parent = super()._iterate_over_stream
        try:
            yield from self._read(parent, messages, stop, kwargs)
        except ToolsUnsupportedError:
            self._remember_without_tools()
            yield from self._prompted(messages, stop, kwargs)
        except ModelNotFoundError:
            if not self.auto_pull:
                raise
            self.pull()
            yield from self._read(parent, messages, stop, kwargs)

    async def _aiterate_over_stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        kwargs = await asyncio.to_thread(self._fit_context, messages, stop, kwargs)
        kwargs = await asyncio.to_thread(self._think_kwargs, kwargs)
        tools = kwargs.get("tools")
        if tools and await asyncio.to_thread(self._lacks_native_tools):
            async for chunk in self._aprompted(messages, stop, kwargs):
                yield chunk
            return
        parent = super()._aiterate_over_stream
        try:
            async for chunk in self._aread(parent, messages, stop, kwargs):
                yield chunk
        except ToolsUnsupportedError:
            self._remember_without_tools()
            async for chunk in self._aprompted(messages, stop, kwargs):
                yield chunk
        except ModelNotFoundError:
            if not self.auto_pull:
                raise
            await asyncio.to_thread(self.pull)
            async for chunk in self._aread(parent, messages, stop, kwargs):
                yield chunk

    # -- the request itself: truncate off, tool arguments repaired -----------------------

    def _create_chat_stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> Iterator[Mapping[str, Any] | str]:
        reader = kwargs.pop(READER_KWARG, None) or ToolCallReader(kwargs.get("tools"))
        think = kwargs.pop(THINK_KWARG, None)
        params = {**self._chat_params(messages, stop, **kwargs), "think": think}
        client = cast(Any, self._client)
        answer = client._request(
            reader, "POST", "/api/chat", json=chat_body(params), stream=params["stream"]
        )
        if params["stream"]:
            yield from answer
        else:
            yield answer

    async def _acreate_chat_stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[Mapping[str, Any] | str]:
        reader = kwargs.pop(READER_KWARG, None) or ToolCallReader(kwargs.get("tools"))
        think = kwargs.pop(THINK_KWARG, None)
        params = {**self._chat_params(messages, stop, **kwargs), "think": think}
        client = cast(Any, self._async_client)
        answer = await client._request(
            reader, "POST", "/api/chat", json=chat_body(params), stream=params["stream"]
        )
        if params["stream"]:
            async for part in answer:
                yield part
        else:
            yield answer

    def _read(
        self, parent: Any, messages: list[BaseMessage], stop: list[str] | None, kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        reader, splitter = ToolCallReader(kwargs.get("tools")), ThinkSplitter()
        check = self._prompt_check(messages, kwargs)
        for chunk in self._checked(parent(messages, stop, **{**kwargs, READER_KWARG: reader})):
            yield check.check(_split_inline(reader.annotate(chunk), splitter))

    async def _aread(
        self, parent: Any, messages: list[BaseMessage], stop: list[str] | None, kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        reader, splitter = ToolCallReader(kwargs.get("tools")), ThinkSplitter()
        check = self._prompt_check(messages, kwargs)
        chunks = parent(messages, stop, **{**kwargs, READER_KWARG: reader})
        async for chunk in self._achecked(chunks):
            yield check.check(_split_inline(reader.annotate(chunk), splitter))

    def _prompt_check(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> PromptCheck:
        options = kwargs.get("options") or {}
        num_ctx = int(options.get("num_ctx") or self.num_ctx or OLLAMA_DEFAULT_NUM_CTX)
        estimated = estimate_tokens(messages, kwargs.get("tools"))
        return PromptCheck(self.host, self.model, estimated, num_ctx)

    def _think_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Thinking always captured (ChatOllama keeps `message.thinking` only when
        `reasoning` is set); `think` sent as configured, if the model can think."""
        out = {**kwargs, "reasoning": True}
        if self.think is None:
            return out
        info = self.model_info()
        if info is not None and info.capabilities and "thinking" not in info.capabilities:
            key = (self.host, self.model)
            with _tools_lock:
                first = key not in _warned_no_thinking
                _warned_no_thinking.add(key)
            if first:
                log.warning(
                    "think: %s is ignored: '%s' at %s cannot think (its capabilities: %s)",
                    str(self.think).lower(),
                    self.model,
                    self.host,
                    ", ".join(info.capabilities),
                )
            return out
        return {**out, THINK_KWARG: self.think}

    # -- guarding the stream --------------------------------------------------------------

    # `timeout_s` bounds every wait for the server: connecting, the first streamed line
    # and the gap between two streamed lines (httpx's read timeout alone is per byte, so
    # a server trickling one byte a second never tripped it). Not the whole answer: a
    # long answer at a healthy pace is never cut.

    def _checked(self, chunks: Iterator[ChatGenerationChunk]) -> Iterator[ChatGenerationChunk]:
        done = False
        with ollama_errors(self.host, self.model, self.timeout_s):
            waited_from = time.monotonic()
            for chunk in chunks:  # a blocking read cannot be interrupted: checked per line
                if self.timeout_s and time.monotonic() - waited_from > self.timeout_s:
                    raise self._stalled()
                done = done or _is_done(chunk)
                yield chunk
                waited_from = time.monotonic()
        if not done:
            raise self._cut_stream()

    async def _achecked(
        self, chunks: AsyncIterator[ChatGenerationChunk]
    ) -> AsyncIterator[ChatGenerationChunk]:
        done = False
        loop = asyncio.get_running_loop()
        iterator = chunks.__aiter__()
        deadline = asyncio.timeout(None)
        try:
            with ollama_errors(self.host, self.model, self.timeout_s):
                async with deadline:
                    while True:
                        if self.timeout_s:
                            deadline.reschedule(loop.time() + self.timeout_s)
                        try:
                            chunk = await anext(iterator)
                        except StopAsyncIteration:
                            break
                        deadline.reschedule(None)  # the consumer's time is not the server's
                        done = done or _is_done(chunk)
                        yield chunk
        except TimeoutError as exc:
            if deadline.expired():
                raise self._stalled() from exc
            raise
        if not done:
            raise self._cut_stream()

    def _stalled(self) -> ModelTimeoutError:
        return ModelTimeoutError(
            f"Ollama at {self.host} sent nothing complete for '{self.model}' for "
            f"{self.timeout_s:g} s (the limit between two streamed lines)",
            hint="the server is stalled or far too slow; check it, or raise "
            "`ollama.timeout_s` in springlet.yaml",
        )

    def _cut_stream(self) -> ModelStreamError:
        return ModelStreamError(
            f"the answer of '{self.model}' from Ollama at {self.host} ended without its "
            "final `done` line",
            hint="the server stopped mid-answer; check its log and retry",
        )

    # -- prompted tool calls --------------------------------------------------------------

    def _prompted_request(
        self, messages: list[BaseMessage], kwargs: dict[str, Any]
    ) -> tuple[list[BaseMessage], dict[str, Any], list[dict[str, Any]]]:
        tools = list(kwargs.get("tools") or [])
        rest = {k: v for k, v in kwargs.items() if k not in ("tools", "tool_choice")}
        rest["format"] = tool_choice_schema(tools)
        return prompted_messages(messages, tools), rest, tools

    def _prompted(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> Iterator[ChatGenerationChunk]:
        rewritten, rest, tools = self._prompted_request(messages, kwargs)
        parts = list(self._checked(super()._iterate_over_stream(rewritten, stop, **rest)))
        yield _decision_chunk(parts, tools)

    async def _aprompted(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> AsyncIterator[ChatGenerationChunk]:
        rewritten, rest, tools = self._prompted_request(messages, kwargs)
        parent = super()._aiterate_over_stream(rewritten, stop, **rest)
        parts = [chunk async for chunk in self._achecked(parent)]
        yield _decision_chunk(parts, tools)

    def _lacks_native_tools(self) -> bool:
        with _tools_lock:
            if (self.host, self.model) in _without_native_tools:
                return True
        info = self.model_info()
        return info is not None and bool(info.capabilities) and not info.supports_tools

    def _remember_without_tools(self) -> None:
        log.info("%s at %s has no native tools; using prompted tool calls", self.model, self.host)
        with _tools_lock:
            _without_native_tools.add((self.host, self.model))

    # -- context fitting and pulling ------------------------------------------------------

    def _fit_context(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """Raise num_ctx when the prompt would not fit (see the module doc)."""
        options = dict(kwargs.get("options") or self._chat_params([], stop)["options"])
        changed = any(k not in options for k in self.extra_options)
        options.update({k: v for k, v in self.extra_options.items() if k not in options})
        current = int(options.get("num_ctx") or OLLAMA_DEFAULT_NUM_CTX)
        estimate = estimate_tokens(messages, kwargs.get("tools"))
        estimate = math.ceil(estimate * calibration(self.host, self.model))
        predict = options.get("num_predict")
        needed = estimate + (predict if isinstance(predict, int) and predict > 0 else 0)
        needed += OUTPUT_RESERVE_TOKENS
        if needed > current:
            info = self.model_info()
            limit = info.context_length if info and info.context_length else None
            if limit is not None and needed > limit:
                raise ContextOverflowError(
                    f"the prompt for '{self.model}' needs about {estimate} tokens (plus room "
                    f"for the answer) but the model's context window is {limit} tokens",
                    hint="shorten the conversation (a smaller memory window), retrieve fewer "
                    "chunks (knowledge top_k), or use a model with a longer context",
                )
            fitted = -(-needed // CONTEXT_STEP) * CONTEXT_STEP
            options["num_ctx"] = min(fitted, limit) if limit else fitted
            changed = True
            log.info("raised num_ctx of %s from %d to %d", self.model, current, options["num_ctx"])
        return {**kwargs, "options": options} if changed else kwargs

    def pull(self) -> None:
        """Pull this model (used by auto_pull), logging progress."""
        log.warning("model %s is missing at %s; pulling it (auto_pull)", self.model, self.host)
        self.catalog().pull(self.model)


def _split_inline(chunk: ChatGenerationChunk, splitter: ThinkSplitter) -> ChatGenerationChunk:
    """`chunk` with inline `<think>` text moved from its content to its thinking."""
    message = chunk.message
    if not isinstance(message, AIMessageChunk) or not isinstance(message.content, str):
        return chunk
    thinking, answer = splitter.feed(message.content)
    if _is_done(chunk):
        rest_thinking, rest_answer = splitter.flush()
        thinking, answer = thinking + rest_thinking, answer + rest_answer
    if answer == message.content:
        return chunk
    extra = dict(message.additional_kwargs)
    if thinking:
        extra[THINKING_KEY] = str(extra.get(THINKING_KEY) or "") + thinking
    replaced = message.model_copy(update={"content": answer, "additional_kwargs": extra})
    return ChatGenerationChunk(message=replaced, generation_info=chunk.generation_info)


def _is_done(chunk: ChatGenerationChunk) -> bool:
    return bool(chunk.generation_info and chunk.generation_info.get("done"))


def _decision_chunk(
    parts: list[ChatGenerationChunk], tools: list[dict[str, Any]]
) -> ChatGenerationChunk:
    text = "".join(part.text for part in parts)
    decision = parse_decision(text, tools)
    done_info = next((p.generation_info for p in reversed(parts) if _is_done(p)), None)
    usage = next(
        (
            p.message.usage_metadata
            for p in parts
            if isinstance(p.message, AIMessageChunk) and p.message.usage_metadata
        ),
        None,
    )
    message = AIMessageChunk(
        content=decision.content,
        tool_calls=decision.tool_calls,
        usage_metadata=usage,
        response_metadata={**decision.response_metadata, "springlet_tool_mode": "prompted"},
    )
    return ChatGenerationChunk(message=message, generation_info=done_info)


CHAT_OLLAMA_OPTION_FIELDS = frozenset(
    {
        "mirostat",
        "mirostat_eta",
        "mirostat_tau",
        "num_ctx",
        "num_gpu",
        "num_thread",
        "num_predict",
        "repeat_last_n",
        "repeat_penalty",
        "temperature",
        "seed",
        "stop",
        "top_k",
        "top_p",
    }
)


def ollama_chat_model(
    name: str,
    host: str,
    *,
    options: ModelOptions | None = None,
    keep_alive: str | int | None = None,
    timeout_s: float | None = None,
    auto_pull: bool = False,
    think: ThinkLevel | None = None,
) -> SpringletChatOllama:
    """A chat model for Ollama model `name` at `host` (no network until it is called)."""
    values = options.as_dict() if options else {}
    fields = {k: v for k, v in values.items() if k in CHAT_OLLAMA_OPTION_FIELDS}
    extra = {k: v for k, v in values.items() if k not in CHAT_OLLAMA_OPTION_FIELDS}
    return SpringletChatOllama(
        model=name,
        base_url=host,
        keep_alive=keep_alive,
        client_kwargs={"timeout": timeout_s} if timeout_s else {},
        timeout_s=timeout_s,
        auto_pull=auto_pull,
        think=think,
        extra_options=extra,
        **fields,
    )


class SpringletOllamaEmbeddings(OllamaEmbeddings):
    """`OllamaEmbeddings` whose failures are springlet errors naming host and model."""

    timeout_s: float | None = None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with ollama_errors(self.base_url or "", self.model, self.timeout_s):
            return super().embed_documents(texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        with ollama_errors(self.base_url or "", self.model, self.timeout_s):
            return await super().aembed_documents(texts)


def ollama_embeddings(
    name: str, host: str, *, timeout_s: float | None = None
) -> SpringletOllamaEmbeddings:
    """Embeddings from Ollama model `name` at `host` (vectors come back L2-normalized)."""
    return SpringletOllamaEmbeddings(
        model=name,
        base_url=host,
        client_kwargs={"timeout": timeout_s} if timeout_s else {},
        timeout_s=timeout_s,
    )
