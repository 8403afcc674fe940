"""The workspace's definition files as an editor sees them: which there are, their
text, and saving a buffer (the one way a face writes a definition file).

Only definition files are listed and written — agents, prompts, tools, knowledge
collections and the settings — and only inside the workspace root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from springlet.errors import SpringletError

if TYPE_CHECKING:
    from springlet.workspace.workspace import Workspace

FileKind = Literal["agents", "prompts", "tools", "knowledge", "settings"]
Language = Literal["yaml", "python", "text"]

_FOLDERS: tuple[tuple[FileKind, str], ...] = (
    ("agents", "*.y*ml"),
    ("prompts", "*.y*ml"),
    ("tools", "*.py"),
    ("knowledge", "*.y*ml"),
)
SETTINGS_FILE = "springlet.yaml"


@dataclass(frozen=True)
class WorkspaceFile:
    """A definition file: `path` is relative to the workspace root."""

    path: Path
    kind: FileKind
    language: Language

    @property
    def name(self) -> str:
        return self.path.stem


def list_workspace_files(ws: Workspace) -> list[WorkspaceFile]:
    """The definition files, settings first, then each folder's files by name."""
    root = ws.root
    found: list[WorkspaceFile] = []
    if (root / SETTINGS_FILE).is_file():
        found.append(WorkspaceFile(Path(SETTINGS_FILE), "settings", "yaml"))
    for kind, pattern in _FOLDERS:
        for path in sorted((root / kind).glob(pattern)):
            if path.is_file():
                relative = path.relative_to(root)
                found.append(WorkspaceFile(relative, kind, _language(path)))
    return found


def read_workspace_file(ws: Workspace, path: Path | str) -> str:
    """The text of a definition file."""
    target = _inside(ws, path)
    try:
        return target.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SpringletError(
            f"cannot read {path}: {exc.strerror or exc}", hint="is the file still there?"
        ) from None


def save_workspace_file(ws: Workspace, path: Path | str, text: str) -> Path:
    """Write `text` to the definition file `path` (created if new); its absolute path.
    Reload the workspace afterwards (`ws.reload()`) to use it."""
    target = _inside(ws, path)
    if target.suffix not in (".yaml", ".yml", ".py"):
        raise SpringletError(
            f"{path} is not a definition file", hint="only .yaml, .yml and .py files are saved"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SpringletError(
            f"cannot save {path}: {exc.strerror or exc}",
            hint="check the file's permissions and the free disk space",
        ) from None
    return target


def _inside(ws: Workspace, path: Path | str) -> Path:
    root = ws.root.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise SpringletError(
            f"{path} is outside the workspace {root}", hint="give a path inside the workspace"
        )
    return target


def _language(path: Path) -> Language:
    if path.suffix == ".py":
        return "python"
    if path.suffix in (".yaml", ".yml"):
        return "yaml"
    return "text"
