"""Pilot tests of the Workspace screen: validation as you type at the right line, save
and reload then chat with the reloaded agent, a broken save keeps the last good agent,
an edit made outside the app, and a prompt tried from its form."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, Static

from springlet.testing import Reply
from springlet.tui.screens.dialogs import ConfirmScreen
from springlet.tui.screens.prompt_form import PromptFormScreen
from springlet.tui.screens.workspace_editor import WorkspaceScreen

from .conftest import MakeApp, wait_until
from .test_chat import send

PROMPT = """\
name: greet
description: Greets someone.
input:
  who: {type: string}
  times: {type: integer, default: 1}
messages:
  - role: user
    content: "Say hello to {{ who }} {{ times }} times."
"""


def retype(editor: object, text: str) -> None:
    """Replace the buffer as an edit (setting `.text` would not count as typing)."""
    document = editor.document  # type: ignore[attr-defined]
    editor.replace(text, document.start, document.end)  # type: ignore[attr-defined]


async def open_file(pilot: object, app: object, relative: str) -> WorkspaceScreen:
    app.go_to("Workspace")  # type: ignore[attr-defined]
    await pilot.pause(0.2)  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, WorkspaceScreen)
    await wait_until(pilot, lambda: bool(getattr(screen, "_files", None)))
    screen.open_file(screen._files[relative])
    await wait_until(pilot, lambda: screen.file is not None and screen.editor.text != "")
    return screen


async def test_an_error_shows_at_its_line_and_the_fixed_agent_answers_after_save(
    make_app: MakeApp, script_name: str
) -> None:
    app = make_app([Reply("the reloaded agent answers")])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        screen = await open_file(pilot, app, "agents/echo.yaml")
        editor = screen.editor
        await wait_until(
            pilot, lambda: "no problems" in str(screen.query_one("#editor-status", Static).content)
        )
        # line 4 becomes an unknown key, typed at the keyboard
        editor.cursor_location = (3, 11)
        await pilot.press("z")
        assert editor.document.get_line(3).startswith("instructionzs:")
        await wait_until(pilot, lambda: bool(screen.problems))
        lines = {p.location.line for p in screen.problems if p.location}
        assert 4 in lines, [str(p) for p in screen.problems]
        assert 3 in editor.marked  # the gutter mark (0-based line)
        screen.jump_to(0)
        assert editor.cursor_location[0] + 1 == screen.problems[0].location.line
        # fixed: and its model is now the scripted reply, to prove the reload
        retype(
            editor,
            editor.text.replace("instructionzs", "instructions").replace(
                "scripted:echo-everything", f"scripted:{script_name}"
            ),
        )
        await wait_until(pilot, lambda: screen.problems == () and not editor.marked)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.modified)
        assert f"scripted:{script_name}" in (app.backend.ws.root / "agents/echo.yaml").read_text()
        app.go_to("Chat")
        await pilot.pause()
        await app.open_chat("echo")
        await send(pilot, app, "hi")
        await wait_until(pilot, lambda: not app.running and app.chat.last_answer is not None)
        assert app.chat.last_answer.text == "the reloaded agent answers"  # type: ignore[union-attr]


async def test_a_broken_save_keeps_the_last_good_agent(make_app: MakeApp) -> None:
    app = make_app([Reply("unused")])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        screen = await open_file(pilot, app, "agents/echo.yaml")
        retype(screen.editor, screen.editor.text.replace("model:", "modle:"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.modified)
        await wait_until(
            pilot, lambda: any("keeps running" in n.message for n in app._notifications)
        )
        assert app.backend.ws.agent("echo").run("still here").text == "echo: still here"


async def test_an_edit_outside_the_app_is_picked_up(make_app: MakeApp) -> None:
    app = make_app([Reply("unused")])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        screen = await open_file(pilot, app, "agents/echo.yaml")
        await wait_until(pilot, lambda: screen._watch is not None)
        path = Path(app.backend.root) / "agents" / "echo.yaml"
        path.write_text(path.read_text().replace("Says what", "Repeats what"))
        await wait_until(pilot, lambda: "Repeats what" in screen.editor.text)
        # with unsaved changes, the app asks before replacing the buffer
        retype(screen.editor, screen.editor.text + "# mine\n")
        path.write_text(path.read_text().replace("Repeats what", "Echoes what"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: bool(app.screen.query("#yes")))
        app.screen.query_one("#yes", Button).press()
        await wait_until(pilot, lambda: "Echoes what" in screen.editor.text)
        assert "# mine" not in screen.editor.text


async def test_a_prompt_renders_from_its_form(make_app: MakeApp) -> None:
    app = make_app([Reply("unused")])
    (app.backend.ws.root / "prompts").mkdir()
    (app.backend.ws.root / "prompts" / "greet.yaml").write_text(PROMPT)
    app.backend.ws.reload()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        screen = await open_file(pilot, app, "prompts/greet.yaml")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptFormScreen))
        form = app.screen
        form.query_one("#input-who", Input).value = "Ada"
        form.query_one("#input-times", Input).value = "two"
        form.query_one("#render", Button).press()
        output = form.query_one("#prompt-output", Static)
        await wait_until(pilot, lambda: "integer" in str(output.content))
        form.query_one("#input-times", Input).value = "2"
        form.query_one("#render", Button).press()
        await wait_until(pilot, lambda: "Say hello to Ada 2 times." in str(output.content))
        assert screen.file is not None
