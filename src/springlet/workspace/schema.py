"""JSON Schemas of the workspace file kinds, generated from the specs.

Editors validate YAML against them through yaml-language-server's
`# yaml-language-server: $schema=...` comment, which `springlet init` writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FILE_KINDS = ("settings", "prompt", "agent", "collection")


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one file kind (`settings`, `prompt`, `agent`, `collection`)."""
    from pydantic import TypeAdapter

    from springlet.agents.spec import AgentSpec, RouterSpec
    from springlet.prompts.spec import PromptSpec
    from springlet.rag.spec import CollectionSpec
    from springlet.settings import WorkspaceSettings

    specs: dict[str, Any] = {
        "settings": WorkspaceSettings,
        "prompt": PromptSpec,
        "agent": AgentSpec | RouterSpec,
        "collection": CollectionSpec,
    }
    if kind not in specs:
        raise ValueError(f"unknown file kind {kind!r}; choose one of {', '.join(FILE_KINDS)}")
    schema: dict[str, Any] = TypeAdapter(specs[kind]).json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"springlet {kind} file"
    return _yaml_friendly(schema)


def _yaml_friendly(schema: dict[str, Any]) -> dict[str, Any]:
    """Tool and advisor entries are written as strings or one-key mappings in YAML."""
    defs = schema.get("$defs", {})
    if "ToolRef" in defs:
        defs["ToolRef"] = {
            "description": "a tool name, 'prompt: NAME', 'agent: NAME' or 'mcp: SERVER'",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {"prompt": {"type": "string"}},
                    "required": ["prompt"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"agent": {"type": "string"}},
                    "required": ["agent"],
                    "additionalProperties": False,
                },
                _MCP_TOOLS_ENTRY,
            ],
        }
    if "AdvisorRef" in defs:
        builtin = {
            name: {"anyOf": [{"$ref": f"#/$defs/{ref}"}, {"type": "null"}]}
            for name, ref in (
                ("memory", "MemoryOptions"),
                ("approval", "ApprovalOptions"),
                ("retry", "RetryOptions"),
            )
        }
        defs["AdvisorRef"] = {
            "description": "'NAME' or 'NAME: {options}', e.g. 'memory: {window: 20}'",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "properties": builtin,
                    "additionalProperties": {"type": ["object", "null"]},
                },
            ],
        }
    return schema


_MCP_TOOLS_ENTRY: dict[str, Any] = {
    "type": "object",
    "description": "the tools of a server under mcp_servers: in springlet.yaml",
    "properties": {
        "mcp": {"type": "string"},
        "include": {"type": "array", "items": {"type": "string"}},
        "exclude": {"type": "array", "items": {"type": "string"}},
        "prefix": {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"},
    },
    "required": ["mcp"],
    "additionalProperties": False,
}


def write_schemas(directory: Path) -> list[Path]:
    """Write `<kind>.schema.json` for every file kind into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in FILE_KINDS:
        path = directory / f"{kind}.schema.json"
        path.write_text(json.dumps(json_schema(kind), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
