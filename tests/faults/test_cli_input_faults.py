"""What the user types or has on disk: blank and non-UTF-8 questions, broken agent files,
and tools that print."""

from __future__ import annotations

import json
from typing import Any

from springlet import load_workspace
from springlet.testing import ScriptedChatModel, register_script

FaultWorkspace = Any  # the fault_ws fixture (tests/faults/conftest.py)
RunCli = Any  # the run_cli fixture

CHATTY = '''
from springlet import tool

print("CHATTY-AT-IMPORT")


@tool
def chatty(x: str) -> str:
    """Prints, then answers."""
    print("CHATTY-AT-CALL")
    return "chatty says " + x
'''


def test_what_tools_print_never_reaches_run_json(fault_ws: FaultWorkspace, run_cli: RunCli) -> None:
    fault_ws.tools(CHATTY, "chatty.py")
    fault_ws.agent(["chatty"])
    steps = '[ToolCall("chatty", {"x": "hi"}), Reply("Done.")]'
    done = run_cli(
        "run", "--json", "-w", str(fault_ws.root), "a", "go", script=(fault_ws.script, steps)
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # the whole of stdout is the JSON document
    assert result["text"] == "Done."
    assert "CHATTY-AT-IMPORT" in done.stderr and "CHATTY-AT-CALL" in done.stderr


def test_what_tools_print_stays_out_of_the_streamed_answer(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.tools(CHATTY, "chatty.py")
    fault_ws.agent(["chatty"])
    steps = '[ToolCall("chatty", {"x": "hi"}), Reply("Done.")]'
    done = run_cli("run", "-w", str(fault_ws.root), "a", "go", script=(fault_ws.script, steps))
    assert done.stdout.strip() == "Done."


def test_a_blank_question_is_refused_without_a_model_call(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.agent([])
    steps = "[]"  # any model call would exhaust the script and fail differently
    done = run_cli("run", "-w", str(fault_ws.root), "a", "  \n ", script=(fault_ws.script, steps))
    assert done.returncode == 2
    assert "the question is empty" in done.stderr and "Traceback" not in done.stderr


def test_a_blank_message_is_a_failed_run_in_the_library(fault_ws: FaultWorkspace) -> None:
    fault_ws.agent([])
    model = ScriptedChatModel(steps=[])
    register_script(fault_ws.script, model)
    with load_workspace(fault_ws.root, tracing=False) as ws:
        result = ws.agent("a").run("   ")
    assert result.status == "error"
    assert result.error is not None and "the message is empty" in result.error


def test_non_utf8_bytes_in_the_question_are_replaced_with_a_warning(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.agent([])
    steps = '[Reply("Bonjour.")]'
    # a Latin-1 terminal: "café" arrives as b"caf\\xe9", which Python turns into a surrogate
    done = run_cli(
        "run",
        "--json",
        "-w",
        str(fault_ws.root),
        "a",
        "caf\udce9?",
        script=(fault_ws.script, steps),
    )
    assert done.returncode == 0, done.stderr
    assert "not UTF-8" in done.stderr and "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["messages"][0]["content"] == "caf\ufffd?"


def test_run_on_a_broken_agent_file_names_the_file(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.agent([], name="orders-notools")
    (fault_ws.root / "agents" / "orders.yaml").write_text(
        "name: orders\ndescription: x\nmodel: scripted:x\ninstructions: [unclosed\n"
    )
    done = run_cli("run", "-w", str(fault_ws.root), "orders", "hi")
    assert done.returncode == 1
    assert "agents/orders.yaml" in done.stderr
    assert "did you mean" not in done.stderr and "Traceback" not in done.stderr
    (fault_ws.root / "agents" / "orders.yaml").write_bytes(b"\xff\xfe\x00garbage")
    unreadable = run_cli("run", "-w", str(fault_ws.root), "orders", "hi")
    assert unreadable.returncode == 1
    assert "agents/orders.yaml" in unreadable.stderr
