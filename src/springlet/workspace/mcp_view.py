"""What an MCP server of the workspace offers: its tools, prompts and resources, read
from the running server (it is started for this) — for `springlet mcp list NAME` and UIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from springlet._runtime import runtime_loop

if TYPE_CHECKING:
    from springlet.tools.mcp_toolset import McpServers


@dataclass(frozen=True)
class McpEntry:
    """One tool, prompt or resource (by URI) of an MCP server."""

    name: str
    description: str | None = None


@dataclass(frozen=True)
class McpServerContents:
    """Everything one MCP server lists."""

    server: str
    tools: tuple[McpEntry, ...] = ()
    prompts: tuple[McpEntry, ...] = ()
    resources: tuple[McpEntry, ...] = ()

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        def rows(entries: tuple[McpEntry, ...]) -> list[dict[str, Any]]:
            return [{"name": e.name, "description": e.description} for e in entries]

        return {
            "tools": rows(self.tools),
            "prompts": rows(self.prompts),
            "resources": rows(self.resources),
        }


def describe_mcp_server(servers: McpServers, name: str) -> McpServerContents:
    """`adescribe_mcp_server` for sync callers (runs on springlet's runtime loop, where
    the server's session lives)."""
    return runtime_loop.run_sync(adescribe_mcp_server(servers, name))


async def adescribe_mcp_server(servers: McpServers, name: str) -> McpServerContents:
    """The tools, prompts and resources server `name` lists (prompts and resources only
    when it declares those capabilities)."""
    connection = servers.connection(name)
    tools = tuple(McpEntry(t.name, t.description) for t in await connection.list_tools())
    capabilities = await connection.request("capabilities", _capabilities)
    prompts: tuple[McpEntry, ...] = ()
    resources: tuple[McpEntry, ...] = ()
    if capabilities.prompts is not None:
        listed = await connection.request("prompts/list", lambda c: c.list_prompts())
        prompts = tuple(McpEntry(p.name, p.description) for p in listed.prompts)
    if capabilities.resources is not None:
        found = await connection.request("resources/list", lambda c: c.list_resources())
        resources = tuple(McpEntry(str(r.uri), r.description or r.name) for r in found.resources)
    return McpServerContents(name, tools, prompts, resources)


async def _capabilities(client: Any) -> Any:
    return client.server_capabilities


def read_mcp_resources(servers: McpServers, name: str, uri: str) -> list[tuple[str, str]]:
    """`aread_mcp_resources` for sync callers (an ingest runs in the caller's thread)."""
    return runtime_loop.run_sync(aread_mcp_resources(servers, name, uri))


async def aread_mcp_resources(servers: McpServers, name: str, uri: str) -> list[tuple[str, str]]:
    """The text of each resource of server `name` whose URI is `uri` or matches it as a
    glob, as (uri, text), in URI order (binary contents are left out)."""
    from fnmatch import fnmatchcase

    connection = servers.connection(name)
    listed = await connection.request("resources/list", lambda c: c.list_resources())
    uris = sorted(str(r.uri) for r in listed.resources if fnmatchcase(str(r.uri), uri))
    read: list[tuple[str, str]] = []
    for found in uris:
        result = await connection.request(
            f"resources/read {found}", lambda c, u=found: c.read_resource(u)
        )
        parts = [c.text for c in result.contents if isinstance(getattr(c, "text", None), str)]
        read.append((found, "\n".join(parts)))
    return read
