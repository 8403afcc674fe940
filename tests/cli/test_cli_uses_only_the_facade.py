"""The CLI is built on the facade only: every import in src/springlet/cli (module level,
inside functions and under TYPE_CHECKING alike) names `springlet` (the public API),
`springlet.errors`, `springlet.agents.events` (the public event vocabulary),
`springlet.workspace` or one of its modules, `springlet.cli.*`, or — from cli/tui_cmd.py
and cli/mcp_cmd.py only — the other faces `springlet.tui` and `springlet.mcp`. What the
CLI needs from tracing, rag, models, prompts, agents or settings it gets through
`springlet.workspace`, so the TUI (built on the same facade) can do all the CLI does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import springlet

CLI = Path(springlet.__file__).parent / "cli"

ALLOWED_EXACT = {"springlet", "springlet.errors", "springlet.agents.events"}
ALLOWED_PACKAGES = ("springlet.workspace", "springlet.cli")
ONLY_FROM = {"springlet.tui": {"tui_cmd.py"}, "springlet.mcp": {"mcp_cmd.py"}}
"""Packages one CLI module may import and no other."""


def springlet_imports(source: str, module: str) -> list[tuple[int, str]]:
    """(line, module) of every springlet import in `source`, wherever it stands; `module`
    is the importing module's dotted name (to resolve relative imports)."""
    package = module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
                found.extend(_from_names(node, target))
            elif node.module:
                found.extend(_from_names(node, node.module))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            found.append((node.lineno, node.args[0].value))  # type: ignore[attr-defined]
    return [(line, name) for line, name in found if name.split(".")[0] == "springlet"]


def _from_names(node: ast.ImportFrom, target: str) -> list[tuple[int, str]]:
    """`from springlet.agents import events` imports the module springlet.agents.events,
    `from springlet import tracing` the package springlet.tracing; a name that is no
    module (`from springlet import Agent`) counts as an import of `target` itself."""
    return [
        (node.lineno, f"{target}.{alias.name}" if _is_module(target, alias.name) else target)
        for alias in node.names
    ]


def _is_module(package: str, name: str) -> bool:
    if package.split(".")[0] != "springlet":
        return False
    folder = Path(springlet.__file__).parent.joinpath(*package.split(".")[1:], name)
    return folder.is_dir() or folder.with_suffix(".py").is_file()


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return (
        name in ("import_module", "__import__")
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def violations(source: str, filename: str) -> list[str]:
    """What `source` (the text of cli/`filename`) imports that the CLI may not."""
    module = f"springlet.cli.{filename.removesuffix('.py')}"
    bad = []
    for line, name in springlet_imports(source, module):
        if name in ALLOWED_EXACT or any(
            name == p or name.startswith(p + ".") for p in ALLOWED_PACKAGES
        ):
            continue
        owner = next((p for p in ONLY_FROM if name == p or name.startswith(p + ".")), None)
        if owner is not None and filename in ONLY_FROM[owner]:
            continue
        bad.append(f"cli/{filename}:{line}: imports {name}")
    return bad


NOT_YET: set[str] = set()
"""Modules allowed to break the rule for now: none."""


def test_every_cli_module_imports_only_the_facade() -> None:
    paths = sorted(p for p in CLI.glob("*.py") if p.name not in NOT_YET)
    assert len(paths) > 10, f"found only {len(paths)} CLI modules in {CLI}"
    found = [v for path in paths for v in violations(path.read_text("utf-8"), path.name)]
    assert not found, "the CLI imports past the facade:\n" + "\n".join(found)


def test_an_exception_is_removed_once_its_module_is_clean() -> None:
    clean = [name for name in NOT_YET if not violations((CLI / name).read_text("utf-8"), name)]
    assert not clean, f"{clean} import only the facade now: remove them from NOT_YET"


def test_the_reader_sees_imports_wherever_they_stand() -> None:
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import springlet
from springlet.errors import SpringletError
from springlet.workspace.traces_view import Traces
from springlet import tracing, Agent
if TYPE_CHECKING:
    from springlet.models.reference import ModelRef

def command() -> None:
    import springlet.rag.store
    from springlet.agents import events, runnable
    from springlet.agents.agent import Agent
    from ..settings import WorkspaceSettings
    from springlet.tui import run_app

def later() -> None:
    importlib.import_module("springlet.prompts.inputs")
"""
    assert violations(source, "some_cmd.py") == [
        "cli/some_cmd.py:7: imports springlet.tracing",
        "cli/some_cmd.py:9: imports springlet.models.reference",
        "cli/some_cmd.py:12: imports springlet.rag.store",
        "cli/some_cmd.py:13: imports springlet.agents.runnable",
        "cli/some_cmd.py:14: imports springlet.agents.agent",
        "cli/some_cmd.py:15: imports springlet.settings",
        "cli/some_cmd.py:16: imports springlet.tui",
        "cli/some_cmd.py:19: imports springlet.prompts.inputs",
    ]


def test_the_ui_may_be_imported_by_the_tui_command_only() -> None:
    source = "def tui() -> None:\n    from springlet.tui import run_app\n"
    assert violations(source, "tui_cmd.py") == []
    assert violations(source, "run_cmd.py") == ["cli/run_cmd.py:2: imports springlet.tui"]
