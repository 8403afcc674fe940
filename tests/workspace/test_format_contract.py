"""FORMAT.md is the contract: its examples, and the example workspace, load exactly as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from springlet.agents.spec import AgentSpec, RouterSpec
from springlet.workspace.loader import load_workspace_files

WriteWorkspace = Callable[[dict[str, str]], Path]


def _format_blocks(format_md: Path) -> dict[str, str]:
    """The fenced YAML/Python blocks of FORMAT.md, keyed by the heading above them."""
    text = format_md.read_text(encoding="utf-8")
    blocks: dict[str, str] = {}
    heading = ""
    for part in re.split(r"(^## .*?$|^```\w*\n.*?^```$)", text, flags=re.M | re.S):
        if part.startswith("## "):
            heading = part[3:].strip()
        elif part.startswith("```"):
            body = part.split("\n", 1)[1].rsplit("```", 1)[0]
            blocks.setdefault(heading, "")
            blocks[heading] += body + "\x00"
    return blocks


def test_example_workspace_is_valid(example_workspace: Path) -> None:
    loaded = load_workspace_files(example_workspace)
    assert [str(p) for p in loaded.problems] == []
    assert set(loaded.agents) == {"helpdesk", "translator", "front-desk", "orders", "stock"}
    assert isinstance(loaded.agents["front-desk"], RouterSpec)
    helpdesk = loaded.agents["helpdesk"]
    assert isinstance(helpdesk, AgentSpec)
    assert [str(t) for t in helpdesk.tools] == [
        "get_order_status",
        "refund_order",
        "prompt: summarize",
        "agent: translator",
    ]
    assert [a.name for a in helpdesk.advisors] == ["memory", "approval", "retry"]
    assert loaded.tools["refund_order"].requires_approval is True
    assert loaded.tools["refund_order"].timeout_s == 10
    # every input type is exercised by the example prompts
    types = {i.type for p in loaded.prompts.values() for i in p.input.values()}
    assert types == {"string", "integer", "number", "boolean", "array", "object"}


def test_format_md_examples_load_exactly_as_written(
    write_workspace: WriteWorkspace, repo_root: Path
) -> None:
    blocks = _format_blocks(repo_root / "docs" / "FORMAT.md")
    assert len(blocks) >= 6, "docs/FORMAT.md lost its examples"
    yaml_of = {k: v.split("\x00") for k, v in blocks.items()}
    settings = yaml_of["springlet.yaml (workspace settings, optional file)"][0]
    prompt = yaml_of["prompts/<name>.yaml"][0]
    tools = yaml_of["tools/<module>.py"][0].replace("    ...", "    return 'ok'")
    helpdesk, translator = yaml_of["agents/<name>.yaml"][:2]
    collection = yaml_of[
        "knowledge/<collection>.yaml (or a `collections:` list in springlet.yaml)"
    ][0]
    router = yaml_of["router (optional agent kind)"][0]
    root = write_workspace(
        {
            "springlet.yaml": settings,
            "prompts/summarize.yaml": prompt,
            "tools/orders.py": tools,
            "agents/helpdesk.yaml": helpdesk,
            "agents/translator.yaml": translator,
            "agents/front-desk.yaml": router,
            "knowledge/manual.yaml": collection,
            "knowledge/manual/a.md": "# A\n",
        }
    )
    loaded = load_workspace_files(root)
    assert [str(p) for p in loaded.problems] == []
    assert loaded.usable_agents == ["front-desk", "helpdesk", "translator"]
    assert loaded.collections["manual"].splitter.chunk_overlap == 100
    assert str(loaded.settings.embeddings) == "embedded:all-minilm"


def test_workspace_paths_in_problems_are_as_given(write_workspace: WriteWorkspace) -> None:
    root = write_workspace({"agents/a.yaml": "name: a\n"})
    loaded = load_workspace_files(root)
    assert loaded.problems[0].location is not None
    assert loaded.problems[0].location.path == Path(root, "agents", "a.yaml")


def test_the_v1_1_additions_load_exactly_as_written(write_workspace: WriteWorkspace) -> None:
    # FORMAT.md's "Additions of v1.1": one springlet.yaml and one agent, as the team agreed
    blocks = _format_blocks(Path(__file__).parents[2] / "docs" / "FORMAT.md")
    settings, agent = [
        b
        for b in blocks[
            "Additions of v1.1 (spelled here so every part of springlet agrees on them)"
        ].split("\x00")
        if b.strip()
    ]
    agent = (
        "name: v11\ndescription: The v1.1 agent.\ninstructions: Help.\n" + agent.split("\n", 1)[1]
    )
    root = write_workspace({"springlet.yaml": settings, "agents/v11.yaml": agent})
    loaded = load_workspace_files(root)
    assert [str(p) for p in loaded.problems] == []
    spec = loaded.agents["v11"]
    assert isinstance(spec, AgentSpec)
    assert spec.compaction_options().max_tool_result_tokens == 2000
    assert loaded.settings.tui.keymap.send == "enter"
    assert loaded.settings.tui.keymap.command_palette == "ctrl+p"
    assert loaded.settings.knowledge.auto_ingest == "missing"
    assert set(loaded.settings.mcp_servers) == {"files", "crm"}
