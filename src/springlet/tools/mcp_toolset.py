"""MCP servers' tools as springlet tools: LangChain tools that agents use like any other.

The tools carry the metadata the agents' ToolGuard reads (`springlet_requires_approval`,
`springlet_timeout_s`) and the server's name (`springlet_mcp_server`, recorded on the
tool's span), so approval, per-call timeouts, loop guards, events and tracing are the
same as for a Python tool. Arguments are checked against the tool's JSON Schema before
the call; what is wrong goes back to the model as the tool's error.

`McpServers` holds a workspace's connections: each made on first use and shared by all
its agents; `toolset()` is called while an agent is built (never on the runtime loop).
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from springlet._runtime import runtime_loop
from springlet.errors import NotFoundError
from springlet.tools.mcp_client import CLOSE_WAIT_S, McpConnection, McpServerError
from springlet.tools.mcp_spec import McpServerSpec, matches_any
from springlet.tools.names import model_tool_name

if TYPE_CHECKING:
    import mcp_types
    from langchain_core.tools import BaseTool


@dataclass(frozen=True)
class McpToolset:
    """A server's connection and the tools it listed when it started."""

    connection: McpConnection
    tools: tuple[mcp_types.Tool, ...]

    def langchain_tools(
        self,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        prefix: str = "",
        taken: set[str] | None = None,
    ) -> list[BaseTool]:
        """The listed tools kept by `include` / `exclude` (names or globs), renamed with
        `prefix`, as LangChain tools. A name in `taken` (the agent's other tools) is an
        error: one of the two would silently never be called."""
        chosen = [
            tool
            for tool in self.tools
            if (not include or matches_any(tool.name, include))
            and not matches_any(tool.name, exclude or [])
        ]
        built = [mcp_tool(self.connection, tool, prefix) for tool in chosen]
        clash = sorted({t.name for t in built} & (taken or set()))
        if clash:
            server = self.connection.name
            raise McpServerError(
                f"tool '{clash[0]}' of MCP server '{server}' has the name of another tool "
                "of the same agent",
                hint=f"give the entry a prefix (- mcp: {server}, prefix: {server}_) or "
                "exclude the tool",
            )
        return built


class McpServers:
    """The MCP servers of one workspace, by name: connected on first use, closed together."""

    def __init__(self, specs: dict[str, McpServerSpec], root: Path, data_dir: Path) -> None:
        self.specs = specs
        self.root = root
        self.log_dir = data_dir / "mcp"
        self._connections: dict[str, McpConnection] = {}
        self._lock = threading.Lock()

    def connection(self, name: str) -> McpConnection:
        """The connection to server `name` (not started until something asks it)."""
        with self._lock:
            if name not in self._connections:
                if name not in self.specs:
                    known = ", ".join(sorted(self.specs)) or "none"
                    raise NotFoundError(
                        f"no MCP server named '{name}' under mcp_servers: in springlet.yaml",
                        hint=f"servers declared: {known}",
                    )
                self._connections[name] = McpConnection(
                    name, self.specs[name], self.root, self.log_dir
                )
            return self._connections[name]

    def toolset(self, name: str) -> McpToolset:
        """Server `name` started (if it is not running) and its tools, from any thread
        but the runtime loop."""
        connection = self.connection(name)
        tools = runtime_loop.run_sync(connection.list_tools())
        return McpToolset(connection, tuple(tools))

    def close(self) -> None:
        """Stop every server that was started (waits for them on the runtime loop, or
        only asks them to stop when called on it)."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        if not connections:
            return
        closing = _close_all(connections)
        if runtime_loop.on_runtime_loop():
            runtime_loop.schedule(closing)
            return
        future = runtime_loop.schedule(closing)
        if future is not None:
            # a server that will not stop must not stop the close
            with contextlib.suppress(Exception):
                future.result(timeout=CLOSE_WAIT_S + 1)


async def _close_all(connections: list[McpConnection]) -> None:
    import asyncio

    await asyncio.gather(*(c.aclose() for c in connections), return_exceptions=True)


def mcp_tool(connection: McpConnection, tool: mcp_types.Tool, prefix: str = "") -> BaseTool:
    """The LangChain tool calling `tool` of the server behind `connection`."""
    from langchain_core.tools import StructuredTool

    schema = _object_schema(tool.input_schema)
    name = _model_name(prefix + tool.name)
    server = connection.name
    validator = _validator(schema)  # made once: building one costs more than a call

    async def call(**arguments: Any) -> str:
        problem = _argument_problem(validator, arguments)
        if problem:
            raise McpServerError(
                f"invalid arguments for '{name}': {problem}; "
                f"the arguments it takes: {json.dumps(schema.get('properties', {}))}"
            )
        result = await connection.call_tool(tool.name, arguments)
        text = result_text(result)
        if result.is_error:
            raise McpServerError(f"MCP server '{server}' reports: {text}")
        return text

    return StructuredTool(
        name=name,
        description=tool.description or tool.title or tool.name,
        args_schema=schema,
        coroutine=call,
        metadata={
            "springlet_requires_approval": connection.spec.approval_needed(tool.name),
            "springlet_timeout_s": connection.spec.timeout_s,
            "springlet_mcp_server": server,
            "springlet_mcp_tool": tool.name,
        },
    )


def result_text(result: mcp_types.CallToolResult) -> str:
    """What the model reads of a tool result: its text parts, or its structured content."""
    parts: list[str] = []
    for item in result.content:
        text = getattr(item, "text", None)
        if isinstance(text, str):
            parts.append(text)
        else:
            kind = getattr(item, "type", type(item).__name__)
            parts.append(f"[{kind} content: {getattr(item, 'mime_type', None) or 'binary'}]")
    if not any(p.strip() for p in parts) and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False, default=str)
    return "\n".join(parts)


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The tool's input schema as an object schema (LangChain and models need one)."""
    out = dict(schema or {})
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def _validator(schema: dict[str, Any]) -> Any:
    """A JSON Schema validator of the tool's arguments; None when the server's schema is
    itself broken (the server then judges the arguments)."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        return None
    return jsonschema.Draft202012Validator(schema)


def _argument_problem(validator: Any, arguments: dict[str, Any]) -> str | None:
    if validator is None:
        return None
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
    if not errors:
        return None
    return "; ".join(
        (f"'{'.'.join(str(p) for p in e.path)}': " if e.path else "") + e.message
        for e in errors[:3]
    )


def _model_name(name: str) -> str:
    """The model-facing name (springlet's one rule), at most 64 characters as the
    tool-call APIs allow."""
    return model_tool_name(name)[:64]
