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
