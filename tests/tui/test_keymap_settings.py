"""`tui.keymap`: every binding of the app has an id the settings know, and typos are located."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding

from springlet import load_workspace
from springlet.settings import TuiKeymap, WorkspaceSettings
from springlet.tui import app as app_module
from springlet.tui.screens import (
    dialogs,
    knowledge,
    models,
    prompt_form,
    traces,
    workspace_editor,
)
from springlet.tui.widgets import chat, sidebar, sources, tool_card

HOLDERS = [
    app_module.SpringletApp,
    app_module.PromptInput,
    dialogs.ApprovalScreen,
    dialogs.SourceScreen,
    dialogs.RenameScreen,
    dialogs.ConfirmScreen,
    traces.TracesScreen,
    workspace_editor.WorkspaceScreen,
    prompt_form.PromptFormScreen,
    knowledge.KnowledgeScreen,
    models.ModelsScreen,
    chat.Answer,
    sidebar.SessionList,
    sources.SourceLink,
    tool_card.ToolCard,
]


def binding_ids() -> set[str | None]:
    return {b.id for holder in HOLDERS for b in holder.BINDINGS if isinstance(b, Binding)}


def test_every_binding_has_an_id_the_settings_know() -> None:
    ids = binding_ids()
    assert None not in ids
    assert ids == set(TuiKeymap.model_fields)


def test_no_binding_needs_ctrl_enter() -> None:
    keys = {b.key for holder in HOLDERS for b in holder.BINDINGS if isinstance(b, Binding)}
    assert not any("enter" in k and "ctrl" in k for k in keys)


def test_an_unknown_binding_id_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "springlet.yaml").write_text("tui:\n  keymap:\n    new_caht: f5\n")
    problems = [str(p) for p in load_workspace(tmp_path, tracing=False).problems]
    assert len(problems) == 1
    assert "springlet.yaml:3:5" in problems[0]
    assert "unknown key 'new_caht' in 'tui.keymap'" in problems[0]
    assert "did you mean 'new_chat'?" in problems[0]


def test_a_key_terminals_swallow_is_refused(tmp_path: Path) -> None:
    (tmp_path / "springlet.yaml").write_text("tui:\n  keymap:\n    send: ctrl+enter\n")
    [problem] = [str(p) for p in load_workspace(tmp_path, tracing=False).problems]
    assert "springlet.yaml:3:11" in problem and "never reaches the app" in problem


def test_every_binding_id_has_its_scoped_spelling() -> None:
    from springlet.settings import SCOPED_BINDING_IDS

    assert set(SCOPED_BINDING_IDS.values()) == set(TuiKeymap.model_fields)
    settings = WorkspaceSettings.model_validate({"tui": {"keymap": {"app.traces": "f12"}}})
    assert settings.tui.keymap.screen_traces == "f12"
