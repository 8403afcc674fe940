"""Agents call the tools of MCP servers declared in springlet.yaml, over stdio and HTTP,
with springlet's guards: approval, timeouts, argument checks, restarts, tracing."""

from __future__ import annotations

import sys
import time
from typing import Any

import psutil
import pytest

from springlet import Workspace
from springlet.testing import McpTestServer, Reply, ScriptedTool, ToolCall
from springlet.tools.mcp_client import McpServerError
from springlet.tracing import MemorySink, SpanKind

from .conftest import MakeWorkspace, stdio_server

LOOKUP = ("--tool", "lookup=stock of {sku}: 5")


def tool_messages(result: Any) -> list[str]:
    return [m["content"] for m in result.messages if m["role"] == "tool"]


def test_an_agent_calls_a_tool_of_a_stdio_server_and_the_trace_names_it(
    make_workspace: MakeWorkspace,
) -> None:
    sink = MemorySink()
    ws = make_workspace(
        [ToolCall("lookup", {"sku": "X-1"}), Reply("Five left.")],
        {"stock": stdio_server(*LOOKUP)},
        "  - mcp: stock\n",
        tracing=sink,
    )
    result = ws.agent("a").run("How many X-1?")
    assert result.status == "ok", result.error
    assert tool_messages(result) == ["stock of X-1: 5"]
    assert ws.tracer().flush()
    (span,) = [s for s in sink.spans() if s.kind is SpanKind.TOOL]
    assert span.attributes["springlet.mcp.server"] == "stock"
    assert span.attributes["gen_ai.tool.name"] == "lookup"


def test_an_agent_calls_a_tool_of_a_streamable_http_server(
    make_workspace: MakeWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_TOKEN", "t0ken")
    server = McpTestServer(tools=[ScriptedTool("find_customer", "customer {name}: gold")])
    with server.serve_http() as url:
        ws = make_workspace(
            [ToolCall("crm_find_customer", {"name": "Ada"}), Reply("Ada is gold.")],
            {"crm": f"    url: {url}\n    headers: {{Authorization: 'Bearer ${{CRM_TOKEN}}'}}\n"},
            "  - mcp: crm\n    prefix: crm_\n",
        )
        result = ws.agent("a").run("Who is Ada?")
        ws.close()
    assert tool_messages(result) == ["customer Ada: gold"]
    assert server.calls == [("find_customer", {"name": "Ada"})]


def test_include_exclude_and_prefix_choose_what_the_model_sees(
    make_workspace: MakeWorkspace,
) -> None:
    flags = ["--tool", "find_a=a", "--tool", "find_b=b", "--tool", "drop=gone"]
    ws = make_workspace(
        [ToolCall("drop", {}), Reply("No.")],
        {"s": stdio_server(*flags)},
        '  - mcp: s\n    include: ["find_*"]\n    exclude: [find_b]\n    prefix: s_\n',
    )
    result = ws.agent("a").run("Drop it")
    (message,) = tool_messages(result)
    assert message == "Error: there is no tool named 'drop'. Available tools: s_find_a."


def test_a_server_killed_mid_run_is_a_tool_error_and_the_next_run_succeeds(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [
            ToolCall("crash", {}),
            Reply("It broke."),
            ToolCall("lookup", {"sku": "X-2"}),
            Reply("Five."),
        ],
        {"stock": stdio_server(*LOOKUP, "--die", "crash")},
        "  - mcp: stock\n",
    )
    agent = ws.agent("a")
    first = agent.run("Crash it")
    assert first.status == "ok"
    (error,) = tool_messages(first)
    assert "MCP server 'stock' stopped during the call of 'crash'" in error
    assert "started again for the next call" in error
    assert str(ws.root / ".springlet" / "mcp" / "stock.log") in error
    second = agent.run("How many X-2?")
    assert tool_messages(second) == ["stock of X-2: 5"]
    assert ws.mcp_servers.connection("stock").starts == 2
    log = (ws.root / ".springlet" / "mcp" / "stock.log").read_text()
    assert log.count("springlet MCP test server") == 2  # its stderr, both starts


def test_a_handshake_that_never_finishes_is_a_clear_error_within_its_timeout(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [Reply("never")],
        {"stuck": stdio_server("--never-handshake", timeout_s=1)},
        "  - mcp: stuck\n",
    )
    started = time.monotonic()
    with pytest.raises(McpServerError) as caught:
        ws.agent("a")
    assert time.monotonic() - started < 5  # bounded by its 1 s, not a hang
    message = str(caught.value)
    assert "MCP server 'stuck' did not finish its start-up and handshake within 1 s" in message
    assert "springlet.testing.mcp_server --never-handshake" in message
    assert "stuck.log" in message


def test_a_tool_that_hangs_times_out_and_the_server_serves_on(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [ToolCall("slow", {}), ToolCall("lookup", {"sku": "Q"}), Reply("ok")],
        {"s": stdio_server(*LOOKUP, "--hang", "slow", timeout_s=8)},  # start-up under load
        "  - mcp: s\n",
    )
    result = ws.agent("a").run("go")
    assert tool_messages(result) == [
        "Error: tool 'slow' did not finish within 8 s; it was abandoned.",
        "stock of Q: 5",
    ]


def test_approval_holds_an_mcp_tool(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("lookup", {"sku": "X-1"}), Reply("Asked.")] * 2,
        {"stock": stdio_server(*LOOKUP, extra="    requires_approval: [look*]\n")},
        "  - mcp: stock\n",
    )
    asked: list[str] = []
    refused = ws.agent("a").run("How many?")
    assert "needs human approval and nobody was asked" in tool_messages(refused)[0]
    approved = ws.agent("a").run("How many?", approve=lambda r: asked.append(r.name) or True)
    assert asked == ["lookup"]
    assert tool_messages(approved) == ["stock of X-1: 5"]


