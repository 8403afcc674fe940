"""Decision accuracy and argument validity of the embedded model's tool calls.

Runs every labelled case in bench/tool_decisions.yaml twice on embedded:smollm2:
  springlet  - EmbeddedChatModel.bind_tools (decide, then fill bounded arguments)
  naive      - one grammar-constrained JSON object {action, tool, arguments, answer},
               the single-schema approach measured in issue 2, as the baseline
and prints, per approach, how often the call-or-answer decision (and the tool) was
right, and how often the arguments of right calls were valid and carried the expected
values.

    .venv/bin/python bench/tool_decisions.py [-v]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from ruamel.yaml import YAML

from springlet.models import embedded_decoding as decoding
from springlet.models.embedded import EmbeddedChatModel, embedded_chat_model
from springlet.models.embedded_prompt import to_turns
from springlet.models.embedded_runtime import Generation
from springlet.models.options import ModelOptions

CASES = Path(__file__).with_name("tool_decisions.yaml")


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of a customer's order by its order id."""
    return "unknown"


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return "unknown"


TOOLS = [get_order_status, get_weather]


@dataclass(frozen=True)
class Outcome:
    tool: str | None
    args: dict[str, Any] | None


@dataclass
class Score:
    decisions_right: int = 0
    cases: int = 0
    calls_right: int = 0
    args_valid: int = 0
    args_exact: int = 0
    seconds: float = 0.0

    def line(self, name: str) -> str:
        return (
            f"{name:<10} decision {self.decisions_right}/{self.cases} "
            f"({100 * self.decisions_right / self.cases:.0f} %)   arguments valid "
            f"{self.args_valid}/{self.calls_right}, expected values "
            f"{self.args_exact}/{self.calls_right}   {self.seconds / self.cases:.2f} s/case"
        )


def conversation(system: str, turns: list[dict[str, Any]]) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage(system)]
    for index, turn in enumerate(turns):
        if "user" in turn:
            messages.append(HumanMessage(turn["user"]))
        elif "assistant" in turn:
            messages.append(AIMessage(turn["assistant"]))
        elif "call" in turn:
            call = {**turn["call"], "id": f"call_{index}"}
            messages.append(AIMessage("", tool_calls=[call]))
        elif "tool" in turn:
            result = turn["tool"]
            messages.append(
                ToolMessage(
                    result["content"], name=result["name"], tool_call_id=f"call_{index - 1}"
                )
            )
    return messages


def springlet_outcome(model: EmbeddedChatModel, messages: list[BaseMessage]) -> Outcome:
    reply = model.bind_tools(TOOLS).invoke(messages)
    assert isinstance(reply, AIMessage)
    if reply.tool_calls:
        return Outcome(reply.tool_calls[0]["name"], reply.tool_calls[0]["args"])
    return Outcome(None, None)


def naive_outcome(model: EmbeddedChatModel, messages: list[BaseMessage]) -> Outcome:
    """One JSON object decides and fills everything, with unbounded free-text fields."""
    tools = [convert_to_openai_tool(t)["function"] for t in TOOLS]
    schema = {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["call_tool", "answer"]},
            "tool": {"type": "string", "enum": [t["name"] for t in tools]},
            "arguments": {"type": "object", "additionalProperties": {"type": "string"}},
            "answer": {"type": "string"},
        },
        "required": ["action", "tool", "arguments", "answer"],
    }
    menu = "\n".join(f"- {t['name']}: {t['description']}" for t in tools)
    instruction = (
        f"Tools:\n{menu}\nReply with JSON: action is call_tool to use a tool (then give tool "
        "and arguments) or answer to reply directly (then give answer)."
    )
    loaded = model.loaded()
    prompt = loaded.render_chat(
        to_turns(messages, system_extra=instruction), add_generation_prompt=True
    )
    generation = Generation()
    for _ in loaded.stream(
        prompt,
        options=ModelOptions(temperature=0),
        max_tokens=256,
        stop=[],
        grammar=decoding.json_grammar(schema),
        result=generation,
    ):
        pass
    try:
        value = json.loads(generation.text)
    except json.JSONDecodeError:
        return Outcome("<invalid json>", None)
    if value.get("action") == "call_tool":
        return Outcome(value.get("tool"), value.get("arguments"))
    return Outcome(None, None)


def score(
    name: str, decide: Callable[[list[BaseMessage]], Outcome], data: dict[str, Any], verbose: bool
) -> Score:
    result = Score()
    schemas = {t.name: t.args_schema.model_json_schema() for t in TOOLS}  # type: ignore[union-attr]
    for case in data["cases"]:
        messages = conversation(data["system"], case["turns"])
        started = time.perf_counter()
        outcome = decide(messages)
        result.seconds += time.perf_counter() - started
        expect = case["expect"]
        wanted_tool = None if expect == "answer" else expect["call"]
        right = outcome.tool == wanted_tool
        result.cases += 1
        result.decisions_right += right
        if right and wanted_tool is not None:
            result.calls_right += 1
            valid = _valid(outcome.args, schemas[wanted_tool])
            exact = valid and all(
                str((outcome.args or {}).get(k, "")).strip() == str(v)
                for k, v in expect["args"].items()
            )
            result.args_valid += valid
            result.args_exact += exact
        if verbose:
            mark = "ok " if right else "BAD"
            print(f"  {name:<10} {mark} {case['id']:<24} -> {outcome.tool} {outcome.args}")
    return result


def _valid(args: dict[str, Any] | None, schema: dict[str, Any]) -> bool:
    from jsonschema import Draft202012Validator

    return args is not None and Draft202012Validator(schema).is_valid(args)


def main() -> None:
    verbose = "-v" in sys.argv
    data = YAML(typ="safe").load(CASES.read_text(encoding="utf-8"))
    # answers are cut short: only the decision and the arguments are scored
    model = embedded_chat_model("smollm2", ModelOptions(temperature=0, seed=0, num_predict=24))
    model.loaded()
    ours = score("springlet", lambda m: springlet_outcome(model, m), data, verbose)
    naive = score("naive", lambda m: naive_outcome(model, m), data, verbose)
    print(f"embedded:smollm2, {ours.cases} labelled cases ({CASES.name})")
    print(ours.line("springlet"))
    print(naive.line("naive"))


if __name__ == "__main__":
    main()
