"""The embedded chat model: a GGUF run in-process by llama.cpp, as a LangChain chat model.

>>> model = embedded_chat_model("smollm2", ModelOptions(temperature=0))
>>> model.invoke("What is the capital of France?").content   # doctest: +SKIP
'The capital of France is Paris.'

Tool calls (`bind_tools`) and structured output (`with_structured_output`, or a bound
`response_format`) are produced by constrained decoding, so even a 135M model drives a
`create_agent` loop: see `embedded_decoding` for how the steps are split.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import ToolCallChunk, tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from springlet.errors import ModelCapabilityError
from springlet.models import embedded_decoding as decoding
from springlet.models.embedded_async import stream_in_thread
from springlet.models.embedded_prompt import (
    conversation_text,
    describe_tools,
    last_is_tool_result,
    to_turns,
)
from springlet.models.embedded_runtime import Generation, LoadedModel, load_model
from springlet.models.embedded_structured import (
    response_format_schema,
    structured_output_runnable,
    validated_json,
)
from springlet.models.gguf import locate_gguf
from springlet.models.options import ModelOptions

DEFAULT_ANSWER_TOKENS = 512


@dataclass
class _Call:
    """Everything one request asks for, gathered from the model, bound kwargs and `stop`."""

    options: ModelOptions
    stop: list[str]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: decoding.ToolChoice = "auto"
    schema: dict[str, Any] | None = None

    @property
    def tool_names(self) -> list[str]:
        return [t["name"] for t in self.tools]


@dataclass
class _Usage:
    """Token counts and timings summed over the steps (decide, arguments, answer)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_seconds: float = 0.0
    eval_seconds: float = 0.0
    finish_reason: str | None = None

    def add(self, generation: Generation) -> None:
        self.prompt_tokens += generation.prompt_tokens
        self.completion_tokens += generation.completion_tokens
        self.prompt_seconds += generation.prompt_seconds
        self.eval_seconds += generation.eval_seconds
        self.finish_reason = generation.finish_reason


