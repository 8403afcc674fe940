"""The "Local models" examples of docs/FORMAT.md load exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

from springlet.agents.spec import AgentSpec
from springlet.settings import WorkspaceSettings

FORMAT = Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md"


def _blocks() -> list[str]:
    section = FORMAT.read_text(encoding="utf-8").split("## Local models", 1)[1]
    return re.findall(r"^```yaml\n(.*?)^```$", section, flags=re.M | re.S)


def test_the_local_model_examples_load() -> None:
    agent_yaml, settings_yaml = _blocks()[:2]
    yaml = YAML(typ="safe")
    agent = AgentSpec.model_validate(yaml.load(agent_yaml))
    assert [str(r) for r in agent.model.chain] == [  # type: ignore[union-attr]
        "ollama:qwen3:8b",
        "ollama@gpu2:qwen3:8b",
        "embedded:smollm2",
    ]
    assert agent.think == "low" and agent.compaction.enabled
    settings = WorkspaceSettings.model_validate(yaml.load(settings_yaml))
    assert settings.ollama.hosts == {"gpu2": "http://gpu2.internal:11434"}


def test_compaction_false_turns_it_off() -> None:
    spec = AgentSpec.model_validate(
        {"name": "a", "description": "d", "instructions": "i", "compaction": False}
    )
    assert not spec.compaction.enabled
