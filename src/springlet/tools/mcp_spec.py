"""`mcp_servers:` of springlet.yaml: how to start (stdio) or reach (Streamable HTTP) an MCP
server, as validated data. Pure data: nothing here starts a process or opens a socket.

`${VAR}`s in `env`, `headers`, `args`, `url` and `cwd` are checked for their spelling at
load time and resolved when the server first starts, so a variable that is not set is
reported then, naming the variable and the server (not at `springlet validate`, where
the variable may legitimately be absent).
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, StringConstraints, field_validator, model_validator

from springlet.spec_base import Spec

VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

McpServerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")]
"""What `mcp_servers:` keys and `- mcp: NAME` may be."""


class McpServerSpec(Spec):
    """One entry of `mcp_servers:`: a stdio server (`command`) or an HTTP one (`url`)."""

    command: str | None = None
    """stdio: the program to start (`python` means the interpreter springlet runs on)."""
    args: list[str] = Field(default_factory=list)
    """stdio: its command-line arguments."""
    env: dict[str, str] = Field(default_factory=dict)
    """stdio: extra environment variables (`${VAR}`s resolve when the server starts)."""
    cwd: str | None = None
    """stdio: the directory it runs in, relative to the workspace (default: the workspace)."""
    url: str | None = None
    """Streamable HTTP: the server's endpoint, e.g. http://127.0.0.1:8765/mcp."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Streamable HTTP: headers sent with every request (`${VAR}`s resolve at start)."""
    timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """The longest wait for the start-up and handshake, and for each tool call."""
    requires_approval: bool | list[str] = False
    """`true`: every tool of this server waits for human approval; or a list of tool
    names or globs (`[delete_*, refund]`) that do."""

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(VARIABLE.sub("x", value))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"'{value}' is not an http(s) URL; write it like http://127.0.0.1:8765/mcp"
            )
        return value

    @field_validator("command", "cwd", "url")
    @classmethod
    def _variables_spelled_right(cls, value: str | None) -> str | None:
        if value is not None:
            _check_variables(value)
        return value

    @field_validator("args")
    @classmethod
    def _arg_variables(cls, value: list[str]) -> list[str]:
        for item in value:
            _check_variables(item)
        return value

    @field_validator("env", "headers")
    @classmethod
    def _mapping_variables(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            _check_variables(item)
        return value

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSpec:
        if (self.command is None) == (self.url is None):
            raise ValueError(
                "an MCP server needs either 'command' (started over stdio) or 'url' "
                "(Streamable HTTP), not both"
                if self.command
                else "an MCP server needs 'command' (stdio) or 'url' (Streamable HTTP)"
            )
        if self.url is not None:
            stray = [k for k in ("args", "env", "cwd") if k in self.model_fields_set]
            if stray:
                raise ValueError(f"'{stray[0]}' is for stdio servers (with 'command'), not 'url'")
        elif "headers" in self.model_fields_set:
            raise ValueError("'headers' is for HTTP servers (with 'url'), not 'command'")
        return self

    @property
    def transport(self) -> str:
        return "stdio" if self.command is not None else "http"

    def approval_needed(self, tool_name: str) -> bool:
        """Whether the server's tool `tool_name` (its own name, unprefixed) needs approval."""
        if isinstance(self.requires_approval, bool):
            return self.requires_approval
        return matches_any(tool_name, self.requires_approval)

    def describe(self) -> str:
        """The command line or URL, for messages (variables unresolved: no secrets)."""
        if self.command is not None:
            return " ".join([self.command, *self.args])
        return str(self.url)


def _check_variables(text: str) -> None:
    if "${" in text and text.count("${") != len(VARIABLE.findall(text)):
        raise ValueError(f"'{text}' has a '${{' without its closing '}}'; write ${{NAME}}")
    for name in VARIABLE.findall(text):
        if not _VARIABLE_NAME.match(name):
            raise ValueError(
                f"'${{{name}}}' is not a variable name; "
                "use letters, digits and _, like ${API_TOKEN}"
            )


class UnsetVariable(Exception):
    """A `${VAR}` of a server's config is not set in the environment."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def expand(text: str, environ: dict[str, str] | None = None) -> str:
    """`text` with every `${VAR}` replaced; UnsetVariable names the first one not set."""
    source = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in source:
            raise UnsetVariable(name)
        return source[name]

    return VARIABLE.sub(value, text)


def matches_any(name: str, patterns: list[str]) -> bool:
    """Whether `name` is one of `patterns` or matches one of them as a glob."""
    return any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)
