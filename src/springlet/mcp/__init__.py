"""springlet as an MCP server: a workspace's tools, prompts, agents and knowledge for any
MCP client (`springlet mcp serve`), built on the official `mcp` SDK's low-level `Server`.

- each Python tool of tools/*.py is an MCP tool (its schema from its type hints); tools
  that require approval are left out unless `expose_approval_tools` is set, because an
  MCP client calls them with nobody to approve;
- each prompt template is an MCP prompt, its inputs the prompt's arguments;
- each usable agent is a tool `ask_<agent>` taking a `question` and an optional
  `session_id` (agents with memory remember the session);
- `search_knowledge` searches the workspace's collections, when it has any.

What the tools do runs on springlet's runtime loop, as every run does; the server's
own loop only waits for it.
"""

from __future__ import annotations

from springlet.mcp.server import WorkspaceMcpServer, serve_http, serve_stdio

__all__ = ["WorkspaceMcpServer", "serve_http", "serve_stdio"]
