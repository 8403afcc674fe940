"""The embedded llama.cpp chat model: decoding logic (fast) and the real SmolLM2 (slow).

The slow tests share one `EmbeddedChatModel` (the weights load once per process).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from springlet.errors import ContextOverflowError, ModelNotFoundError
from springlet.models import embedded_decoding as decoding
from springlet.models import embedded_runtime
from springlet.models.embedded import EmbeddedChatModel, embedded_chat_model
from springlet.models.embedded_async import stream_in_thread
from springlet.models.embedded_prompt import describe_tools, to_turns
from springlet.models.embedded_runtime import load_kwargs, sampling_kwargs
from springlet.models.embedded_structured import (
    StructuredOutputError,
    response_format_schema,
    validated_json,
)
from springlet.models.options import ModelOptions

SYSTEM = "You are a helpful assistant."
ORDER_TOOL = {
    "name": "get_order_status",
    "description": "Look up the shipping status of an order by its id.\nMore details.",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    },
}


# ---- decoding logic, no model -------------------------------------------------------


def test_bound_schema_bounds_every_free_string_and_array() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "short": {"type": "string", "maxLength": 5},
            "long": {"type": "string", "maxLength": 10_000},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "nested": {"$ref": "#/$defs/Inner"},
        },
        "$defs": {"Inner": {"type": "object", "properties": {"note": {"type": "string"}}}},
    }
    bounded = decoding.bound_schema(schema, max_string=50, max_items=4)
    props = bounded["properties"]
    assert props["name"]["maxLength"] == 50
    assert props["short"]["maxLength"] == 5
    assert props["long"]["maxLength"] == 50
    assert "maxLength" not in props["kind"]
    assert props["tags"]["maxItems"] == 4 and props["tags"]["items"]["maxLength"] == 50
    assert props["maybe"]["anyOf"][0]["maxLength"] == 50
    assert bounded["$defs"]["Inner"]["properties"]["note"]["maxLength"] == 50
    assert bounded["additionalProperties"] is False
    assert bounded["$defs"]["Inner"]["additionalProperties"] is False
    assert "maxLength" not in schema["properties"]["name"]  # the input is not changed


def test_arguments_schema_drops_title_and_bounds_strings() -> None:
    schema = decoding.arguments_schema({**ORDER_TOOL, "parameters": {**ORDER_TOOL["parameters"]}})
    assert schema["properties"]["order_id"]["maxLength"] == decoding.MAX_STRING_LENGTH
    assert schema["required"] == ["order_id"]


def test_decision_grammar_offers_only_tool_names_and_answer() -> None:
    both = decoding.decision_grammar(["get_order_status", 'we"ird'], allow_answer=True)
    assert both == 'root ::= "call " ("get_order_status" | "we\\"ird") | "answer"\n'
    forced = decoding.decision_grammar(["a", "b"], allow_answer=False)
    assert "answer" not in forced
    decoding.gbnf_grammar(both)  # llama.cpp accepts it


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, "auto"),
        ("auto", "auto"),
        ("required", "any"),
        ("any", "any"),
        (True, "any"),
        ("none", "none"),
        ("get_order_status", "get_order_status"),
        ({"type": "function", "function": {"name": "f"}}, "f"),
    ],
)
def test_tool_choice_spellings(choice: Any, expected: str) -> None:
    assert decoding.normalize_tool_choice(choice) == expected


def test_conversation_state_settles_what_it_can() -> None:
    names = ["get_order_status", "get_weather"]
    assert decoding.decide_by_state(names, "auto", after_tool_result=True) == decoding.Decision(
        None, "tool result"
    )
    assert decoding.decide_by_state(names, "auto", after_tool_result=False) is None
    assert decoding.decide_by_state(names, "any", after_tool_result=True) is None
    forced = decoding.decide_by_state(names, "get_weather", after_tool_result=True)
    assert forced == decoding.Decision("get_weather", "forced")
    only = decoding.decide_by_state(["get_weather"], "any", after_tool_result=False)
    assert only == decoding.Decision("get_weather", "forced")
    assert decoding.decide_by_state([], "auto", after_tool_result=False) == decoding.Decision(
        None, "no tools"
    )
    assert decoding.decide_by_state(names, "none", after_tool_result=False).tool is None  # type: ignore[union-attr]


def test_parse_decision() -> None:
    names = ["get_order_status"]
    assert decoding.parse_decision("call get_order_status", names).tool == "get_order_status"
    assert decoding.parse_decision("answer", names).tool is None
    assert decoding.parse_decision("call unknown", names).tool is None


def test_grounded_arguments_come_from_the_conversation() -> None:
    said = "Where is my order A-1001?"
    assert decoding.grounded({"order_id": "a-1001"}, said)
    assert not decoding.grounded({"order_id": "Paris"}, said)
    assert decoding.grounded({"count": 3}, said)  # nothing to check
    assert decoding.grounded({"ids": ["X-1", "A-1001"]}, said)


def test_turns_merge_systems_and_describe_tool_traffic() -> None:
    call = {"name": "get_order_status", "args": {"order_id": "A-1"}, "id": "c1"}
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("Where is A-1?"),
        AIMessage("", tool_calls=[call]),
        ToolMessage("shipped", name="get_order_status", tool_call_id="c1"),
        AIMessage("It shipped."),
        HumanMessage("Thanks"),
        SystemMessage("Answer in English."),
    ]
    turns = to_turns(messages, system_extra="TOOLS")
    assert turns == [
        {"role": "system", "content": "Be brief.\n\nAnswer in English.\n\nTOOLS"},
        {"role": "user", "content": "Where is A-1?"},
        {"role": "assistant", "content": "Let me look that up with get_order_status."},
        {"role": "user", "content": "The tool get_order_status returned: shipped"},
        {"role": "assistant", "content": "It shipped."},
        {"role": "user", "content": "Thanks"},
    ]


def test_tool_menu_lists_signatures_and_first_description_line() -> None:
    menu = describe_tools([ORDER_TOOL])
    assert "- get_order_status(order_id: string): Look up the shipping status" in menu
    assert "More details" not in menu
    assert "call <tool name>" in menu and "answer" in menu


def test_response_format_spellings() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    openai = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    assert response_format_schema(openai) == schema
    assert response_format_schema({"type": "json_schema", "schema": schema}) == schema
    assert response_format_schema(schema) == schema
    assert response_format_schema({"type": "json_object"}) == {"type": "object"}
    assert response_format_schema(None) is None


def test_validated_json_reports_truncation_and_mismatch() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert validated_json('{"a": 1}', schema, what="x") == {"a": 1}
    with pytest.raises(StructuredOutputError, match="incomplete"):
        validated_json('{"a": ', schema, what="x")
    with pytest.raises(StructuredOutputError, match="does not match the schema"):
        validated_json('{"b": 1}', schema, what="x")


def test_options_map_onto_llama_cpp() -> None:
    options = ModelOptions(
        temperature=0.1, top_k=5, min_p=0.2, seed=3, repeat_penalty=1.2, mirostat=2,
        num_ctx=1024, num_thread=3, num_batch=64, num_predict=9, stop=["x"],
    )  # fmt: skip
    assert sampling_kwargs(options) == {
        "temperature": 0.1,
        "top_k": 5,
        "min_p": 0.2,
        "seed": 3,
        "repeat_penalty": 1.2,
        "mirostat_mode": 2,
    }
    loaded = load_kwargs(options)
    assert (loaded["n_ctx"], loaded["n_threads"], loaded["n_batch"]) == (1024, 3, 64)


def test_unset_options_take_ollamas_defaults_where_llama_cpp_differs() -> None:
    # llama-cpp-python's repeat penalty is 1.0: small models then loop until num_predict
    assert sampling_kwargs(ModelOptions(temperature=0)) == {
        "temperature": 0,
        "repeat_penalty": 1.1,
    }


async def test_stream_in_thread_yields_in_order_and_propagates_errors() -> None:
    def numbers() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("boom")

    seen: list[int] = []
    with pytest.raises(ValueError, match="boom"):
        async for item in stream_in_thread(numbers):
            seen.append(item)
    assert seen == [1, 2]


async def test_stream_in_thread_closes_the_generator_when_the_consumer_stops() -> None:
    closed = asyncio.Event()
    loop = asyncio.get_running_loop()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            loop.call_soon_threadsafe(closed.set)

    async for item in stream_in_thread(endless):
        if item == 3:
            break
    await asyncio.wait_for(closed.wait(), 5)  # raises TimeoutError if it never closes
    assert closed.is_set()


def test_missing_model_file_is_reported_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"absent\.gguf"):
        embedded_chat_model("absent.gguf", root=tmp_path)


def test_forcing_an_unknown_tool_is_refused_at_bind_time() -> None:
    model = embedded_chat_model("smollm2")
    with pytest.raises(ValueError, match="not among the tools"):
        model.bind_tools([ORDER_TOOL], tool_choice="get_weather")


# ---- the real model (slow) ----------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2() -> EmbeddedChatModel:
    model = embedded_chat_model("smollm2", ModelOptions(temperature=0, seed=42, num_predict=48))
    model.loaded()
    return model


def ask(question: str) -> list[Any]:
    return [SystemMessage(SYSTEM), HumanMessage(question)]


# What these tests assert is what springlet makes the model guarantee (an answer that ends,
# counted tokens, stream == invoke, grammar-valid tool calls and objects), never the words
# of a greedy answer: a 135M model's greedy path changes with the CPU's floating-point
# kernels (AVX2 vs AVX-512), so "Paris" on one machine is French nonsense on another.


@pytest.mark.slow
def test_answers_a_question(smollm2: EmbeddedChatModel) -> None:
    reply = smollm2.invoke(ask("What is the capital of France?"))
    assert reply.text.strip() and not reply.tool_calls
    usage = reply.usage_metadata
    assert usage is not None and usage["input_tokens"] > 10 and usage["output_tokens"] > 2
    meta = reply.response_metadata
    assert meta["model_name"] == "embedded:smollm2" and meta["finish_reason"] == "stop"
    assert meta["total_duration"] >= meta["prompt_eval_duration"] + meta["eval_duration"]
    assert meta["prompt_eval_duration"] > 0 and meta["eval_duration"] > 0


@pytest.mark.slow
def test_stream_matches_invoke(smollm2: EmbeddedChatModel) -> None:
    question = ask("Name three colours.")
    pieces = [chunk.text for chunk in smollm2.stream(question)]
    assert len([p for p in pieces if p]) >= 3
    assert "".join(pieces) == smollm2.invoke(question).text


@pytest.mark.slow
def test_stop_sequence_stops(smollm2: EmbeddedChatModel) -> None:
    question = ask("Count from 1 to 10, separated by commas.")
    full = smollm2.invoke(question).text
    words = full.split()
    assert len(words) >= 3  # otherwise the stop below proves nothing
    # a stop sequence taken from this machine's own answer, whatever its words are
    stop = words[len(words) // 2]
    stopped = smollm2.invoke(question, stop=[stop]).text
    assert stop not in stopped and full.startswith(stopped.rstrip())
    assert len(stopped) < len(full)


@pytest.mark.slow
def test_agent_calls_the_tool_and_answers_from_its_result(smollm2: EmbeddedChatModel) -> None:
    from langchain.agents import create_agent

    calls: list[str] = []

    @tool
    def get_order_status(order_id: str) -> str:
        """Look up the shipping status of an order by its id."""
        calls.append(order_id)
        return f"Order {order_id} shipped on May 3 and arrives on May 6."

    agent = create_agent(smollm2, [get_order_status], system_prompt=SYSTEM)
    result = agent.invoke({"messages": [HumanMessage("Where is my order A-1001?")]})
    messages = result["messages"]
    assert calls == ["A-1001"]
    call = messages[1].tool_calls[0]
    assert call["name"] == "get_order_status" and call["id"].startswith("call_")
    assert isinstance(messages[2], ToolMessage) and messages[2].tool_call_id == call["id"]
    assert "May 6" in messages[2].text  # the result the answer is written from
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls and final.text.strip()


@pytest.mark.slow
def test_structured_output_is_valid_against_the_schema(smollm2: EmbeddedChatModel) -> None:
    class City(BaseModel):
        name: str = Field(description="the city")
        country: str
        population_millions: float

    city = smollm2.with_structured_output(City).invoke(ask("Describe Paris as JSON."))
    assert isinstance(city, City) and city.name and city.country
    colours = {"type": "array", "items": {"type": "string"}}
    schema = {"type": "object", "properties": {"colours": colours}, "required": ["colours"]}
    raw = smollm2.bind(response_format=schema).invoke(ask("List two colours."))
    assert Draft202012Validator(schema).is_valid(json.loads(raw.text))


@pytest.mark.slow
def test_concurrent_calls_from_threads_all_succeed(smollm2: EmbeddedChatModel) -> None:
    questions = ["What is the capital of France?", "Name a fruit.", "Say hello.", "What is 2+2?"]
    with ThreadPoolExecutor(4) as pool:
        replies = list(
            pool.map(
                lambda q: smollm2.invoke(ask(q), options=ModelOptions(num_predict=16)), questions
            )
        )
    assert all(reply.text.strip() for reply in replies)
    assert all(reply.response_metadata["finish_reason"] in ("stop", "length") for reply in replies)
    assert all(reply.usage_metadata and reply.usage_metadata["output_tokens"] for reply in replies)


@pytest.mark.slow
def test_prompt_longer_than_the_context_is_reported() -> None:
    tiny = embedded_chat_model("smollm2", ModelOptions(num_ctx=64))
    with pytest.raises(ContextOverflowError, match="context of 64 tokens") as caught:
        tiny.invoke("word " * 200)
    assert "num_ctx" in (caught.value.hint or "")


@pytest.mark.slow
async def test_async_stream_and_invoke(smollm2: EmbeddedChatModel) -> None:
    question = ask("What is the capital of France?")
    pieces = [chunk.text async for chunk in smollm2.astream(question)]
    reply = await smollm2.ainvoke(question)
    assert reply.text.strip() and "".join(pieces) == reply.text


@pytest.mark.slow
def test_amx_cpus_load_without_weight_repacking(monkeypatch: pytest.MonkeyPatch) -> None:
    # llama.cpp's AMX matmul segfaults on some AMX machines (llama.cpp#20824): on those,
    # springlet loads with extra buffer types off, and leaves llama_cpp's defaults alone
    import llama_cpp.llama_cpp as bindings

    from springlet.models import embedded_runtime

    path = embedded_chat_model("smollm2", ModelOptions()).model_path
    defaults = bindings.llama_model_default_params
    kwargs = {"n_ctx": 256, "n_threads": 1, "verbose": False}
    monkeypatch.setattr(embedded_runtime, "amx_available", lambda: True)
    guarded = embedded_runtime.new_llama(path, kwargs)
    monkeypatch.setattr(embedded_runtime, "amx_available", lambda: False)
    plain = embedded_runtime.new_llama(path, kwargs)
    assert guarded.model_params.use_extra_bufts is False
    assert plain.model_params.use_extra_bufts is True
    assert bindings.llama_model_default_params is defaults
    answer = guarded.create_completion("The capital of France is", max_tokens=4, temperature=0)
    assert answer["choices"][0]["text"].strip()


@pytest.mark.parametrize(("exported", "expected"), [(None, "10000"), ("500", "500")])
def test_openmp_spin_wait_is_shortened_before_llama_cpp_loads(
    exported: str | None, expected: str
) -> None:
    # libgomp reads GOMP_SPINCOUNT once, when llama.cpp's library loads: a fresh process
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    if exported is not None:
        env["GOMP_SPINCOUNT"] = exported
    code = (
        "import os, sys\n"
        "from springlet.models.embedded_runtime import llama_cpp_library\n"
        "assert 'llama_cpp' not in sys.modules\n"
        "llama_cpp_library()\n"
        "print(os.environ['GOMP_SPINCOUNT'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_generation_leaves_a_core_free_and_prompts_use_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedded_runtime.os, "cpu_count", lambda: 4)
    loaded = embedded_runtime.load_kwargs(ModelOptions())
    assert (loaded["n_threads"], loaded["n_threads_batch"]) == (3, 4)
    monkeypatch.setattr(embedded_runtime.os, "cpu_count", lambda: 1)
    loaded = embedded_runtime.load_kwargs(ModelOptions())
    assert (loaded["n_threads"], loaded["n_threads_batch"]) == (1, 1)
