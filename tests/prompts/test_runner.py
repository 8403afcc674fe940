"""Running prompt templates: inputs validated and rendered, text or a validated object."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from springlet import PromptInputError, Workspace, load_workspace
from springlet.errors import ModelError
from springlet.testing import Reply, ScriptedChatModel, register_script, unregister_script

PROMPT = """
name: summarize
description: Summarize a text.
model: scripted:{script}
input:
  text: {{type: string}}
  max_words: {{type: integer, default: 80, minimum: 10}}
messages:
  - role: system
    content: You summarize.
  - role: user
    content: "In at most {{{{ max_words }}}} words: {{{{ text }}}}"
{output}
"""
OUTPUT = """output:
  type: object
  properties:
    summary: {type: string}
  required: [summary]
"""


@pytest.fixture
def script() -> Iterator[str]:
    name = f"pr{uuid.uuid4().hex[:8]}"
    yield name
    unregister_script(name)


def workspace(root: Path, script: str, output: str = "") -> Workspace:
    (root / "prompts").mkdir(exist_ok=True)
    (root / "prompts" / "summarize.yaml").write_text(PROMPT.format(script=script, output=output))
    ws = load_workspace(root, tracing=False)
    assert not ws.problems
    return ws


def test_run_renders_with_defaults_and_returns_text(tmp_path: Path, script: str) -> None:
    model = ScriptedChatModel(steps=[Reply("A cat sat.")])
    register_script(script, model)
    assert workspace(tmp_path, script).prompt("summarize").run(text="The cat sat.") == "A cat sat."
    [call] = model.calls
    assert [(m.type, m.content) for m in call.messages] == [
        ("system", "You summarize."),
        ("human", "In at most 80 words: The cat sat."),
    ]


async def test_structured_output_is_validated_and_retried(tmp_path: Path, script: str) -> None:
    model = ScriptedChatModel(steps=[Reply('{"gist": "x"}'), Reply('{"summary": "A cat."}')])
    register_script(script, model)
    prompt = workspace(tmp_path, script, OUTPUT).prompt("summarize")
    assert await prompt.arun(text="The cat sat.", max_words=20) == {"summary": "A cat."}
    assert "summary" in str(model.calls[1].messages[-1].content)  # the error went back


def test_structured_output_that_never_fits_is_a_model_error(tmp_path: Path, script: str) -> None:
    register_script(script, lambda messages, tools: Reply("not json"))
    prompt = workspace(tmp_path, script, OUTPUT).prompt("summarize")
    with pytest.raises(ModelError, match="does not fit the schema"):
        prompt.run(text="The cat sat.")


def test_bad_inputs_are_reported_together_before_any_model_call(
    tmp_path: Path, script: str
) -> None:
    model = ScriptedChatModel(steps=[])
    register_script(script, model)
    prompt = workspace(tmp_path, script).prompt("summarize")
    with pytest.raises(PromptInputError) as caught:
        prompt.run(max_words=5, txt="typo")
    message = str(caught.value)
    assert "did you mean 'text'" in message
    assert "missing required input 'text'" in message
    assert "at least 10" in message
    assert model.calls == []


def test_a_prompt_run_is_traced_with_its_model_call(tmp_path: Path) -> None:
    from springlet.tracing import MemorySink

    register_script("prompt-traced", [Reply("A short summary.")])
    try:
        (tmp_path / "prompts").mkdir()
        (tmp_path / "prompts" / "sum.yaml").write_text(
            "name: sum\ndescription: Sums up.\nmodel: scripted:prompt-traced\n"
            "input:\n  text: {type: string}\n"
            "messages:\n  - role: user\n    content: 'Sum up: {{ text }}'\n"
        )
        sink = MemorySink()
        ws = load_workspace(tmp_path, tracing=sink)
        assert ws.prompt("sum").run(text="a long story") == "A short summary."
        assert ws.tracer().flush()
        spans = sink.spans()
        [root] = [s for s in spans if s.parent_id is None]
        assert root.attributes["gen_ai.agent.name"] == "prompt:sum"
        assert root.attributes["gen_ai.request.model"] == "scripted:prompt-traced"
        assert root.attributes["springlet.run.output"] == "A short summary."
        assert any(s.parent_id == root.span_id for s in spans)  # the model call, below it
        ws.close()
    finally:
        unregister_script("prompt-traced")
