"""A small web service embedding springlet: agents behind HTTP, built once, shared by
every request.

    SPRINGLET_WORKSPACE=examples/acme .venv/bin/uvicorn examples.service.app:app --port 8000
    curl -s localhost:8000/agents/orders/runs -d '{"message": "Where is order A-1001?"}'
    curl -sN localhost:8000/agents/orders/stream -d '{"message": "Where is A-1001?"}'

- `POST /agents/{name}/runs`   -> the RunResult as JSON (`session_id` continues a chat)
- `POST /agents/{name}/stream` -> the run's events as NDJSON, one per line, as they happen
- `GET /agents`                -> the agents of the workspace
- `GET /health`

Tools that need human approval are refused here: a web request has nobody to ask. A
real service would forward `approval_requested` to its UI and call `event.approve()`.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import springlet
from springlet.agents.events import ApprovalRequested, Event, RunFailed, RunFinished

NO_APPROVER = "this service has nobody to approve tool calls"


def create_app(workspace: str | Path) -> Starlette:
    """The service for the workspace at `workspace` (loaded once, closed on shutdown)."""
    ws = springlet.load_workspace(workspace)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        ws.close()

    async def list_agents(request: Request) -> Response:
        return JSONResponse({"agents": ws.agent_names})

    async def run(request: Request) -> Response:
        agent, message, session = await _agent_request(ws, request)
        result = await agent.arun(message, session_id=session, approve=lambda event: False)
        return JSONResponse(result.to_json(), status_code=200 if result.ok else 502)

    async def stream(request: Request) -> Response:
        agent, message, session = await _agent_request(ws, request)

        async def lines() -> AsyncIterator[str]:
            async for event in agent.astream(message, session_id=session):
                if isinstance(event, ApprovalRequested):
                    event.reject(NO_APPROVER)
                yield json.dumps(event_json(event), default=str) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "problems": len(ws.problems)})

    return Starlette(
        routes=[
            Route("/agents", list_agents),
            Route("/agents/{name}/runs", run, methods=["POST"]),
            Route("/agents/{name}/stream", stream, methods=["POST"]),
            Route("/health", health),
        ],
        exception_handlers={springlet.SpringletError: _springlet_error},
        lifespan=lifespan,
    )


class BadRequest(springlet.SpringletError):
    """The request body is not what the endpoint takes."""


async def _agent_request(
    ws: springlet.Workspace, request: Request
) -> tuple[springlet.Agent, str, str | None]:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise BadRequest('the body must be JSON like {"message": "..."}') from None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        raise BadRequest('the body needs a "message" string')
    session = body.get("session_id")
    # building an agent the first time does I/O; later requests reuse it
    agent = ws.agent(request.path_params["name"])
    return agent, message, session if isinstance(session, str) else None


async def _springlet_error(request: Request, exc: Exception) -> Response:
    status = 400 if isinstance(exc, BadRequest) else 404
    if not isinstance(exc, BadRequest | springlet.NotFoundError):
        status = 500
    return JSONResponse({"error": str(exc)}, status_code=status)


def event_json(event: Event) -> dict[str, Any]:
    """An event as JSON: its kind and fields; run results as RunResult.to_json()."""
    if isinstance(event, RunFinished | RunFailed):
        data: dict[str, Any] = {"run_id": event.run_id}
        if isinstance(event, RunFailed):
            data["error"] = event.error
        data["result"] = event.result.to_json() if event.result else None
    else:
        public = {f.name: getattr(event, f.name) for f in fields(event) if f.name[0] != "_"}
        data = json.loads(json.dumps(public, default=str))
    return {"kind": event.kind, **data}


app = create_app(os.environ.get("SPRINGLET_WORKSPACE", Path(__file__).parent.parent / "acme"))