def test_approval_advisor_names_a_prefixed_mcp_tool(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("s_lookup", {"sku": "X-1"}), Reply("Asked.")],
        {"stock": stdio_server(*LOOKUP)},
        "  - mcp: stock\n    prefix: s_\n",
        advisors="advisors:\n  - approval: {tools: [s_lookup]}\n",
    )
    result = ws.agent("a").run("How many?")
    assert "needs human approval" in tool_messages(result)[0]


def test_bad_arguments_are_fed_back_to_the_model(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("lookup", {"item": "X-1"}), Reply("Oops.")],
        {"stock": stdio_server(*LOOKUP)},
        "  - mcp: stock\n",
    )
    (message,) = tool_messages(ws.agent("a").run("How many?"))
    assert message.startswith("Error: tool 'lookup' failed: McpServerError: invalid arguments")
    assert "'sku' is a required property" in message


def test_an_unset_variable_names_itself_and_the_server(
    make_workspace: MakeWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace([Reply("x")], {"stock": stdio_server(*LOOKUP)}, "  - mcp: stock\n")
    monkeypatch.delenv("SPRINGLET_TEST_SRC")
    with pytest.raises(
        McpServerError, match="'stock' needs the environment variable SPRINGLET_TEST_SRC"
    ):
        ws.agent("a")


def test_a_missing_program_is_a_clear_error(make_workspace: MakeWorkspace) -> None:
    entry = "    command: no-such-mcp-server-xyz\n    timeout_s: 5\n"
    ws = make_workspace([Reply("x")], {"gone": entry}, "  - mcp: gone\n")
    with pytest.raises(McpServerError, match="MCP server 'gone' could not be started"):
        ws.agent("a")


def test_servers_are_shared_by_agents_and_stopped_with_the_workspace(
    make_workspace: MakeWorkspace,
) -> None:
    ws: Workspace = make_workspace(
        [ToolCall("lookup", {"sku": "A"}), Reply("ok")],
        {"stock": stdio_server(*LOOKUP)},
        "  - mcp: stock\n",
    )
    ws.agent("a").run("go")
    connection = ws.mcp_servers.connection("stock")
    assert connection.starts == 1
    assert _test_servers_running() == 1
    ws.close()
    deadline = time.monotonic() + 5
    while _test_servers_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _test_servers_running() == 0


def _test_servers_running() -> int:
    children = psutil.Process().children(recursive=True)
    found = 0
    for child in children:
        try:
            if "springlet.testing.mcp_server" in " ".join(child.cmdline()):
                found += child.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            continue
    return found


def test_an_http_server_that_went_away_is_reconnected_for_the_next_call(
    make_workspace: MakeWorkspace,
) -> None:
    first = McpTestServer(tools=[ScriptedTool("find", "v1"), ScriptedTool("crash", die=True)])
    with first.serve_http() as url:
        ws = make_workspace(
            [ToolCall("crash", {}), Reply("down"), ToolCall("find", {}), Reply("up")],
            {"crm": f"    url: {url}\n    timeout_s: 5\n"},
            "  - mcp: crm\n",
        )
        agent = ws.agent("a")
        down = agent.run("crash")
    (error,) = tool_messages(down)
    assert error.startswith("Error: tool 'crash' failed: McpServerError: MCP server 'crm'"), error
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    second = McpTestServer(tools=[ScriptedTool("find", "v2"), ScriptedTool("crash", die=True)])
    with second.serve_http(port=port):
        assert tool_messages(agent.run("find")) == ["v2"]
        ws.close()


def test_without_the_sdk_the_error_says_which_extra_to_install(
    make_workspace: MakeWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace([Reply("x")], {"stock": stdio_server(*LOOKUP)}, "  - mcp: stock\n")
    monkeypatch.setitem(sys.modules, "mcp.client.stdio", None)  # import fails as if absent
    with pytest.raises(McpServerError) as caught:
        ws.agent("a")
    assert "needs the official MCP SDK" in str(caught.value)
    assert "pip install 'springlet[mcp]'" in str(caught.value)


def test_changed_servers_are_stopped_by_reload(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [ToolCall("lookup", {"sku": "A"}), Reply("ok")],
        {"stock": stdio_server(*LOOKUP)},
        "  - mcp: stock\n",
    )
    ws.agent("a").run("go")
    assert _test_servers_running() == 1
    settings = ws.root / "springlet.yaml"
    settings.write_text(settings.read_text().replace("timeout_s: 20", "timeout_s: 25"))
    ws.reload()
    deadline = time.monotonic() + 5
    while _test_servers_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _test_servers_running() == 0


def test_a_stdio_server_killed_between_runs_is_started_again_before_the_next_call(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [ToolCall("lookup", {"sku": "A"}), Reply("ok")] * 2,
        {"stock": stdio_server(*LOOKUP)},
        "  - mcp: stock\n",
    )
    agent = ws.agent("a")
    agent.run("go")
    connection = ws.mcp_servers.connection("stock")
    for child in psutil.Process().children(recursive=True):
        if "springlet.testing.mcp_server" in " ".join(child.cmdline()):
            child.kill()
    deadline = time.monotonic() + 5
    while connection.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not connection.running
    assert tool_messages(agent.run("go")) == ["stock of A: 5"]
    assert connection.starts == 2


def test_an_http_server_restarted_between_runs_gets_a_new_session_unnoticed(
    make_workspace: MakeWorkspace,
) -> None:
    first = McpTestServer(tools=[ScriptedTool("find", "v1")])
    with first.serve_http() as url:
        ws = make_workspace(
            [ToolCall("find", {}), Reply("one")] * 2,
            {"crm": f"    url: {url}\n"},
            "  - mcp: crm\n",
        )
        agent = ws.agent("a")
        assert tool_messages(agent.run("find")) == ["v1"]
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with McpTestServer(tools=[ScriptedTool("find", "v2")]).serve_http(port=port):
        assert tool_messages(agent.run("find")) == ["v2"]
        ws.close()


def test_two_tools_of_one_name_are_an_error_that_suggests_a_prefix(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [Reply("x")],
        {"one": stdio_server(*LOOKUP), "two": stdio_server(*LOOKUP)},
        "  - mcp: one\n  - mcp: two\n",
    )
    with pytest.raises(McpServerError) as caught:
        ws.agent("a")
    assert "tool 'lookup' of MCP server 'two' has the name of another tool" in str(caught.value)
    assert "prefix: two_" in str(caught.value)
