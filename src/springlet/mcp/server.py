"""`WorkspaceMcpServer`: the MCP `Server` answering for one workspace (see the package)."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from springlet._runtime import runtime_loop
from springlet.errors import SpringletError

if TYPE_CHECKING:
    import mcp_types
    from langchain_core.tools import BaseTool
    from mcp.server import Server

    from springlet.prompts.spec import InputSpec, PromptSpec
    from springlet.workspace.workspace import Workspace

SEARCH_TOOL = "search_knowledge"


@dataclass(frozen=True)
class _Exposed:
    """One MCP tool and how to answer it."""

    listing: mcp_types.Tool
    kind: str  # "python" | "agent" | "search"
    target: str


class WorkspaceMcpServer:
    """What `springlet mcp serve` exposes of `ws`; `low_level_server()` is the SDK server."""

    def __init__(self, ws: Workspace, *, expose_approval_tools: bool = False) -> None:
        self.ws = ws
        self.expose_approval_tools = expose_approval_tools
        self.tools: dict[str, _Exposed] = {}
        for exposed in [*self._python_tools(), *self._agent_tools(), *self._search_tool()]:
            self.tools[exposed.listing.name] = exposed

    # -- what is exposed ----------------------------------------------------------------

    def _python_tools(self) -> list[_Exposed]:
        import mcp_types as types

        out = []
        for name, tool in sorted(self.ws.loaded.tools.items()):
            if tool.requires_approval and not self.expose_approval_tools:
                continue
            built = tool.as_langchain()
            schema = built.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
            schema.pop("title", None)
            listing = types.Tool(name=name, description=built.description, input_schema=schema)
            out.append(_Exposed(listing, "python", name))
        return out

    def _agent_tools(self) -> list[_Exposed]:
        import mcp_types as types

        schema = {
            "type": "object",
            "properties": {
                "question": {"type": "string", "description": "What to ask the agent."},
                "session_id": {
                    "type": "string",
                    "description": "Continue this conversation (agents with memory).",
                },
            },
            "required": ["question"],
        }
        out = []
        for name in self.ws.agent_names:
            if f"agent:{name}" in self.ws.loaded.unusable:
                continue
            spec = self.ws.agent_spec(name)
            tool_name = "ask_" + "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
            listing = types.Tool(
                name=tool_name,
                description=f"Ask the agent '{name}': {spec.description}",
                input_schema=schema,
            )
            out.append(_Exposed(listing, "agent", name))
        return out

    def _search_tool(self) -> list[_Exposed]:
        import mcp_types as types

        names = sorted(self.ws.loaded.collections)
        if not names:
            return []
        schema = {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "collection": {"type": "string", "enum": names, "default": names[0]},
                "top_k": {"type": "integer", "minimum": 1, "maximum": 20, "default": 4},
            },
            "required": ["query"],
        }
        description = "Search the workspace's knowledge: " + "; ".join(
            f"{n}: {self.ws.loaded.collections[n].description or n}" for n in names
        )
        listing = types.Tool(name=SEARCH_TOOL, description=description, input_schema=schema)
        return [_Exposed(listing, "search", names[0])]

    # -- answering ----------------------------------------------------------------------

    async def call(self, name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        """The answer to a `tools/call` (failures are tool errors the client reads)."""
        exposed = self.tools.get(name)
        if exposed is None:
            return _result(f"no tool named '{name}'; tools: {', '.join(self.tools)}", True)
        try:
            if exposed.kind == "python":
                text = await self._call_python(exposed.target, arguments)
            elif exposed.kind == "agent":
                text = await self._ask(exposed.target, arguments)
            else:
                text = await self._search(arguments)
        except SpringletError as exc:
            return _result(str(exc), True)
        except Exception as exc:  # a tool's own failure, fed back like an agent's tool error
            return _result(f"{type(exc).__name__}: {exc}", True)
        return _result(text, False)

    async def _call_python(self, name: str, arguments: dict[str, Any]) -> str:
        tool = self.ws.loaded.tools[name]
        built: BaseTool = tool.as_langchain()
        call = built.ainvoke(arguments)
        outcome = await runtime_loop.run_async(asyncio.wait_for(call, tool.timeout_s))
        return outcome if isinstance(outcome, str) else json.dumps(outcome, default=str)

    async def _ask(self, name: str, arguments: dict[str, Any]) -> str:
        import anyio

        question = arguments.get("question")
        if not isinstance(question, str) or not question.strip():
            raise SpringletError("'question' is required: the message for the agent")
        agent = await anyio.to_thread.run_sync(self.ws.agent, name)  # builds off this loop
        result = await agent.arun(question, session_id=arguments.get("session_id"))
        if result.status != "ok":
            raise SpringletError(f"agent '{name}' failed: {result.error}")
        return str(result.text)

    async def _search(self, arguments: dict[str, Any]) -> str:
        import anyio

        collection = str(arguments.get("collection") or sorted(self.ws.loaded.collections)[0])
        top_k = int(arguments.get("top_k") or 4)
        query = str(arguments["query"])

        def search() -> list[dict[str, Any]]:
            # the agents' retrievers: a collection never ingested is ingested first (as
            # `knowledge.auto_ingest` says), not refused
            retriever = self.ws.retrievers().retriever(collection)
            return [
                {"source": s.citation, "score": round(s.score, 4), "text": s.text}
                for s in retriever.retrieve(query, top_k=top_k)
            ]

        hits = await anyio.to_thread.run_sync(search)
        return json.dumps(hits, ensure_ascii=False, default=str)

    def prompts(self) -> list[mcp_types.Prompt]:
        import mcp_types as types

        out = []
        for name in self.ws.prompt_names:
            if f"prompt:{name}" in self.ws.loaded.unusable:
                continue
            spec = self.ws.prompt_spec(name)
            arguments = [
                types.PromptArgument(name=key, description=item.description, required=item.required)
                for key, item in spec.input.items()
            ]
            out.append(types.Prompt(name=name, description=spec.description, arguments=arguments))
        return out

    def get_prompt(self, name: str, arguments: dict[str, str]) -> mcp_types.GetPromptResult:
        """The prompt's messages rendered with `arguments` (typed from their text)."""
        import mcp_types as types

        if name not in self.ws.loaded.prompts:
            raise ValueError(
                f"no prompt named '{name}'; prompts: {', '.join(self.ws.prompt_names)}"
            )
        spec = self.ws.prompt_spec(name)
        inputs = {k: _typed(spec, k, v) for k, v in arguments.items()}
        messages = []
        for message in self.ws.prompt(name).render(**inputs):
            # MCP prompts have user and assistant messages only: a system message is sent
            # as the user's, the way MCP clients expect instructions
            role = "assistant" if message.type == "ai" else "user"
            text = types.TextContent(type="text", text=str(message.content))
            messages.append(types.PromptMessage(role=role, content=text))
        return types.GetPromptResult(description=spec.description, messages=messages)

    def low_level_server(self) -> Server[Any]:
        """The SDK server answering tools/list, tools/call, prompts/list, prompts/get."""
        import mcp_types as types
        from mcp.server import Server

        async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
            return types.ListToolsResult(tools=[e.listing for e in self.tools.values()])

        async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            return await self.call(params.name, dict(params.arguments or {}))

        async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
            return types.ListPromptsResult(prompts=self.prompts())

        async def get_prompt(
            ctx: Any, params: types.GetPromptRequestParams
        ) -> types.GetPromptResult:
            try:
                return self.get_prompt(params.name, dict(params.arguments or {}))
            except SpringletError as exc:
                raise ValueError(str(exc)) from None

        return Server(
            "springlet",
            instructions=f"Tools, prompts and agents of springlet workspace {self.ws.root.name}",
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_list_prompts=list_prompts,
            on_get_prompt=get_prompt,
        )


