"""A prompt's form: one field per typed input; Render shows the messages it would
send, Run sends them to the prompt's model (both in a worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from springlet import SpringletError
from springlet.tui.prompt_inputs import InputField, typed_values

if TYPE_CHECKING:
    from springlet.tui.app import SpringletApp


@dataclass
class PromptOutput(Message):
    text: str
    failed: bool = False


class PromptFormScreen(ModalScreen[None]):
    """Fill in prompt `name`'s inputs, then render or run it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close_dialog")
    ]

    def __init__(self, name: str, fields: list[InputField]) -> None:
        super().__init__(classes="dialog-screen")
        self.prompt_name = name
        self.fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="prompt-form"):
            yield Label(f"Try the prompt {self.prompt_name}", classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="prompt-fields"):
                for field in self.fields:
                    need = "" if field.required else " (optional)"
                    about = f" — {field.description}" if field.description else ""
                    yield Label(f"{field.name}: {field.type}{need}{about}", markup=False)
                    hint = " | ".join(field.choices) or field.default
                    yield Input(field.default, placeholder=hint, id=f"input-{field.name}")
                if not self.fields:
                    yield Label("(this prompt has no inputs)")
            yield Static("", id="prompt-output", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Render", id="render", variant="primary")
                yield Button("Run", id="run")
                yield Button("Close", id="close")

    def typed(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#input-{f.name}", Input).value for f in self.fields}

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "close":
            self.dismiss(None)
            return
        try:
            values = typed_values(self.fields, self.typed())
        except ValueError as exc:
            self.post_message(PromptOutput(str(exc), failed=True))
            return
        self.query_one("#prompt-output", Static).update("…")
        self._call(event.button.id == "run", values)

    @work(thread=True, exclusive=True, group="prompt")
    def _call(self, run: bool, values: dict[str, Any]) -> None:
        backend = self.springlet.backend
        try:
            if run:
                text = str(backend.run_prompt(self.prompt_name, values))
            else:
                messages = backend.render_prompt(self.prompt_name, values)
                text = "\n\n".join(f"[{role}]\n{content}" for role, content in messages)
        except SpringletError as exc:
            self.post_message(PromptOutput(str(exc), failed=True))
            return
        except Exception as exc:  # a model server that fails: said in the form
            self.post_message(PromptOutput(f"{type(exc).__name__}: {exc}", failed=True))
            return
        self.post_message(PromptOutput(text))

    @property
    def springlet(self) -> SpringletApp:
        return self.app  # type: ignore[return-value]

    @on(PromptOutput)
    def _output(self, message: PromptOutput) -> None:
        output = self.query_one("#prompt-output", Static)
        output.set_class(message.failed, "-error")
        output.update(message.text)
