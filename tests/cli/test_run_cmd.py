"""`springlet run`, `chat` and `prompt` on scripted models, as a user runs them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from springlet.cli import main
from springlet.testing import Reply, ToolCall, register_script, unregister_script

TOOLS = '''
from springlet import tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"Order {order_id} is shipped."


@tool(requires_approval=True)
def refund_order(order_id: str) -> str:
    """Refund an order."""
    return f"Refunded {order_id}."
'''


@pytest.fixture
def script() -> Iterator[str]:
    name = f"cli{uuid.uuid4().hex[:8]}"
    yield name
    unregister_script(name)


@pytest.fixture
def workspace(tmp_path: Path, script: str) -> Path:
    (tmp_path / "agents").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "prompts").mkdir()
    (tmp_path / "tools" / "shop.py").write_text(TOOLS)
    (tmp_path / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: Test agent.\nmodel: scripted:{script}\n"
        "instructions: You help.\ntools: [get_order_status, refund_order]\n"
        "advisors:\n  - memory: {}\n"
    )
    (tmp_path / "prompts" / "greet.yaml").write_text(
        f"name: greet\ndescription: Greets.\nmodel: scripted:{script}\n"
        "input:\n  who: {type: string}\n  times: {type: integer, default: 1}\n"
        "messages:\n  - role: user\n    content: Greet {{ who }} {{ times }} times.\n"
    )
    return tmp_path


def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_run_streams_the_answer_and_shows_tool_calls_on_stderr(
    workspace: Path, script: str
) -> None:
    register_script(
        script, [ToolCall("get_order_status", {"order_id": "A-1"}), Reply("It has shipped.")]
    )
    code, out, err = cli("run", "-w", str(workspace), "a", "Where is A-1?")
    assert code == 0
    assert out == "It has shipped.\n"
    assert "-> get_order_status(order_id='A-1')" in err
    assert "<- get_order_status: Order A-1 is shipped." in err


def test_run_json_prints_the_run_result(workspace: Path, script: str) -> None:
    register_script(
        script, [ToolCall("get_order_status", {"order_id": "A-1"}), Reply("It has shipped.")]
    )
    code, out, _ = cli("run", "-w", str(workspace), "a", "Where is A-1?", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["text"] == "It has shipped."
    assert data["status"] == "ok"
    assert data["model"] == f"scripted:{script}"
    assert [c["name"] for c in data["tool_calls"]] == ["get_order_status"]


def test_run_session_continues_the_conversation(workspace: Path, script: str) -> None:
    def respond(messages: list[object], tools: object) -> Reply:
        said = [m.content for m in messages if getattr(m, "type", "") == "human"]  # type: ignore[attr-defined]
        return Reply(" | ".join(str(s) for s in said))

    register_script(script, respond)
    assert cli("run", "-w", str(workspace), "a", "first", "--session", "s1")[0] == 0
    code, out, _ = cli("run", "-w", str(workspace), "a", "second", "--session", "s1")
    assert code == 0
    assert out.strip() == "first | second"


@pytest.mark.parametrize(
    ("answer", "expected"), [("y\n", "Refunded A-1."), ("n\n", "did not approve")]
)
def test_run_asks_before_a_tool_that_needs_approval(
    workspace: Path, script: str, answer: str, expected: str
) -> None:
    register_script(script, [ToolCall("refund_order", {"order_id": "A-1"}), Reply("done")])
    code, out, err = cli("run", "-w", str(workspace), "a", "refund A-1", "--json", stdin=answer)
    assert code == 0
    assert "Run refund_order(order_id='A-1')? [y/N]" in err
    [call] = json.loads(out)["tool_calls"]
    assert expected in call["result"]


def test_run_unknown_agent_is_a_usage_error(workspace: Path) -> None:
    code, _, err = cli("run", "-w", str(workspace), "b", "hello")
    assert code == 2
    assert "no agent named 'b'" in err


def test_run_failed_model_exits_1(workspace: Path, script: str) -> None:
    register_script(script, [])  # the script is exhausted at the first model call
    code, _, err = cli("run", "-w", str(workspace), "a", "hello")
    assert code == 1
    assert "run error" in err


def test_chat_keeps_the_conversation_until_exit(workspace: Path, script: str) -> None:
    def respond(messages: list[object], tools: object) -> Reply:
        said = [m.content for m in messages if getattr(m, "type", "") == "human"]  # type: ignore[attr-defined]
        return Reply(f"heard {len(said)}")

    register_script(script, respond)
    code, out, _ = cli("chat", "-w", str(workspace), "a", stdin="one\ntwo\n/exit\n")
    assert code == 0
    assert "heard 1" in out
    assert "heard 2" in out


def test_prompt_renders_typed_vars_and_runs(workspace: Path, script: str) -> None:
    register_script(script, lambda messages, tools: Reply(str(messages[-1].content)))  # type: ignore[attr-defined]
    code, out, _ = cli("prompt", "-w", str(workspace), "greet", "--var", "who=Ann", "-v", "times=2")
    assert code == 0
    assert out.strip() == "Greet Ann 2 times."


def test_prompt_with_a_bad_var_exits_2(workspace: Path) -> None:
    code, _, err = cli("prompt", "-w", str(workspace), "greet", "--var", "times=two")
    assert code == 2
    assert "who" in err  # the missing required input is named too
    assert "times" in err


def test_run_never_prints_a_tool_call_written_as_text(workspace: Path, script: str) -> None:
    register_script(
        script,
        [
            Reply('<tool_call>{"name": "get_order_status", "arguments": {"order_id": "A-1"}}'),
            Reply("{braces} are fine in an answer."),
        ],
    )
    code, out, err = cli("run", "-w", str(workspace), "a", "Where is A-1?")
    assert code == 0
    assert out == "{braces} are fine in an answer.\n"
    assert "-> get_order_status(order_id='A-1')" in err
