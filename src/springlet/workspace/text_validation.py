"""`ws.validate_text(path, text)`: the problems an unsaved editor buffer would have if it
were saved at `path` — the workspace is loaded again with the buffer in place of the
file (nothing is written), reusing the tools already imported.

A `tools/*.py` buffer is only compiled, never run: importing it would execute code the
user has not saved yet, with its side effects.
"""

from __future__ import annotations

from pathlib import Path

from springlet.errors import Location, Problem
from springlet.tools.discovery import DiscoveredTools
from springlet.workspace.loaded import LoadedWorkspace


def validate_text(loaded: LoadedWorkspace, path: Path, text: str) -> tuple[Problem, ...]:
    """Problems located in `path` when its content is `text` (see the module doc)."""
    from springlet.workspace.loader import load_workspace_files

    target = (
        (loaded.root / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    )
    if target.suffix == ".py":
        return _python_problems(target, text)
    tools = DiscoveredTools(
        tools=dict(loaded.tools),
        advisors=dict(loaded.advisors),
        problems=[p for p in loaded.problems if p.code.startswith("python")],
    )
    again = load_workspace_files(loaded.root, texts={target: text}, tools=tools)
    return tuple(p for p in again.problems if p.location and _same(p.location.path, target))


def _python_problems(path: Path, text: str) -> tuple[Problem, ...]:
    try:
        compile(text, str(path), "exec")
    except SyntaxError as exc:
        return (
            Problem(
                f"Python syntax error: {exc.msg}",
                Location(path, exc.lineno or 1, exc.offset or 1),
                code="python-syntax",
            ),
        )
    return ()


def _same(shown: Path, target: Path) -> bool:
    return shown.resolve() == target
