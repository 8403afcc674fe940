"""Pilot tests of the Knowledge screen (ingest with progress, cancel, search) and the
Models screen (against the project's Ollama-protocol test server: list, pull with
progress, the embedded-model banner when Ollama is not reachable)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar, Static

from springlet.testing import Reply
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer
from springlet.tui.screens.knowledge import IngestStep, KnowledgeScreen
from springlet.tui.screens.models import ModelsScreen, PullStep

from .conftest import MakeApp, wait_until

COLLECTION = (
    "name: manual\ndescription: The manual.\nsources:\n  - path: docs/\n"
    "embeddings: scripted:words\n"
)


def add_manual(root: Path, files: int = 4) -> None:
    (root / "knowledge").mkdir(exist_ok=True)
    (root / "docs").mkdir(exist_ok=True)
    (root / "knowledge" / "manual.yaml").write_text(COLLECTION)
    for i in range(files):
        (root / "docs" / f"page{i}.md").write_text(f"# Page {i}\n\nKettle topic number {i}.\n")


async def open_screen(pilot: object, app: object, name: str) -> object:
    await wait_until(pilot, lambda: app.conversation is not None)  # type: ignore[attr-defined]
    app.go_to(name)  # type: ignore[attr-defined]
    await pilot.pause(0.2)  # type: ignore[attr-defined]
    return app.screen  # type: ignore[attr-defined]


async def test_ingest_with_progress_then_search(make_app: MakeApp) -> None:
    steps: list[IngestStep] = []
    app = make_app([Reply("unused")])
    add_manual(app.backend.ws.root)
    app.backend.ws.reload()
    hook = lambda m: steps.append(m) if isinstance(m, IngestStep) else None  # noqa: E731
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        screen = await open_screen(pilot, app, "Knowledge")
        assert isinstance(screen, KnowledgeScreen)
        table = screen.query_one("#collections", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert table.get_row("manual")[3] == "4 ⚠"  # nothing ingested: every file stale
        table.focus()
        await pilot.press("i")
        await wait_until(
            pilot, lambda: "ingested" in str(screen.query_one("#ingest-status", Static).content)
        )
        assert [s.done for s in steps] == [1, 2, 3, 4]
        assert screen.query_one("#ingest-progress", ProgressBar).progress == 4
        await wait_until(pilot, lambda: table.get_row("manual")[1:4] == ["4", "4", "0"])
        await pilot.press("slash")
        await pilot.press(*"kettle topic number 2", "enter")
        hits = screen.query_one("#hits", DataTable)
        await wait_until(pilot, lambda: hits.row_count > 0)
        assert hits.get_row_at(0)[1:] == ["docs/page2.md", "Page 2"]
        assert "Kettle topic number 2." in str(screen.query_one("#chunk-text", Static).content)


async def test_an_ingest_can_be_cancelled(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from springlet.rag import ingest

    monkeypatch.setattr(ingest, "EMBED_BATCH", 1)  # one file per committed group
    app = make_app([Reply("unused")])
    add_manual(app.backend.ws.root, files=6)
    app.backend.ws.reload()
    release = threading.Event()
    knowledge = app.backend.ws.knowledge
    original = knowledge.ingest

    def slow_ingest(name: str, **kwargs: object) -> object:
        progress = kwargs["on_progress"]

        def step(p: object) -> None:
            progress(p)  # type: ignore[operator]
            release.wait(5)  # hold after the first file until the test cancels

        return original(name, **{**kwargs, "on_progress": step})  # type: ignore[arg-type]

    monkeypatch.setattr(knowledge, "ingest", slow_ingest)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, app, "Knowledge")
        table = screen.query_one("#collections", DataTable)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("i")
        await wait_until(pilot, lambda: screen.cancel_flag is not None)  # type: ignore[attr-defined]
        await pilot.press("x")
        release.set()
        status = screen.query_one("#ingest-status", Static)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "cancelled" in str(status.content))
        await wait_until(pilot, lambda: table.get_row("manual")[1] == "1")
        assert table.get_row("manual")[1] == "1"  # one of six files indexed, then it stopped


@pytest.fixture
def ollama() -> Iterator[OllamaTestServer]:
    from springlet.models.ollama_catalog import forget_cached_models
    from springlet.models.resolve import forget_auto_choice

    with OllamaTestServer(pullable=[ServedModel("tiny:1b", parameter_size="1B")]) as server:
        yield server
    forget_cached_models()
    forget_auto_choice()


async def test_models_are_listed_and_one_is_pulled_with_progress(
    make_app: MakeApp, ollama: OllamaTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from springlet.models.resolve import forget_auto_choice

    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    forget_auto_choice()
    steps: list[PullStep] = []
    app = make_app([Reply("unused")], settings=f"ollama:\n  host: {ollama.url}\n")
    hook = lambda m: steps.append(m) if isinstance(m, PullStep) else None  # noqa: E731
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = await open_screen(pilot, app, "Models")
        assert isinstance(screen, ModelsScreen)
        table = screen.query_one("#models", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0)
        qwen = table.get_row("ollama:qwen2.5:7b")
        assert qwen[1:5] == ["qwen2", "7.6B · 4.4 GB", "Q4_K_M", "32768"]
        assert "tools" in qwen[5] and "GiB" in qwen[6]
        assert "embedded:smollm2" in [str(k.value) for k in table.rows]
        assert "auto → ollama:" in str(screen.query_one("#auto-choice", Static).content)
        assert not screen.query_one("#models-banner").display
        await pilot.press("p")
        await pilot.press(*"tiny:1b", "enter")
        status = screen.query_one("#pull-status", Static)
        await wait_until(pilot, lambda: "tiny:1b: pulled" in str(status.content))
        assert any(s.total for s in steps), "no download progress was shown"
        await wait_until(pilot, lambda: "ollama:tiny:1b" in [str(k.value) for k in table.rows])


async def test_the_banner_says_when_the_embedded_model_answers(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from springlet.models.resolve import forget_auto_choice

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    forget_auto_choice()
    app = make_app([Reply("unused")], settings=f"ollama:\n  host: http://127.0.0.1:{port}\n")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_screen(pilot, app, "Models")
            banner = screen.query_one("#models-banner", Static)  # type: ignore[attr-defined]
            await wait_until(pilot, lambda: banner.display)
            assert "Ollama is not reachable" in str(banner.content)
            assert "embedded model embedded:" in str(banner.content)
            why = screen.query_one("#auto-choice", Static)  # type: ignore[attr-defined]
            assert f"127.0.0.1:{port}" in str(why.content)
    finally:
        forget_auto_choice()
