"""Finding the `@tool` functions in a workspace's `tools/*.py`.

Each file is imported as its own module under a private package name, so two
workspaces (or two test fixtures) never share module state. An error while importing
one file becomes a `Problem` at the line that raised; the other files still load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from springlet.errors import Location, Problem
from springlet.tools.decorator import SpringletTool


@dataclass
class DiscoveredTools:
    """The tools found in a workspace and where each was defined."""

    tools: dict[str, SpringletTool] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    advisors: dict[str, Any] = field(default_factory=dict)
    """Custom advisor classes/factories registered with `@springlet.advisor`."""
    problems: list[Problem] = field(default_factory=list)


def discover_tools(root: Path, display_root: Path) -> DiscoveredTools:
    """Import every `tools/*.py` below `root` and collect its tools."""
    found = DiscoveredTools()
    tools_dir = root / "tools"
    if not tools_dir.is_dir():
        return found
    package = "springlet_ws_" + hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:10]
    for path in sorted(tools_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        shown = display_root / "tools" / path.name
        module = _import_file(path, f"{package}.{path.stem}", shown, found)
        if module is None:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, SpringletTool):
                _add_tool(value, attr, module, shown, found)
            elif getattr(value, "__springlet_advisor__", None):
                found.advisors[value.__springlet_advisor__] = value
    return found


def _import_file(path: Path, module_name: str, shown: Path, found: DiscoveredTools) -> Any:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        found.problems.append(Problem("cannot import this file", Location(shown)))
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        found.problems.append(
            Problem(
                f"Python syntax error: {exc.msg}",
                Location(shown, exc.lineno or 1, exc.offset or 1),
                code="python-syntax",
            )
        )
        return None
    except Exception as exc:
        sys.modules.pop(module_name, None)
        line = _line_in_file(exc, path)
        found.problems.append(
            Problem(
                f"importing this file raised {type(exc).__name__}: {exc}",
                Location(shown, line, 1),
                hint="tools/*.py are imported when the workspace loads; "
                "fix the error or install the missing package",
                code="python-import",
            )
        )
        return None
    return module


def _line_in_file(exc: BaseException, path: Path) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return (frames[-1].lineno or 1) if frames else 1


def _add_tool(
    tool: SpringletTool, attr: str, module: Any, shown: Path, found: DiscoveredTools
) -> None:
    try:
        line = inspect.getsourcelines(tool.func)[1]
    except (OSError, TypeError):
        line = 1
    location = Location(shown, line, 1)
    if getattr(tool.func, "__module__", None) != module.__name__:
        return  # imported from elsewhere; it is reported where it is defined
    if tool.name in found.tools:
        first = found.locations[tool.name]
        found.problems.append(
            Problem(
                f"duplicate tool name '{tool.name}' (first defined at {first})",
                location,
                hint="tool names must be unique in a workspace; rename one or pass @tool(name=...)",
                code="duplicate-name",
            )
        )
        return
    for message in tool.signature_problems():
        found.problems.append(Problem(message, location, code="tool-signature"))
    found.tools[tool.name] = tool
    found.locations[tool.name] = location
