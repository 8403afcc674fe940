"""Structured answers (with a retry after an invalid one), prompts and agents as tools."""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import BaseModel

from springlet import Workspace
from springlet.testing import Reply, ToolCall

MakeWorkspace = Callable[..., Workspace]

ANSWER_SCHEMA = """
output:
  type: object
  properties:
    status: {type: string}
    eta_days: {type: integer}
  required: [status, eta_days]
"""


def test_structured_output_is_retried_after_an_invalid_answer(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [
            Reply('{"status": "shipped", "eta_days": "soon"}'),
            Reply('{"status": "shipped", "eta_days": 3}'),
        ],
        ANSWER_SCHEMA,
    )
    result = ws.agent("a").run("Where is A-1001?")
    assert result.status == "ok", result.error
    assert result.output == {"status": "shipped", "eta_days": 3}


def test_structured_output_valid_first_time(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace([Reply(json.dumps({"status": "lost", "eta_days": 0}))], ANSWER_SCHEMA)
    result = ws.agent("a").run("Where is A-1001?")
    assert result.output == {"status": "lost", "eta_days": 0}


def test_prompt_as_tool_runs_the_prompt_with_the_model_arguments(
    make_workspace: MakeWorkspace,
) -> None:
    def respond(messages: list[object], tools: list[dict[str, object]]) -> object:
        last = messages[-1]
        if getattr(last, "type", "") == "tool":
            return Reply(f"Summary: {last.content}")  # type: ignore[attr-defined]
        if tools:  # the agent's model
            return ToolCall("shorten", {"text": "a long text", "words": 3})
        return Reply(f"[{last.content}]")  # type: ignore[attr-defined]  # the prompt's model

    ws = make_workspace(
        respond,
        "tools:\n  - prompt: shorten\n",
        {
            "prompts/shorten.yaml": """
            name: shorten
            description: Shortens a text.
            model: scripted:SCRIPT
            input:
              text: {type: string}
              words: {type: integer, default: 10}
            messages:
              - role: user
                content: "Shorten to {{ words }} words: {{ text }}"
            """
        },
    )
    result = ws.agent("a").run("shorten it")
    assert result.text == "Summary: [Shorten to 3 words: a long text]"
    [call] = result.tool_calls
    assert (call.name, call.arguments, call.ok) == (
        "shorten",
        {"text": "a long text", "words": 3},
        True,
    )


def test_agent_as_tool_runs_the_sub_agent_in_its_own_run(make_workspace: MakeWorkspace) -> None:
    def respond(messages: list[object], tools: list[dict[str, object]]) -> object:
        last = messages[-1]
        system = str(getattr(messages[0], "content", ""))
        if "Translate" in system:
            return Reply(f"ZH({last.content})")  # type: ignore[attr-defined]
        if getattr(last, "type", "") == "tool":
            return Reply(f"Here: {last.content}")  # type: ignore[attr-defined]
        return ToolCall("translator", {"message": "hello"})

    ws = make_workspace(
        respond,
        "tools:\n  - agent: translator\n",
        {
            "agents/translator.yaml": """
            name: translator
            description: Translates text.
            model: scripted:SCRIPT
            instructions: Translate the user's text.
            """
        },
    )
    result = ws.agent("a").run("say hello in Chinese")
    assert result.status == "ok", result.error
    assert result.text == "Here: ZH(hello)"
    assert [c.name for c in result.tool_calls] == ["translator"]
    # the sub-agent's own messages stay in its own run
    assert [m["role"] for m in result.messages] == ["human", "ai", "tool", "ai"]


class OrderAnswer(BaseModel):
    status: str
    eta_days: int


def test_a_pydantic_model_from_python_gives_typed_answers(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [Reply('{"status": "shipped"}'), Reply('{"status": "shipped", "eta_days": 2}')]
    )
    typed = ws.agent("a").with_output(OrderAnswer)
    assert typed is ws.agent("a").with_output(OrderAnswer)  # built once
    result = typed.run("Where is A-1001?")
    assert result.output == OrderAnswer(status="shipped", eta_days=2)
    assert result.to_json()["output"] == {"status": "shipped", "eta_days": 2}
    assert ws.loaded.agents["a"].output is None  # the loaded spec is untouched