def _typed(spec: PromptSpec, key: str, value: str) -> Any:
    """An MCP prompt argument (always text) as the prompt input's declared type."""
    item: InputSpec | None = spec.input.get(key)
    if item is None or not isinstance(value, str):
        return value
    try:
        if item.type == "integer":
            return int(value)
        if item.type == "number":
            return float(value)
        if item.type == "boolean":
            return value.strip().lower() in ("true", "1", "yes")
        if item.type in ("array", "object"):
            return json.loads(value)
    except ValueError:
        return value  # the prompt's own validation says what is wrong
    return value


def _result(text: str, error: bool) -> mcp_types.CallToolResult:
    import mcp_types as types

    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=error)


def serve_stdio(server: WorkspaceMcpServer) -> None:
    """Serve over this process's stdin/stdout until the client leaves."""
    import anyio
    from mcp.server.stdio import stdio_server

    low = server.low_level_server()

    async def serve() -> None:
        async with stdio_server() as (read, write):
            await low.run(read, write, low.create_initialization_options())

    anyio.run(serve)


def serve_http(server: WorkspaceMcpServer, host: str, port: int) -> None:
    """Serve Streamable HTTP at http://HOST:PORT/mcp until interrupted."""
    import uvicorn

    app = server.low_level_server().streamable_http_app(host=host)
    print(f"springlet MCP server on http://{host}:{port}/mcp", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
