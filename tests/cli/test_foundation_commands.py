"""`springlet validate`, `init` and `schema`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from springlet.cli import main


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_validate_example_workspace_passes(example_workspace: Path) -> None:
    code, out, _ = run_cli("validate", "-w", str(example_workspace))
    assert code == 0
    assert out.strip() == (
        f"{example_workspace}: valid (5 agents, 2 prompts, 2 tools, 1 collections)"
    )


def test_validate_reports_problems_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "a.yaml").write_text(
        "name: a\ndescription: d\ninstructions: i\nmodle: auto\n"
    )
    code, out, err = run_cli("validate", "-w", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path}/agents/a.yaml:4:1: unknown key 'modle' (did you mean 'model'?)"
    ]
    assert "1 problem in" in err


def test_validate_json_for_machines(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "p.yaml").write_text("name: p\n")
    code, out, _ = run_cli("validate", "--json", "-w", str(tmp_path))
    payload = json.loads(out)
    assert code == 1
    assert payload["valid"] is False
    assert payload["problems"][0] == {
        "path": f"{tmp_path}/prompts/p.yaml",
        "line": 1,
        "col": 1,
        "severity": "error",
        "code": "missing-key",
        "message": "missing required key 'description'",
        "hint": "add 'description: ...'",
    }


def test_workspace_from_environment_variable(example_workspace: Path) -> None:
    code, out, _ = run_cli("validate", env={"SPRINGLET_WORKSPACE": str(example_workspace)})
    assert code == 0
    assert "valid" in out


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run_cli("validate", "-w", str(tmp_path / "nope"))
    assert code == 1
    assert "workspace directory" in err and "does not exist" in err
    assert "springlet init" in err


def test_init_scaffolds_a_valid_workspace_with_schema_comments(tmp_path: Path) -> None:
    target = tmp_path / "new"
    code, out, _ = run_cli("init", str(target))
    assert code == 0
    assert f"created a workspace in {target}" in out
    assert run_cli("validate", "-w", str(target))[0] == 0
    first_line = (target / "agents" / "assistant.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schemas/agent.schema.json"
    assert (target / "schemas" / "agent.schema.json").is_file()
    code, _, err = run_cli("init", str(target))
    assert code == 1
    assert "--force" in err


KIND_OF = {"agents": "agent", "prompts": "prompt", "knowledge": "collection"}


def example_files(root: Path) -> list[tuple[Path, str]]:
    files = [(root / "springlet.yaml", "settings")]
    for folder, kind in KIND_OF.items():
        files += [(p, kind) for p in sorted((root / folder).glob("*.yaml"))]
    return files


@pytest.mark.parametrize("kind", ["settings", "prompt", "agent", "collection"])
def test_schema_command_prints_json_schema(kind: str) -> None:
    code, out, _ = run_cli("schema", kind)
    schema = json.loads(out)
    assert code == 0
    jsonschema.Draft202012Validator.check_schema(schema)


def test_example_files_validate_against_the_published_schemas(example_workspace: Path) -> None:
    """What an editor checks with yaml-language-server agrees with what springlet loads."""
    yaml = YAML(typ="safe")
    for path, kind in example_files(example_workspace):
        schema = json.loads((example_workspace / "schemas" / f"{kind}.schema.json").read_text())
        data = yaml.load(path.read_text())
        jsonschema.validate(data, schema)


def test_published_schema_rejects_a_typo(example_workspace: Path) -> None:
    schema = json.loads((example_workspace / "schemas" / "agent.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"name": "a", "description": "d", "instructions": "i", "limts": {}}, schema
        )


def test_committed_schemas_are_up_to_date(example_workspace: Path, tmp_path: Path) -> None:
    run_cli("schema", "-o", str(tmp_path))
    for fresh in tmp_path.glob("*.json"):
        assert fresh.read_text() == (example_workspace / "schemas" / fresh.name).read_text(), (
            f"regenerate with: springlet schema -o {example_workspace}/schemas"
        )


def test_python_dash_m_springlet_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "springlet", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=True,
    ).stdout
    assert "validate" in out and "Commands" in out


@pytest.mark.parametrize("command", [["traces", "list"], ["models", "fit", "x:1b", "--json"]])
def test_settings_only_commands_never_import_workspace_tools(
    tmp_path: Path, command: list[str]
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "side_effect.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "springlet.yaml").write_text(
        "data_dir: state\nollama: {host: 'http://127.0.0.1:9', timeout_s: 0.5}\n"
    )
    run_cli(*command, "-w", str(tmp_path))
    assert not marker.exists()
