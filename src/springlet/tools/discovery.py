"""Finding the `@tool` functions in a workspace's `tools/*.py`.

Each file is imported as its own module under a private package name, so two
workspaces (or two test fixtures) never share module state. An error while importing
one file (SystemExit and KeyboardInterrupt included) becomes a `Problem` at the line that
raised; the other files still load. A file that would end or hang the process at import
(os._exit, a sleep) is found by vetting it in a subprocess first (springlet.tools.vetting)
and reported without being imported here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from springlet.errors import Location, Problem
from springlet.tools.decorator import SpringletTool
from springlet.tools.vetting import vet


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
    paths = [p for p in sorted(tools_dir.glob("*.py")) if not p.name.startswith("_")]
    fatal = vet(paths)  # what would end or hang this process is never imported here
    for path in paths:
        shown = display_root / "tools" / path.name
        if path in fatal:
            found.problems.append(
                Problem(
                    f"importing this file {fatal[path]}",
                    Location(shown, 1, 1),
                    hint="tools/*.py are imported when the workspace loads; do the work "
                    "inside the tool functions, not at import",
                    code="python-import",
                )
            )
            continue
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
        with _real_ctrl_c_noticed() as ctrl_c:
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
    except BaseException as exc:  # SystemExit, KeyboardInterrupt: still this file's error
        sys.modules.pop(module_name, None)
        if ctrl_c.pressed:  # the user's own Ctrl-C stops the command, it is no file's fault
            raise
        line = _line_in_file(exc, path)
        detail = f": {exc}" if str(exc) else ""
        found.problems.append(
            Problem(
                f"importing this file raised {type(exc).__name__}{detail}",
                Location(shown, line, 1),
                hint="tools/*.py are imported when the workspace loads; "
                "fix the error or install the missing package",
                code="python-import",
            )
        )
        return None
    return module


class _CtrlC:
    pressed = False


@contextmanager
def _real_ctrl_c_noticed() -> Iterator[_CtrlC]:
    """Tells a KeyboardInterrupt from the user's Ctrl-C (a SIGINT) from one a module raises
    itself; only the main thread receives signals, elsewhere there is nothing to tell."""
    noticed = _CtrlC()
    if threading.current_thread() is not threading.main_thread():
        yield noticed
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        noticed.pressed = True
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not allowed here (an embedding application's thread setup)
        yield noticed
        return
    try:
        yield noticed
    finally:
        signal.signal(signal.SIGINT, previous)


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
