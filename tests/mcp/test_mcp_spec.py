"""`mcp_servers:` and `- mcp: NAME` in the files: what loads, and where mistakes are reported."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from springlet.tools.mcp_spec import UnsetVariable, expand, matches_any
from springlet.workspace.loader import load_workspace_files

AGENT = """
name: clerk
description: d
instructions: i
tools:
  - mcp: crm
    include: ["find_*"]
    prefix: crm_
  - mcp: files
    exclude: [delete]
"""

SETTINGS = """
mcp_servers:
  files:
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", ./docs]
    env: {TOKEN: "${FILES_TOKEN}"}
    timeout_s: 30
  crm:
    url: http://127.0.0.1:8765/mcp
    headers: {Authorization: "Bearer ${CRM_TOKEN}"}
    requires_approval: true
"""


def messages(root: Path) -> list[str]:
    return [str(p) for p in load_workspace_files(root).problems]


def test_the_format_examples_load(write_workspace):
    root = write_workspace({"springlet.yaml": SETTINGS, "agents/clerk.yaml": AGENT})
    loaded = load_workspace_files(root)
    assert loaded.problems == ()
    files, crm = loaded.settings.mcp_servers["files"], loaded.settings.mcp_servers["crm"]
    assert files.transport == "stdio" and files.env == {"TOKEN": "${FILES_TOKEN}"}
    assert crm.transport == "http" and crm.approval_needed("anything")
    ref = loaded.agents["clerk"].tools[0]
    assert (ref.kind, ref.name, ref.include, ref.prefix) == ("mcp", "crm", ["find_*"], "crm_")


def test_an_unknown_server_is_located_with_a_did_you_mean(write_workspace):
    root = write_workspace(
        {"springlet.yaml": SETTINGS, "agents/clerk.yaml": AGENT.replace("mcp: crm", "mcp: crn")}
    )
    (problem,) = messages(root)
    assert "agents/clerk.yaml:5:5: unknown MCP server 'crn'" in problem
    assert "did you mean 'crm'?" in problem


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("    url: ftp://host/mcp\n", "springlet.yaml:3:10: mcp_servers.crm.url: 'ftp://host/"),
        ("    url: http://x/mcp\n    args: [a]\n", "'args' is for stdio servers"),
        ("    command: srv\n    headers: {A: b}\n", "'headers' is for HTTP servers"),
        ("    args: [a]\n", "needs 'command' (stdio) or 'url'"),
        ("    command: srv\n    timeout: 3\n", "springlet.yaml:4:5: unknown key 'timeout'"),
        ("    command: srv\n    env: {A: '${1X}'}\n", "'${1X}' is not a variable name"),
        ("    command: srv\n    env: {A: '${X'}\n", "without its closing"),
        ("    command: srv\n    timeout_s: 0\n", "springlet.yaml:4:16"),
    ],
)
def test_bad_server_entries_are_located(write_workspace, entry, expected):
    root = write_workspace({"springlet.yaml": "mcp_servers:\n  crm:\n" + entry})
    found = messages(root)
    assert len(found) == 1 and expected in found[0], found


def test_a_bad_server_entry_is_not_also_an_unknown_server(write_workspace):
    root = write_workspace(
        {
            "springlet.yaml": "mcp_servers:\n  crm:\n    url: nope\n",
            "agents/clerk.yaml": AGENT.replace("  - mcp: files\n    exclude: [delete]\n", ""),
        }
    )
    found = messages(root)
    assert len(found) == 1 and "not an http(s) URL" in found[0]


def test_bad_mcp_tool_entries_are_located(write_workspace):
    agent = """
    name: clerk
    description: d
    instructions: i
    tools:
      - mcp: crm
        includ: [x]
      - mcp: files
        include: [a]
        exclude: [a]
      - mcp: crm
        prefix: "crm tools"
    """
    root = write_workspace({"springlet.yaml": SETTINGS, "agents/clerk.yaml": agent})
    found = messages(root)
    assert any("clerk.yaml:6:5: unknown key 'includ'" in m for m in found), found
    assert any("'a' is both included and excluded" in m for m in found), found
    assert any("clerk.yaml:11:13" in m for m in found), found


def test_approval_may_name_tools_of_an_mcp_server(write_workspace):
    agent = AGENT + "advisors:\n  - approval: {tools: [crm_delete]}\n"
    root = write_workspace({"springlet.yaml": SETTINGS, "agents/clerk.yaml": agent})
    assert messages(root) == []


def test_the_published_schemas_accept_the_format_examples(repo_root):
    schemas = repo_root / "examples" / "acme" / "schemas"
    yaml = YAML(typ="safe")
    for kind, text in (("settings", SETTINGS), ("agent", AGENT)):
        schema = json.loads((schemas / f"{kind}.schema.json").read_text())
        jsonschema.validate(yaml.load(text), schema)
    agent = yaml.load(AGENT)
    agent["tools"][0]["inclde"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(agent, json.loads((schemas / "agent.schema.json").read_text()))


def test_variables_expand_and_name_what_is_missing():
    assert expand("Bearer ${T}", {"T": "abc"}) == "Bearer abc"
    with pytest.raises(UnsetVariable) as caught:
        expand("${A}-${B}", {"A": "1"})
    assert caught.value.name == "B"
    assert matches_any("find_order", ["find_*"]) and not matches_any("delete", ["find_*"])


def test_describe_agent_names_the_server_without_starting_it(write_workspace):
    from springlet import load_workspace

    root = write_workspace({"springlet.yaml": SETTINGS, "agents/clerk.yaml": AGENT})
    with load_workspace(root, tracing=False) as ws:
        assert ws.describe_agent("clerk").tools == ("mcp: crm", "mcp: files")
