"""`import springlet` and `validate` stay light: no Textual, LangChain agents or llama.cpp."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("textual", "langchain.agents", "langgraph", "llama_cpp", "langchain_ollama", "torch")


def loaded_modules(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_import_springlet_is_light() -> None:
    assert heavy_in(loaded_modules("import springlet")) == []


def test_loading_a_workspace_is_light(example_workspace: Path) -> None:
    code = (
        "from springlet.workspace.loader import load_workspace_files\n"
        "from pathlib import Path\n"
        f"assert not load_workspace_files(Path({str(example_workspace)!r})).problems"
    )
    assert heavy_in(loaded_modules(code)) == []


def test_cli_help_is_light() -> None:
    code = (
        "import sys\nfrom springlet.cli import main\nsys.argv=['springlet','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert heavy_in(loaded_modules(code)) == []


TUI = Path(__file__).resolve().parent.parent / "src" / "springlet" / "tui"
PUBLIC_FOR_TUI = ("springlet", "springlet.workspace", "springlet.agents.events")


def springlet_imports(path: Path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name == "springlet" or name.startswith("springlet.")]


def test_tui_imports_only_the_public_api() -> None:
    """The TUI is a client of springlet like any other: no reaching into internals."""
    wrong = [
        f"{path.relative_to(TUI)}: {name}"
        for path in sorted(TUI.rglob("*.py"))
        for name in springlet_imports(path)
        if name not in PUBLIC_FOR_TUI and not name.startswith("springlet.tui")
    ]
    assert wrong == []


def test_the_core_and_the_cli_import_without_textual() -> None:
    """Every core package imports with Textual blocked (a subprocess)."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'textual' or name.startswith('textual.'):\n"
        "            raise ImportError('textual is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import springlet, springlet.workspace, springlet.agents.events, springlet.cli\n"
        "import springlet.cli.tui_cmd\n"
        "from springlet.settings import WorkspaceSettings\n"
        "assert WorkspaceSettings().tui.keymap.send is None\n"
    )
    assert heavy_in(loaded_modules(code)) == []
