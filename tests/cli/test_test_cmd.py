"""`springlet test`: tests: cases of prompts and agents on scripted models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from springlet.cli import main
from springlet.cli.test_cmd import check_expectation
from springlet.prompts.spec import ExpectSpec
from springlet.testing import Reply, register_script, unregister_script


@pytest.fixture
def script() -> Iterator[str]:
    name = f"tc{uuid.uuid4().hex[:8]}"
    yield name
    unregister_script(name)


def write_workspace(root: Path, script: str) -> None:
    (root / "agents").mkdir()
    (root / "prompts").mkdir()
    (root / "prompts" / "echo.yaml").write_text(
        f"name: echo\ndescription: Echoes.\nmodel: scripted:{script}\n"
        "input:\n  text: {type: string}\n"
        "messages:\n  - role: user\n    content: 'echo: {{ text }}'\n"
        "tests:\n"
        "  - input: {text: cat}\n    expect: {contains: [CAT]}\n"
        "  - name: wrong\n    input: {text: dog}\n    expect: {contains: [cat]}\n"
    )
    (root / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: d\nmodel: scripted:{script}\ninstructions: i\n"
        "tests:\n  - input: {message: hello}\n    expect: {matches: '^echo|hello$'}\n"
    )


def test_cases_run_and_the_table_says_which_failed(tmp_path: Path, script: str) -> None:
    register_script(script, lambda messages, tools: Reply(str(messages[-1].content)))  # type: ignore[attr-defined]
    write_workspace(tmp_path, script)
    result = CliRunner().invoke(main, ["test", "-w", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "PASS" in line or "FAIL" in line]
    assert len(lines) == 3
    assert "FAIL" in next(line for line in lines if "wrong" in line)
    assert "does not contain 'cat'" in result.stdout
    assert result.stdout.strip().endswith("2 passed, 1 failed")


def test_only_named_cases_run(tmp_path: Path, script: str) -> None:
    register_script(script, lambda messages, tools: Reply(str(messages[-1].content)))  # type: ignore[attr-defined]
    write_workspace(tmp_path, script)
    result = CliRunner().invoke(main, ["test", "-w", str(tmp_path), "a"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "1 passed, 0 failed" in result.stdout
    missing = CliRunner().invoke(main, ["test", "-w", str(tmp_path), "nope"])
    assert missing.exit_code == 2


def test_expectations_on_structured_answers() -> None:
    expect = ExpectSpec(fields={"summary": "ok"}, not_contains=["bad"])
    assert list(check_expectation(expect, {"summary": "ok"})) == []
    assert list(check_expectation(expect, {"summary": "bad"})) == [
        "contains 'bad'",
        "field summary is 'bad', expected 'ok'",
    ]
    assert list(check_expectation(ExpectSpec(equals="x"), " x\n")) == []


def test_model_option_runs_every_case_on_that_model(tmp_path: Path, script: str) -> None:
    write_workspace(tmp_path, "not-registered")  # the files name a model that is not there
    register_script(script, lambda messages, tools: Reply("cat"))
    args = ["test", "-w", str(tmp_path), "--model", f"scripted:{script}", "echo"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert "2 passed, 0 failed" in result.stdout
    assert result.exit_code == 0
    bad = CliRunner().invoke(main, ["test", "-w", str(tmp_path), "--model", "nope:x"])
    assert bad.exit_code == 2
