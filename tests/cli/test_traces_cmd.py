"""`springlet traces list/show/export` against runs recorded in a workspace's store."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from langchain.agents import create_agent
from langchain_core.tools import tool

from springlet.cli import main
from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.tracing import Tracer, TraceStore


@tool
def get_order_status(order_id: str) -> str:
    """Status of an order by id."""
    if order_id == "X":
        raise ValueError("unknown order X")
    return f"order {order_id} has shipped"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "springlet.yaml").write_text("default_model: scripted:x\n")
    return root


def record(root: Path, agent_name: str, order: str, answer: str) -> str:
    tracer = Tracer([TraceStore(root / ".springlet" / "traces.sqlite")])
    steps = [ToolCall("get_order_status", {"order_id": order}), Reply(answer)]
    agent = create_agent(ScriptedChatModel(steps=steps), [get_order_status])
    question = f"where is {order}?"
    try:
        with tracer.run(agent=agent_name, model="scripted:x", input=question) as run:
            out = agent.invoke({"messages": [("user", question)]}, {"callbacks": run.callbacks})
            run.finish(output=out["messages"][-1].content)
    except ValueError:
        pass
    assert tracer.flush()
    tracer.close()
    return run.run_id


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["traces", *args, "-w", str(root)])
    return result.exit_code, result.output


def test_list_filters_by_agent_failed_and_since(workspace: Path) -> None:
    ok = record(workspace, "helpdesk", "A-1", "It shipped.")
    failed = record(workspace, "billing", "X", "never")
    code, out = invoke(workspace, "list", "--json")
    assert code == 0
    assert [r["run_id"] for r in json.loads(out)] == [failed, ok]
    _, out = invoke(workspace, "list", "--json", "--agent", "helpdesk")
    assert [r["run_id"] for r in json.loads(out)] == [ok]
    _, out = invoke(workspace, "list", "--json", "--failed")
    assert [(r["run_id"], r["status"]) for r in json.loads(out)] == [(failed, "error")]
    _, out = invoke(workspace, "list", "--since", "1h")
    assert ok[-12:] in out and "helpdesk" in out and "where is A-1?" in out
    code, out = invoke(workspace, "list", "--since", "soon")
    assert code == 2 and "use a number and a unit" in out


def test_show_prints_a_readable_tree(workspace: Path) -> None:
    run_id = record(workspace, "helpdesk", "A-1", "It shipped.")
    record(workspace, "helpdesk", "A-2", "It shipped too.")  # same time prefix, other tail
    code, out = invoke(workspace, "show", run_id[-12:])  # the id as `traces list` shows it
    assert code == 0, out
    assert f"run {run_id}" in out
    lines = out.splitlines()
    tree = [line for line in lines if "[" in line and "]" in line]
    assert tree[0].startswith("[agent] invoke_agent helpdesk  ok")
    assert tree[1].startswith("├─ [model] chat scripted:x  ok") and "tok" in tree[1]
    assert tree[2].startswith("├─ [tool] execute_tool get_order_status  ok")
    assert tree[3].startswith("└─ [model] chat scripted:x  ok")
    assert any('args:   {"order_id": "A-1"}' in line for line in lines)
    assert any("answer: It shipped." in line for line in lines)


def test_show_prints_errors_and_unknown_runs_cleanly(workspace: Path) -> None:
    run_id = record(workspace, "billing", "X", "never")
    code, out = invoke(workspace, "show", run_id)
    assert code == 0 and "error:  ValueError: unknown order X" in out
    code, out = invoke(workspace, "show", "feedface")
    assert code == 1 and "no run 'feedface'" in out and "Traceback" not in out


def test_export_json_and_finetune(workspace: Path, tmp_path: Path) -> None:
    run_id = record(workspace, "helpdesk", "A-1", "It shipped.")
    code, out = invoke(workspace, "export", run_id)
    assert code == 0
    assert json.loads(out)["traces"][0]["run"]["run_id"] == run_id
    target = tmp_path / "train.jsonl"
    code, _ = invoke(workspace, "export", run_id, "--format", "finetune", "-o", str(target))
    assert code == 0
    assert [json.loads(line) for line in target.read_text().splitlines()] == [
        {"prompt": "where is A-1?", "response": "It shipped."}
    ]
    _, out = invoke(workspace, "export", run_id, "--format", "finetune", "--messages")
    assert json.loads(out)["messages"][0] == {"role": "user", "content": "where is A-1?"}


def test_no_store_yet_is_a_clear_error(workspace: Path) -> None:
    code, out = invoke(workspace, "list")
    assert code == 1 and "no traces recorded yet" in out and "springlet run" in out


class _Collector(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        message = ExportTraceServiceRequest()
        message.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.spans.extend(  # type: ignore[attr-defined]
            s for rs in message.resource_spans for sc in rs.scope_spans for s in sc.spans
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_export_otlp_to_the_configured_collector(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    run_id = record(workspace, "helpdesk", "A-1", "It shipped.")
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    server.spans = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    try:
        code, out = invoke(workspace, "export", run_id, "--format", "otlp")
    finally:
        server.shutdown()
    assert code == 0 and "sent 4 spans of 1 runs" in out
    names = [s.name for s in server.spans]  # type: ignore[attr-defined]
    assert names[0] == "invoke_agent helpdesk" and len(names) == 4


def test_export_otlp_to_an_unreachable_collector_is_a_clear_error(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    run_id = record(workspace, "helpdesk", "A-1", "It shipped.")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    code, out = invoke(workspace, "export", run_id, "--format", "otlp")
    assert code == 1 and "did not accept" in out and "Traceback" not in out
