"""Fixtures shared by every test package: small workspaces written into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_WORKSPACE = REPO / "examples" / "acme"

WriteWorkspace = Callable[[dict[str, str]], Path]


@pytest.fixture
def example_workspace() -> Path:
    """The example workspace shipped in examples/acme (read-only: copy it to change it)."""
    return EXAMPLE_WORKSPACE


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def write_workspace(tmp_path: Path) -> WriteWorkspace:
    """Write `{relative path: text}` into a fresh workspace directory and return it.

    Texts are dedented, so tests can indent YAML naturally.
    """

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write
