"""Reading `springlet.yaml` on its own: what commands that only need the settings use
(`models`, `traces`), so they never import the workspace's tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from springlet.errors import Problem
from springlet.settings import WorkspaceSettings
from springlet.workspace.validation import validate_document
from springlet.yaml_source import YamlSource, load_yaml

SETTINGS_FILE = "springlet.yaml"


@dataclass(frozen=True)
class SettingsFile:
    """The settings of a workspace, its problems, and the parsed file (None when absent).

    With problems, `settings` keeps every top-level setting that is valid on its own, so
    the rest of the workspace still works.
    """

    settings: WorkspaceSettings
    problems: list[Problem] = field(default_factory=list)
    source: YamlSource | None = None

    def data_dir(self, root: Path) -> Path:
        return (root / self.settings.data_dir).resolve()


def read_settings(
    root: Path, display_root: Path | None = None, *, text: str | None = None
) -> SettingsFile:
    """Read `<root>/springlet.yaml` (or `text` as its content); never raises for what
    is wrong inside it."""
    path = root / SETTINGS_FILE
    if text is None and not path.is_file():
        return SettingsFile(WorkspaceSettings())
    source = load_yaml(path, (display_root or root) / SETTINGS_FILE, text=text)
    if isinstance(source, Problem):
        return SettingsFile(WorkspaceSettings(), [source])
    if source.data is None:
        return SettingsFile(WorkspaceSettings(), source=source)
    result = validate_document(WorkspaceSettings, source, "settings")
    if isinstance(result, list):
        return SettingsFile(_valid_parts(source), result, source)
    return SettingsFile(result, source=source)


def _valid_parts(source: YamlSource) -> WorkspaceSettings:
    data = dict(source.data) if isinstance(source.data, dict) else {}
    kept: dict[str, Any] = {}
    for key, value in data.items():
        try:
            WorkspaceSettings.model_validate({key: value})
        except Exception:
            continue
        kept[key] = value
    return WorkspaceSettings.model_validate(kept)
