"""Tool calls and structured output from a small model through constrained decoding.

A 135M model asked for one JSON object `{action, tool, arguments, answer}` picks the
wrong action half the time and runs free-text fields into junk. So the work is split
into steps, each constrained by a llama.cpp grammar and each as small as possible:

1. decide: the model may only write `call <one of the tool names>` or `answer`. The
   conversation state decides first where it can: right after a tool result the
   answer is due (the agent loop would otherwise call the same tool forever), and a
   forced `tool_choice` leaves only tool names to choose from.
2. arguments: the chosen tool's JSON schema with every string and array bounded, so
   the arguments are valid JSON of the right shape and cannot run on.
3. answer: free text, bounded by `num_predict`, without the tool menu in the prompt.

Decisions and arguments are decoded greedily whatever the sampling options say: a
coin flip between calling and answering helps nobody.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from springlet.models.options import ModelOptions

MAX_STRING_LENGTH = 200
MAX_ARRAY_ITEMS = 16
DECISION_TOKENS = 24
ARGUMENT_TOKENS = 384
# Added to the logit of the first token of `call` when the model may also answer. The
# model leans towards answering (it misses plain requests like "Where is my order
# A-1001?"); wrong calls this lets through are mostly caught by `grounded`. Chosen on
# the 16 cases of bench/tool_decisions.yaml (1, 2: 13/16; 3: 15/16; 4: 13/16).
CALL_BIAS = 3.0

ToolChoice = Literal["auto", "any", "none"] | str


@dataclass(frozen=True)
class Decision:
    """What the model will do next: call `tool`, or answer in text (`tool is None`)."""

    tool: str | None
    reason: str  # "tool result", "forced", "model", "no tools"

    @property
    def is_call(self) -> bool:
        return self.tool is not None


def normalize_tool_choice(tool_choice: Any) -> ToolChoice:
    """LangChain / OpenAI spellings of tool_choice as `auto`, `any`, `none` or a name."""
    if tool_choice is None or tool_choice is False or tool_choice == "auto":
        return "auto"
    if tool_choice is True or tool_choice in ("any", "required"):
        return "any"
    if tool_choice == "none":
        return "none"
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function") or {}
        name = function.get("name") or tool_choice.get("name")
        return str(name) if name else "any"
    return str(tool_choice)


def decide_by_state(
    tool_names: Sequence[str], tool_choice: ToolChoice, *, after_tool_result: bool
) -> Decision | None:
    """The decision the conversation state settles without asking the model, if any."""
    if not tool_names or tool_choice == "none":
        return Decision(None, "no tools")
    if tool_choice not in ("auto", "any"):
        return Decision(tool_choice, "forced")
    if tool_choice == "any" and len(tool_names) == 1:
        return Decision(tool_names[0], "forced")
    if tool_choice == "auto" and after_tool_result:
        return Decision(None, "tool result")
    return None


def decision_grammar(tool_names: Sequence[str], *, allow_answer: bool) -> str:
    """GBNF allowing only `call <tool name>` (and `answer` when allowed)."""
    names = " | ".join(gbnf_literal(name) for name in tool_names)
    call = f'"call " ({names})'
    return f'root ::= {call} | "answer"\n' if allow_answer else f"root ::= {call}\n"


def call_bias(call_tokens: Sequence[int]) -> dict[int, float]:
    """Logit bias that leans the decision towards calling (see CALL_BIAS)."""
    return {call_tokens[0]: CALL_BIAS} if call_tokens and CALL_BIAS else {}


def parse_decision(text: str, tool_names: Sequence[str]) -> Decision:
    """The `Decision` a grammar-constrained decision text stands for."""
    text = text.strip()
    if text.startswith("call "):
        name = text.removeprefix("call ").strip()
        if name in tool_names:
            return Decision(name, "model")
    return Decision(None, "model")


def gbnf_literal(text: str) -> str:
    # a GBNF literal is escaped like a JSON string
    return json.dumps(text, ensure_ascii=False)


def bound_schema(
    schema: dict[str, Any],
    *,
    max_string: int = MAX_STRING_LENGTH,
    max_items: int = MAX_ARRAY_ITEMS,
) -> dict[str, Any]:
    """A copy of `schema` where every string has a maxLength, every array a maxItems, and
    objects with listed properties admit no others: nothing the model writes can run on."""
    bounded = copy.deepcopy(schema)
    _bound_in_place(bounded, max_string, max_items)
    return bounded


def _bound_in_place(node: Any, max_string: int, max_items: int) -> None:
    if isinstance(node, list):
        for item in node:
            _bound_in_place(item, max_string, max_items)
        return
    if not isinstance(node, dict):
        return
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    is_free_string = "enum" not in node and "const" not in node and "pattern" not in node
    if "string" in kinds and is_free_string and "format" not in node:
        node["maxLength"] = min(int(node.get("maxLength", max_string)), max_string)
    if "array" in kinds:
        node["maxItems"] = min(int(node.get("maxItems", max_items)), max_items)
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions"):
            for child in value.values():
                _bound_in_place(child, max_string, max_items)
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "prefixItems"):
            _bound_in_place(value, max_string, max_items)


def arguments_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """The bounded JSON schema of a tool's arguments (an OpenAI-style function dict)."""
    parameters = tool.get("parameters") or {"type": "object", "properties": {}}
    schema = {k: v for k, v in parameters.items() if k not in ("title", "description")}
    schema.setdefault("type", "object")
    return bound_schema(schema)


def json_grammar(schema: dict[str, Any]) -> Any:
    """A compiled llama.cpp grammar producing JSON valid against `schema`."""
    return _compiled_json_grammar(json.dumps(schema, sort_keys=True))


def gbnf_grammar(text: str) -> Any:
    return _compiled_gbnf(text)


@lru_cache(maxsize=64)
def _compiled_json_grammar(schema_json: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


@lru_cache(maxsize=64)
def _compiled_gbnf(text: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


def greedy(options: ModelOptions) -> ModelOptions:
    """`options` with sampling made deterministic (for decisions and arguments)."""
    return options.merged(ModelOptions(temperature=0.0))


def structured_instruction(schema: dict[str, Any]) -> str:
    return "Reply with only a JSON object that matches this JSON schema:\n" + json.dumps(
        schema, ensure_ascii=False
    )


def grounded(arguments: Any, conversation: str) -> bool:
    """True when some string argument (if there are any) appears in the conversation.

    A small model that wrongly decided to call a tool fills its arguments with words
    it invents (`order_id: "Paris"` for "What is the capital of France?"); a right call
    copies them from what the user wrote. A call with no argument taken from the
    conversation is therefore treated as a wrong decision.
    """
    values = [v.strip().lower() for v in _string_leaves(arguments) if len(v.strip()) >= 2]
    if not values:
        return True
    text = conversation.lower()
    return any(value in text for value in values)


def _string_leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _string_leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _string_leaves(item)]
    return []
