"""A scriptable MCP server for tests: tools with fixed results, a tool that hangs, a tool
that ends the server, a server that never finishes its handshake; prompts and resources.

Built on the official `mcp` SDK's low-level `Server`, so what a test talks to is the
real protocol. Three ways to run it:

```python
from springlet.testing import McpTestServer, ScriptedTool

server = McpTestServer(tools=[ScriptedTool("lookup", "stock of {sku}: 5")])
server.stdio_command()            # [python, -m, springlet.testing.mcp_server, --script, ...]
with server.serve_http() as url:  # Streamable HTTP on 127.0.0.1, in this process
    ...
```

or from a shell / an `mcp_servers:` entry:

    python -m springlet.testing.mcp_server --tool "lookup=stock of {sku}: 5" --hang slow --die crash
    python -m springlet.testing.mcp_server --script script.json --http 127.0.0.1:0

A result's `{placeholders}` are its tool's (string) arguments and are filled from them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import string
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import mcp_types

_FIELDS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class ScriptedTool:
    """One tool: answers `result` (with `{argument}`s filled), or hangs, fails or dies."""

    name: str
    result: str = "ok"
    description: str = ""
    hang: bool = False
    """Never answer (for timeouts)."""
    die: bool = False
    """End the server when called: the process exits (stdio, or HTTP in a subprocess);
    an in-process HTTP server stops listening."""
    error: bool = False
    """Answer `result` as a tool error (`isError`)."""

    def arguments(self) -> list[str]:
        names = [f for _, f, _, _ in string.Formatter().parse(self.result) if f]
        return [n for n in dict.fromkeys(names) if _FIELDS.match(n)]


@dataclass
class McpTestServer:
    """A scripted MCP server (see the module docstring)."""

    tools: list[ScriptedTool] = field(default_factory=list)
    prompts: dict[str, str] = field(default_factory=dict)
    """Prompt name -> its text; `{placeholders}` are its (required) arguments."""
    resources: dict[str, str] = field(default_factory=dict)
    """Resource URI -> its text."""
    name: str = "springlet-test"
    never_handshake: bool = False
    """Start, then never answer anything (for start-up timeouts)."""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list, compare=False)
    """Tool calls received, in order (in-process servers only)."""
    _http: Any = field(default=None, init=False, repr=False, compare=False)

    # -- running it -------------------------------------------------------------------

    def script(self) -> str:
        """This server as the JSON that `--script` takes."""
        data = asdict(self)
        data.pop("calls")
        data.pop("_http")
        return json.dumps(data)

    @classmethod
    def from_script(cls, text: str) -> McpTestServer:
        data = json.loads(text)
        data["tools"] = [ScriptedTool(**t) for t in data.get("tools", [])]
        return cls(**data)

    def stdio_command(self) -> list[str]:
        """The command line that runs this server over stdio (this interpreter)."""
        return [sys.executable, "-m", "springlet.testing.mcp_server", "--script", self.script()]

    @contextlib.contextmanager
    def serve_http(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve Streamable HTTP in a thread of this process; yields the endpoint URL."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        app = self.low_level_server().streamable_http_app(host=host)
        config = uvicorn.Config(app, log_level="critical", lifespan="on")
        server = uvicorn.Server(config)
        self._http = server
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="mcp-test-server", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            yield f"http://{host}:{sock.getsockname()[1]}/mcp"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    # -- the protocol -----------------------------------------------------------------

    def low_level_server(self) -> Any:
        """The SDK `Server` answering this script."""
        import mcp_types as types
        from mcp.server import Server

        by_name = {t.name: t for t in self.tools}

        async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
            return types.ListToolsResult(tools=[_tool_listing(t) for t in self.tools])

        async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            arguments = dict(params.arguments or {})
            self.calls.append((params.name, arguments))
            tool = by_name.get(params.name)
            if tool is None:
                return _text_result(f"no tool named {params.name}", error=True)
            if tool.die:
                self._die()  # returns only in-process: the HTTP server is stopping
            if tool.hang or tool.die:
                import anyio

                await anyio.sleep_forever()
            try:
                text = tool.result.format(**arguments)
            except (KeyError, IndexError, ValueError) as exc:
                return _text_result(f"bad arguments: {exc}", error=True)
            return _text_result(text, error=tool.error)

        async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
            return types.ListPromptsResult(
                prompts=[_prompt_listing(n, t) for n, t in self.prompts.items()]
            )

        async def get_prompt(
            ctx: Any, params: types.GetPromptRequestParams
        ) -> types.GetPromptResult:
            text = self.prompts[params.name].format(**(params.arguments or {}))
            message = types.PromptMessage(
                role="user", content=types.TextContent(type="text", text=text)
            )
            return types.GetPromptResult(messages=[message])

        async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
            listed = [types.Resource(uri=u, name=u.rsplit("/", 1)[-1]) for u in self.resources]
            return types.ListResourcesResult(resources=listed)

        async def read_resource(
            ctx: Any, params: types.ReadResourceRequestParams
        ) -> types.ReadResourceResult:
            uri = str(params.uri)
            content = types.TextResourceContents(
                uri=uri, text=self.resources[uri], mime_type="text/plain"
            )
            return types.ReadResourceResult(contents=[content])

        return Server(
            self.name,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_list_prompts=list_prompts,
            on_get_prompt=get_prompt,
            on_list_resources=list_resources,
            on_read_resource=read_resource,
        )

    def _die(self) -> None:
        http = getattr(self, "_http", None)
        if http is not None and not _IN_SUBPROCESS:
            http.should_exit = True
            http.force_exit = True
            return
        os._exit(3)


_IN_SUBPROCESS = False


def _tool_listing(tool: ScriptedTool) -> Any:
    import mcp_types as types

    names = tool.arguments()
    schema = {
        "type": "object",
        "properties": {n: {"type": "string"} for n in names},
        "required": names,
    }
    return types.Tool(
        name=tool.name, description=tool.description or tool.name, input_schema=schema
    )


def _prompt_listing(name: str, text: str) -> Any:
    import mcp_types as types

    fields = [f for _, f, _, _ in string.Formatter().parse(text) if f]
    arguments = [types.PromptArgument(name=f, required=True) for f in dict.fromkeys(fields)]
    return types.Prompt(name=name, description=f"the {name} prompt", arguments=arguments)


def _text_result(text: str, *, error: bool = False) -> mcp_types.CallToolResult:
    import mcp_types as types

    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=error)


# -- the command line ---------------------------------------------------------------------


def _parse(argv: list[str] | None) -> tuple[McpTestServer, str | None]:
    parser = argparse.ArgumentParser(prog="python -m springlet.testing.mcp_server")
    parser.add_argument("--script", help="the server as JSON (McpTestServer.script()), or @FILE")
    parser.add_argument("--tool", action="append", default=[], help="NAME=RESULT")
    parser.add_argument("--hang", action="append", default=[], help="a tool that never answers")
    parser.add_argument("--die", action="append", default=[], help="a tool that ends the server")
    parser.add_argument("--prompt", action="append", default=[], help="NAME=TEXT")
    parser.add_argument("--resource", action="append", default=[], help="URI=TEXT")
    parser.add_argument("--never-handshake", action="store_true")
    parser.add_argument("--http", metavar="HOST:PORT", help="serve Streamable HTTP, not stdio")
    args = parser.parse_args(argv)
    server = McpTestServer()
    if args.script:
        text = args.script
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as file:
                text = file.read()
        server = McpTestServer.from_script(text)
    for item in args.tool:
        name, _, result = item.partition("=")
        server.tools.append(ScriptedTool(name, result))
    server.tools += [ScriptedTool(n, hang=True) for n in args.hang]
    server.tools += [ScriptedTool(n, die=True) for n in args.die]
    server.prompts.update(dict(p.partition("=")[::2] for p in args.prompt))
    server.resources.update(dict(r.partition("=")[::2] for r in args.resource))
    server.never_handshake = server.never_handshake or args.never_handshake
    return server, args.http


def main(argv: list[str] | None = None) -> None:
    """Run the scripted server over stdio (or `--http HOST:PORT`) until its client leaves."""
    global _IN_SUBPROCESS
    _IN_SUBPROCESS = True
    server, http = _parse(argv)
    print(f"springlet MCP test server '{server.name}' starting", file=sys.stderr, flush=True)
    if server.never_handshake:
        time.sleep(3600)
        return
    if http:
        host, _, port = http.rpartition(":")
        with server.serve_http(host or "127.0.0.1", int(port)) as url:
            print(url, flush=True)
            while True:
                time.sleep(3600)
    import anyio
    from mcp.server.stdio import stdio_server

    low = server.low_level_server()

    async def serve() -> None:
        async with stdio_server() as (read, write):
            await low.run(read, write, low.create_initialization_options())

    anyio.run(serve)


if __name__ == "__main__":
    main()
