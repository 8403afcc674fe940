"""The chat log: user messages, streamed answers, tool cards, sources and notes.

`ChatLog` only displays. The run's worker posts typed messages (`springlet.tui.messages`)
to it and it turns each into widgets; it never calls an agent or a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from springlet.tui.backend import Transcript, TranscriptEntry
from springlet.tui.messages import (
    AnswerDelta,
    AnswerStep,
    RunBegan,
    RunEnded,
    SourcesFound,
    ToolEnded,
    ToolStarted,
)
from springlet.tui.widgets.sources import SourceList
from springlet.tui.widgets.tool_card import ToolCard

SHOWN_AT_OPEN = 40
"""Entries of a resumed session mounted at first; earlier ones on request."""


SWITCH_MODEL_HINT = (
    'f4 (or the palette\'s "Use the embedded model for this session") answers the '
    "rest of this session on the embedded model"
)
"""Said under a failed run: Ollama down or a model missing need not end the chat."""


class UserMessage(Static):
    """What the user sent."""

    def __init__(self, text: str) -> None:
        super().__init__(text, classes="user-message", markup=False)
        self.text = text


class Answer(Vertical):
    """One model call's answer, streamed as Markdown and then set whole once at the end."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy", id="copy_message"),
        Binding("t", "open_trace", "Trace", id="open_trace"),
    ]

    @dataclass
    class TraceRequested(Message):
        """Show the trace of the run that wrote this answer."""

        run_id: str
        answer: Answer

    def __init__(self, text: str = "", run_id: str | None = None) -> None:
        super().__init__(classes="answer")
        self.text = text
        self.run_id = run_id
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Markdown(self.text)

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    async def append(self, text: str) -> None:
        if self._stream is None:
            self._stream = Markdown.get_stream(self.markdown)
        self.text += text
        await self._stream.write(text)

    async def finish(self, text: str | None = None) -> None:
        """Stop streaming and render the whole text in one update: a fence that opened
        and closed during the stream renders right (oterm #308)."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if text:
            self.text = text
        await self.markdown.update(self.text)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)

    def action_open_trace(self) -> None:
        if self.run_id is None:
            self.notify("this answer has no trace (tracing was off)", severity="warning")
            return
        self.post_message(self.TraceRequested(self.run_id, self))


class Note(Static):
    """A line from the app in the chat: an error, a cancel, the start of a session."""

    def __init__(self, text: str, kind: str = "info") -> None:
        super().__init__(text, classes=f"note -{kind}", markup=False)
        self.text = text


class ChatLog(VerticalScroll):
    """The scrolling chat (CSS `layout: stream`); follows new text only while at the bottom."""

    shown_at_open = SHOWN_AT_OPEN

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._answers: dict[int, Answer] = {}
        self._cards: dict[str, ToolCard] = {}
        self._earlier: list[TranscriptEntry] = []
        self._run_id: str | None = None

    # -- a live run ---------------------------------------------------------------------

    async def add_user(self, text: str) -> None:
        self._answers.clear()
        await self.mount(UserMessage(text))
        self.anchor()

    async def _answer(self, step: int) -> Answer:
        answer = self._answers.get(step)
        if answer is None:
            answer = self._answers[step] = Answer(run_id=self._run_id)
            await self.mount(answer)
        return answer

    @on(RunBegan)
    def _run_began(self, message: RunBegan) -> None:
        self._run_id = message.run_id  # not stopped: the app shows the model too

    @on(AnswerDelta)
    async def _delta(self, message: AnswerDelta) -> None:
        message.stop()
        await (await self._answer(message.step)).append(message.text)

    @on(AnswerStep)
    async def _step(self, message: AnswerStep) -> None:
        message.stop()
        if message.text or message.step in self._answers:
            await (await self._answer(message.step)).finish(message.text)

    @on(ToolStarted)
    async def _tool_started(self, message: ToolStarted) -> None:
        message.stop()
        card = ToolCard(message.call_id, message.name, message.arguments)
        self._cards[message.call_id] = card
        await self.mount(card)

    @on(ToolEnded)
    def _tool_ended(self, message: ToolEnded) -> None:
        message.stop()
        card = self._cards.get(message.call_id)
        if card is not None:
            card.finish(message.status, message.result, message.duration_ms)

    @on(SourcesFound)
    async def _sources(self, message: SourcesFound) -> None:
        message.stop()
        if message.sources:
            await self.mount(SourceList(message.sources))

    @on(RunEnded)
    async def _ended(self, message: RunEnded) -> None:
        for answer in self._answers.values():
            await answer.finish()
        if message.status in ("ok", "step_limit"):
            return
        text = message.error or message.status
        if message.hint:
            text += f"\nhint: {message.hint}"
        text += f"\n{SWITCH_MODEL_HINT}"
        await self.add_note(text, "error")

    async def add_note(self, text: str, kind: str = "info") -> None:
        await self.mount(Note(text, kind))

    async def stop_answers(self) -> None:
        """The run was cancelled: end the streams where they are."""
        for answer in self._answers.values():
            await answer.finish()

    @property
    def last_answer(self) -> Answer | None:
        answers = self.query(Answer)
        return answers.last() if answers else None

    # -- a stored session ---------------------------------------------------------------

    async def show_transcript(self, transcript: Transcript) -> None:
        """Replace the log with a stored session; only its last entries are mounted."""
        await self.remove_children()
        self._answers.clear()
        self._cards.clear()
        entries = list(transcript.entries)
        keep = self.shown_at_open
        self._earlier, shown = entries[:-keep], entries[-keep:]
        if self._earlier:
            await self.mount(Button(f"show {len(self._earlier)} earlier", id="show-earlier"))
        await self.mount_all([w for entry in shown for w in entry_widgets(entry)])
        self.anchor()

    @on(Button.Pressed, "#show-earlier")
    async def _show_earlier(self, event: Button.Pressed) -> None:
        event.stop()
        await self.show_earlier()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # scrolled to the top of a long session: bring in the entries before
        if new_value <= 0 < old_value and self._earlier:
            self.call_later(self.show_earlier)

    async def show_earlier(self) -> None:
        """Mount the next batch of earlier entries above, keeping what is in view."""
        if not self._earlier:
            return
        batch, self._earlier = (
            self._earlier[-self.shown_at_open :],
            self._earlier[: -self.shown_at_open],
        )
        button = self.query_one("#show-earlier", Button)
        children = list(self.children)
        after = children.index(button) + 1
        first_old = children[after] if after < len(children) else None
        widgets = [w for entry in batch for w in entry_widgets(entry)]
        await self.mount_all(widgets, after=button)
        if self._earlier:
            button.label = f"show {len(self._earlier)} earlier"
        else:
            await button.remove()
        if first_old is not None:
            self.call_after_refresh(self.scroll_to_widget, first_old, top=True, animate=False)


def entry_widgets(entry: TranscriptEntry) -> list[Any]:
    """The widgets of one stored entry: the message, its tool cards, its sources."""
    if entry.role == "user":
        return [UserMessage(entry.text)]
    if entry.role == "tool":
        return []
    widgets: list[Any] = [
        ToolCard(
            c.id, c.name, c.arguments, status=c.status, result=c.result, duration_ms=c.duration_ms
        )
        for c in entry.tool_calls
    ]
    if entry.text:
        widgets.append(Answer(entry.text, run_id=entry.run_id))
    if entry.sources:
        widgets.append(SourceList(entry.sources))
    return widgets
