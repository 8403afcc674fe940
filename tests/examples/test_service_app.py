"""The example web service: runs, NDJSON streams, sessions and errors over HTTP."""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from starlette.testclient import TestClient

from springlet.testing import Reply, ToolCall, register_script, unregister_script

APP = Path(__file__).resolve().parents[2] / "examples" / "service" / "app.py"
TOOLS = '''
from springlet import tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up an order."""
    return f"Order {order_id} is shipped."


@tool(requires_approval=True)
def refund_order(order_id: str) -> str:
    """Refund an order."""
    return "refunded"
'''


@pytest.fixture(scope="module")
def service_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("service_app", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script() -> Iterator[str]:
    name = f"svc{uuid.uuid4().hex[:8]}"
    yield name
    unregister_script(name)


@pytest.fixture
def client(tmp_path: Path, script: str, service_module: ModuleType) -> Iterator[TestClient]:
    (tmp_path / "agents").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "shop.py").write_text(TOOLS)
    (tmp_path / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: d\nmodel: scripted:{script}\ninstructions: i\n"
        "tools: [get_order_status, refund_order]\nadvisors:\n  - memory: {}\n"
    )
    with TestClient(service_module.create_app(tmp_path)) as test_client:
        yield test_client


def test_run_returns_the_run_result(client: TestClient, script: str) -> None:
    register_script(script, [ToolCall("get_order_status", {"order_id": "A-1"}), Reply("Shipped.")])
    response = client.post("/agents/a/runs", json={"message": "Where is A-1?"})
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "Shipped."
    assert body["tool_calls"][0]["result"] == "Order A-1 is shipped."


def test_sessions_continue_and_stay_apart(client: TestClient, script: str) -> None:
    register_script(
        script,
        lambda messages, tools: Reply(str(sum(m.type == "human" for m in messages))),  # type: ignore[attr-defined]
    )
    for expected in ("1", "2"):
        body = client.post("/agents/a/runs", json={"message": "hi", "session_id": "x"}).json()
        assert body["text"] == expected
    other = client.post("/agents/a/runs", json={"message": "hi", "session_id": "y"}).json()
    assert other["text"] == "1"


def test_stream_sends_events_as_ndjson_and_refuses_approvals(
    client: TestClient, script: str
) -> None:
    register_script(script, [ToolCall("refund_order", {"order_id": "A-1"}), Reply("Sorry.")])
    response = client.post("/agents/a/stream", json={"message": "refund A-1"})
    assert response.status_code == 200
    events = [json.loads(line) for line in response.text.splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "run_started"
    assert kinds[-1] == "run_finished"
    assert kinds.index("approval_requested") < kinds.index("approval_answered")
    answered = next(e for e in events if e["kind"] == "approval_answered")
    assert answered["approved"] is False
    assert events[-1]["result"]["text"] == "Sorry."


def test_bad_requests_get_clear_errors(client: TestClient) -> None:
    assert client.post("/agents/a/runs", json={"nothing": 1}).status_code == 400
    missing = client.post("/agents/nope/runs", json={"message": "hi"})
    assert missing.status_code == 404
    assert "no agent named 'nope'" in missing.json()["error"]
    assert client.get("/agents").json() == {"agents": ["a"]}
