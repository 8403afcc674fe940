"""The workspace and its typed facade: `ws.sessions`, `ws.traces`, `ws.knowledge`,
`ws.models`, `ws.reload()`, `ws.watch()`, `ws.validate_text()`, `ws.describe_agent()`.

The facade's types are importable from here (and from `springlet`); each is loaded on
first access, so importing springlet stays cheap (the knowledge part needs numpy).

Parts of a workspace opened from springlet.yaml alone (fast: no tool is imported) are
in `springlet.workspace.settings_only` (`open_traces`, `open_models`,
`read_workspace_settings`).
The CLI imports only this package, `springlet`, `springlet.errors` and
`springlet.agents.events` (tests/cli/test_cli_uses_only_the_facade.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from springlet.models.fit import FitEstimate
    from springlet.models.ollama_catalog import PullProgress
    from springlet.prompts.runner import Prompt
    from springlet.rag.ingest import IngestReport
    from springlet.rag.sources import Source
    from springlet.settings import WorkspaceSettings
    from springlet.tracing.spans import Span
    from springlet.tracing.store import RunSummary
    from springlet.workspace.agent_info import AgentInfo
    from springlet.workspace.files import (
        WorkspaceFile,
        list_workspace_files,
        read_workspace_file,
        save_workspace_file,
    )
    from springlet.workspace.knowledge_view import (
        CollectionInfo,
        IngestProgress,
        Knowledge,
        SearchHit,
        StoreSetAside,
    )
    from springlet.workspace.local_models import StoredModel
    from springlet.workspace.models_view import AutoChoice, ModelInfo, Models, OllamaModel
    from springlet.workspace.reload import ReloadReport
    from springlet.workspace.run_rows import RunRow, RunStats, list_run_rows, read_run_rows
    from springlet.workspace.sessions import SessionInfo, Sessions
    from springlet.workspace.test_cases import CaseOutcome
    from springlet.workspace.traces_view import ExportResult, RunTree, Traces
    from springlet.workspace.transcript import ToolCallRecord, Transcript, TranscriptEntry
    from springlet.workspace.watch import WatchHandle, WorkspaceChanged

FACADE_TYPES: dict[str, str] = {
    "AgentInfo": "springlet.workspace.agent_info",
    "AutoChoice": "springlet.workspace.models_view",
    "CaseOutcome": "springlet.workspace.test_cases",
    "CollectionInfo": "springlet.workspace.knowledge_view",
    "ExportResult": "springlet.workspace.traces_view",
    "FitEstimate": "springlet.models.fit",
    "IngestProgress": "springlet.workspace.knowledge_view",
    "IngestReport": "springlet.rag.ingest",
    "Knowledge": "springlet.workspace.knowledge_view",
    "ModelInfo": "springlet.workspace.models_view",
    "Models": "springlet.workspace.models_view",
    "OllamaModel": "springlet.workspace.models_view",
    "Prompt": "springlet.prompts.runner",
    "PullProgress": "springlet.models.ollama_catalog",
    "ReloadReport": "springlet.workspace.reload",
    "RunRow": "springlet.workspace.run_rows",
    "RunStats": "springlet.workspace.run_rows",
    "RunSummary": "springlet.tracing.store",
    "RunTree": "springlet.workspace.traces_view",
    "SearchHit": "springlet.workspace.knowledge_view",
    "StoredModel": "springlet.workspace.local_models",
    "SessionInfo": "springlet.workspace.sessions",
    "Sessions": "springlet.workspace.sessions",
    "Source": "springlet.rag.sources",
    "Span": "springlet.tracing.spans",
    "StoreSetAside": "springlet.workspace.knowledge_view",
    "ToolCallRecord": "springlet.workspace.transcript",
    "Traces": "springlet.workspace.traces_view",
    "Transcript": "springlet.workspace.transcript",
    "TranscriptEntry": "springlet.workspace.transcript",
    "WatchHandle": "springlet.workspace.watch",
    "WorkspaceChanged": "springlet.workspace.watch",
    "WorkspaceSettings": "springlet.settings",
    "WorkspaceFile": "springlet.workspace.files",
    "list_run_rows": "springlet.workspace.run_rows",
    "list_workspace_files": "springlet.workspace.files",
    "read_workspace_file": "springlet.workspace.files",
    "read_run_rows": "springlet.workspace.run_rows",
    "save_workspace_file": "springlet.workspace.files",
}
"""Name -> the module defining it; `springlet` re-exports the same names."""

__all__ = [
    "AgentInfo",
    "AutoChoice",
    "CaseOutcome",
    "CollectionInfo",
    "ExportResult",
    "FitEstimate",
    "IngestProgress",
    "IngestReport",
    "Knowledge",
    "ModelInfo",
    "Models",
    "OllamaModel",
    "Prompt",
    "PullProgress",
    "ReloadReport",
    "RunRow",
    "RunStats",
    "RunSummary",
    "RunTree",
    "SearchHit",
    "SessionInfo",
    "Sessions",
    "Source",
    "Span",
    "StoreSetAside",
    "StoredModel",
    "ToolCallRecord",
    "Traces",
    "Transcript",
    "TranscriptEntry",
    "WatchHandle",
    "WorkspaceChanged",
    "WorkspaceFile",
    "WorkspaceSettings",
    "list_run_rows",
    "list_workspace_files",
    "read_run_rows",
    "read_workspace_file",
    "save_workspace_file",
]


def __getattr__(name: str) -> Any:
    module = FACADE_TYPES.get(name)
    if module is None:
        raise AttributeError(f"module 'springlet.workspace' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
