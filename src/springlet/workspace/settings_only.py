"""Opening one part of a workspace from its `springlet.yaml` alone.

`springlet traces` and `springlet models` need the data directory or the model settings
only: loading every file would import the workspace's tools (seconds, and their side
effects) for nothing. What is wrong inside springlet.yaml never stops these: the
settings that are valid on their own are used (see `settings_file.read_settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from springlet.errors import WorkspaceError
from springlet.workspace.settings_file import read_settings

if TYPE_CHECKING:
    from springlet.settings import WorkspaceSettings
    from springlet.workspace.models_view import Models
    from springlet.workspace.traces_view import Traces


def read_workspace_settings(root: str | Path) -> WorkspaceSettings:
    """The settings of the workspace at `root` (defaults when it has no springlet.yaml)."""
    return read_settings(Path(root)).settings


def workspace_data_dir(root: str | Path) -> Path:
    """Where the workspace at `root` keeps its traces, memory and indexes."""
    return read_settings(Path(root)).data_dir(Path(root))


def open_traces(root: str | Path) -> Traces:
    """`ws.traces` of the workspace at `root`, without loading its other files."""
    from springlet.workspace.traces_view import Traces

    return Traces(workspace_data_dir(root))


def open_models(root: str | Path) -> Models:
    """`ws.models` of the workspace at `root`, without loading its other files. Unlike
    traces, a springlet.yaml with problems is refused (WorkspaceError listing them): a
    broken `ollama:` setting would otherwise quietly send every request to the default
    host."""
    from springlet.workspace.models_view import Models

    read = read_settings(Path(root))
    if read.problems:
        raise WorkspaceError(
            f"{root}/springlet.yaml has problems (run `springlet validate`)", read.problems
        )
    settings = read.settings
    return Models(lambda: settings)