class EmbeddedChatModel(BaseChatModel):
    """A GGUF model run in-process by llama.cpp (`embedded:smollm2`, `embedded:/x.gguf`).

    Instances are cheap: the loaded weights are shared per (file, context size) and
    requests to them are serialized, from threads and from asyncio alike.
    """

    model_name: str = Field(description="the reference as written, e.g. 'embedded:smollm2'")
    model_path: Path
    options: ModelOptions = Field(default_factory=ModelOptions)

    @property
    def _llm_type(self) -> str:
        return "springlet-embedded"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_path": str(self.model_path)}

    def _resolve_model_profile(self) -> ModelProfile | None:
        # constrained decoding makes both reliable, so create_agent may use the
        # response_format (provider) strategy rather than an extra output tool
        return ModelProfile(tool_calling=True, structured_output=True)

    def loaded(self) -> LoadedModel:
        """The shared llama.cpp model behind this chat model (loaded on first use)."""
        return load_model(self.model_path, self.options)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This model with `tools` offered to it; `tool_choice` is auto, any, none or a name."""
        formatted = [convert_to_openai_tool(tool)["function"] for tool in tools]
        choice = decoding.normalize_tool_choice(tool_choice)
        names = [t["name"] for t in formatted]
        if choice not in ("auto", "any", "none") and choice not in names:
            raise ValueError(f"tool_choice names {choice!r}, which is not among the tools {names}")
        return self.bind(tools=formatted, tool_choice=choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """This model answering with JSON valid against `schema` (a pydantic class, a
        TypedDict or a JSON schema dict), parsed into that type."""
        return structured_output_runnable(self, schema, include_raw=include_raw)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages, self._call_for(stop, kwargs)):
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
        call = self._call_for(stop, kwargs)
        async for chunk in stream_in_thread(lambda: self._chunks(messages, call)):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunks = [c async for c in self._astream(messages, stop, run_manager, **kwargs)]
        return generate_from_stream(iter(chunks))

    def _call_for(self, stop: list[str] | None, kwargs: dict[str, Any]) -> _Call:
        options = self.options
        if isinstance(kwargs.get("options"), ModelOptions):
            options = options.merged(kwargs["options"])
        stops = [*(options.stop or []), *(stop or [])]
        return _Call(
            options=options,
            stop=list(dict.fromkeys(stops)),
            tools=list(kwargs.get("tools") or []),
            tool_choice=decoding.normalize_tool_choice(kwargs.get("tool_choice")),
            schema=response_format_schema(kwargs.get("response_format")),
        )

    def _chunks(self, messages: list[BaseMessage], call: _Call) -> Iterator[ChatGenerationChunk]:
        """The whole request as chunks: text as it is produced, then a final chunk with
        the tool call (if any), usage and metadata."""
        started = time.perf_counter()
        model = self.loaded()
        load_seconds = model.take_load_seconds()
        usage = _Usage()
        decision, tool_calls = self._tool_calls(model, messages, call, usage)
        if tool_calls:
            pass  # the tool call goes out in the final chunk
        elif call.schema is not None:
            yield _text_chunk(self._structured(model, messages, call, usage))
        else:
            for piece in self._answer(model, messages, call, usage):
                yield _text_chunk(piece)
        metadata = {
            "model_name": self.model_name,
            "model_provider": "embedded",
            "model_path": str(self.model_path),
            "finish_reason": "tool_calls" if tool_calls else usage.finish_reason,
            "decision": decision.reason,
            "total_duration": _ns(time.perf_counter() - started),
            "load_duration": _ns(load_seconds),
            # Ollama's fields, with Ollama's meaning (nanoseconds): prompt evaluation
            # until the first token, then producing the rest
            "prompt_eval_duration": _ns(usage.prompt_seconds),
            "eval_duration": _ns(usage.eval_seconds),
            "prompt_eval_count": usage.prompt_tokens,
            "eval_count": usage.completion_tokens,
        }
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                tool_call_chunks=tool_calls,
                response_metadata=metadata,
                usage_metadata={
                    "input_tokens": usage.prompt_tokens,
                    "output_tokens": usage.completion_tokens,
                    "total_tokens": usage.prompt_tokens + usage.completion_tokens,
                },
                chunk_position="last",
            )
        )

    def _tool_calls(
        self, model: LoadedModel, messages: list[BaseMessage], call: _Call, usage: _Usage
    ) -> tuple[decoding.Decision, list[ToolCallChunk]]:
        """The decision and, when it is to call a tool, the call with its arguments."""
        decision = self._decide(model, messages, call, usage)
        if decision.tool is None:
            return decision, []
        arguments = self._arguments(model, messages, call, decision.tool, usage)
        if decision.reason == "model" and not decoding.grounded(
            arguments, conversation_text(messages)
        ):
            return decoding.Decision(None, "ungrounded arguments"), []
        chunk = tool_call_chunk(
            name=decision.tool,
            args=json.dumps(arguments, ensure_ascii=False),
            id=f"call_{uuid.uuid4().hex[:24]}",
            index=0,
        )
        return decision, [chunk]

    def _decide(
        self, model: LoadedModel, messages: list[BaseMessage], call: _Call, usage: _Usage
    ) -> decoding.Decision:
        settled = decoding.decide_by_state(
            call.tool_names, call.tool_choice, after_tool_result=last_is_tool_result(messages)
        )
        if settled is not None:
            return settled
        allow_answer = call.tool_choice == "auto"
        grammar = decoding.decision_grammar(call.tool_names, allow_answer=allow_answer)
        generation = Generation()
        for _ in model.stream(
            self._tool_prompt(model, messages, call),
            options=decoding.greedy(call.options),
            max_tokens=decoding.DECISION_TOKENS,
            stop=[],
            grammar=decoding.gbnf_grammar(grammar),
            logit_bias=decoding.call_bias(model.tokenize("call")) if allow_answer else None,
            result=generation,
        ):
            pass
        usage.add(generation)
        return decoding.parse_decision(generation.text, call.tool_names)

    def _arguments(
        self, model: LoadedModel, messages: list[BaseMessage], call: _Call, tool: str, usage: _Usage
    ) -> Any:
        spec = next(t for t in call.tools if t["name"] == tool)
        schema = decoding.arguments_schema(spec)
        prompt = self._tool_prompt(model, messages, call) + f"call {tool} "
        generation = Generation()
        for _ in model.stream(
            prompt,
            options=decoding.greedy(call.options),
            max_tokens=decoding.ARGUMENT_TOKENS,
            stop=[],
            grammar=decoding.json_grammar(schema),
            result=generation,
        ):
            pass
        usage.add(generation)
        return validated_json(generation.text, schema, what=f"arguments of {tool}")

    def _structured(
        self, model: LoadedModel, messages: list[BaseMessage], call: _Call, usage: _Usage
    ) -> str:
        assert call.schema is not None
        schema = decoding.bound_schema(call.schema)
        turns = to_turns(messages, system_extra=decoding.structured_instruction(call.schema))
        generation = Generation()
        for _ in model.stream(
            model.render_chat(turns, add_generation_prompt=True),
            options=call.options,
            max_tokens=call.options.num_predict or DEFAULT_ANSWER_TOKENS * 2,
            stop=[],
            grammar=decoding.json_grammar(schema),
            result=generation,
        ):
            pass
        usage.add(generation)
        return json.dumps(validated_json(generation.text, schema, what="the structured answer"))

    def _answer(
        self, model: LoadedModel, messages: list[BaseMessage], call: _Call, usage: _Usage
    ) -> Iterator[str]:
        prompt = model.render_chat(to_turns(messages), add_generation_prompt=True)
        generation = Generation()
        try:
            yield from model.stream(
                prompt,
                options=call.options,
                max_tokens=_answer_tokens(call.options),
                stop=[*call.stop, *model.end_of_turn_markers()],
                result=generation,
            )
        finally:
            usage.add(generation)

    def _tool_prompt(self, model: LoadedModel, messages: list[BaseMessage], call: _Call) -> str:
        turns = to_turns(messages, system_extra=describe_tools(call.tools))
        return model.render_chat(turns, add_generation_prompt=True)


def embedded_chat_model(
    name_or_path: str,
    options: ModelOptions | None = None,
    root: Path | None = None,
    *,
    models_dir: Path | None = None,
) -> EmbeddedChatModel:
    """An `EmbeddedChatModel` for `smollm2`, a model imported into `models_dir`
    (`springlet models import`), or a GGUF path (relative to `root`).

    Raises `ModelNotFoundError` when the file is missing; the weights load on first use.
    """
    path = locate_gguf(name_or_path, root, models_dir=models_dir)
    if options is not None and options.num_predict == -2:
        raise ModelCapabilityError(
            "num_predict=-2 (fill the context) is not supported by the embedded provider",
            hint="use -1 for no limit or a positive token count",
        )
    return EmbeddedChatModel(
        model_name=f"embedded:{name_or_path}", model_path=path, options=options or ModelOptions()
    )


def _answer_tokens(options: ModelOptions) -> int | None:
    if options.num_predict is None:
        return DEFAULT_ANSWER_TOKENS
    return None if options.num_predict < 0 else options.num_predict


def _text_chunk(text: str) -> ChatGenerationChunk:
    return ChatGenerationChunk(message=AIMessageChunk(content=text))


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)
