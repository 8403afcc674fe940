"""JSON export (stable format), fine-tuning JSONL, and OTLP to a real OTLP/HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool

from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.tracing import SpanStatus, Tracer, TraceStore
from springlet.tracing.export import (
    JSON_FORMAT,
    TraceNotFoundError,
    finetune_records,
    load_traces,
    to_json_document,
)
from springlet.tracing.otlp import export_otlp


@tool
def get_order_status(order_id: str) -> str:
    """Status of an order by id."""
    return f"order {order_id} has shipped"


def record(tracer: Tracer, question: str, status: str = "ok") -> str:
    steps = [ToolCall("get_order_status", {"order_id": "A-1"}, id="c1"), Reply("It shipped.")]
    agent = create_agent(ScriptedChatModel(steps=steps), [get_order_status])
    with tracer.run(agent="helpdesk", model="scripted:test", input=question) as run:
        out = agent.invoke({"messages": [("user", question)]}, {"callbacks": run.callbacks})
        run.finish(output=out["messages"][-1].content, status=status)
    assert tracer.flush()
    return run.run_id


def test_json_document_is_the_documented_format(tracer: Tracer, store: TraceStore) -> None:
    run_id = record(tracer, "where is A-1?")
    doc = json.loads(json.dumps(to_json_document(load_traces(store, [run_id]))))
    assert doc["format"] == JSON_FORMAT and doc["version"] == 1
    [trace] = doc["traces"]
    assert trace["run"]["run_id"] == run_id and trace["run"]["status"] == "ok"
    assert trace["run"]["input_tokens"] > 0 and trace["run"]["output"] == "It shipped."
    assert [s["kind"] for s in trace["spans"]] == ["agent", "model", "tool", "model"]
    assert set(trace["spans"][0]) == {
        "span_id",
        "trace_id",
        "run_id",
        "parent_id",
        "kind",
        "name",
        "start_ns",
        "end_ns",
        "duration_ms",
        "status",
        "error",
        "attributes",
        "seq",
    }
    with pytest.raises(TraceNotFoundError, match="springlet traces list"):
        load_traces(store, ["nope"])


def test_finetune_prompt_response_and_chat_forms(tracer: Tracer, store: TraceStore) -> None:
    good = record(tracer, "where is A-1?")
    bad = record(tracer, "and B-2?", status="error")
    traces = load_traces(store, [good, bad])
    assert list(finetune_records(traces)) == [
        {"prompt": "where is A-1?", "response": "It shipped."}
    ]
    [chat] = list(finetune_records(traces, messages=True))
    roles = [m["role"] for m in chat["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert chat["messages"][1]["tool_calls"][0]["name"] == "get_order_status"
    assert chat["messages"][-1]["content"] == "It shipped."


class _Receiver(BaseHTTPRequestHandler):
    requests: list[Any]

    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        self.server.received.append((self.path, message))  # type: ignore[attr-defined]
        payload = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def otlp_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    yield server.received  # type: ignore[attr-defined]
    server.shutdown()


def test_otlp_export_reaches_a_real_receiver(
    tracer: Tracer, store: TraceStore, otlp_receiver: list[Any]
) -> None:
    run_id = record(tracer, "where is A-1?")
    spans = store.spans(run_id)
    assert export_otlp(spans) == 4
    [(path, request)] = otlp_receiver
    assert path == "/v1/traces"
    [resource_spans] = request.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "springlet"
    got = [s for scope in resource_spans.scope_spans for s in scope.spans]
    assert [s.name for s in got] == [s.name for s in spans]
    assert {s.trace_id.hex() for s in got} == {run_id}
    by_name = {s.name: s for s in got}
    root = by_name["invoke_agent helpdesk"]
    model = next(s for s in got if s.name.startswith("chat"))
    tool_span = by_name["execute_tool get_order_status"]
    assert model.parent_span_id == root.span_id == tool_span.parent_span_id
    attrs = {a.key: a.value for a in model.attributes}
    assert attrs["gen_ai.operation.name"].string_value == "chat"
    assert attrs["gen_ai.request.model"].string_value == "scripted:test"
    assert attrs["gen_ai.usage.input_tokens"].int_value > 0
    assert attrs["gen_ai.usage.output_tokens"].int_value > 0
    tool_attrs = {a.key: a.value for a in tool_span.attributes}
    assert tool_attrs["gen_ai.tool.name"].string_value == "get_order_status"
    assert tool_attrs["gen_ai.tool.call.id"].string_value == "c1"
    assert json.loads(tool_attrs["gen_ai.tool.call.arguments"].string_value) == {"order_id": "A-1"}


def test_otlp_sink_exports_live_and_marks_errors(otlp_receiver: list[Any]) -> None:
    from springlet.tracing.otlp import OtlpSink

    tracer = Tracer([OtlpSink()])
    with pytest.raises(ValueError), tracer.run(agent="live"):
        raise ValueError("boom")
    assert tracer.flush()
    tracer.close()
    got = [
        s
        for _, r in otlp_receiver
        for rs in r.resource_spans
        for sc in rs.scope_spans
        for s in sc.spans
    ]
    assert [s.name for s in got] == ["invoke_agent live"]  # the open root is not sent
    assert got[0].status.code == 2 and "boom" in got[0].status.message
    assert SpanStatus.ERROR.value in {a.value.string_value for a in got[0].attributes}
