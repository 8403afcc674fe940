"""`springlet tui` in a real terminal (tmux) and served over HTTP (--serve).

The workspace is a copy of examples/acme whose default model is a scripted one (the
embedded model's wording is not deterministic); the tools are the example's own.
Without tmux the terminal test skips, except under CI=true, where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LAUNCHER = Path(__file__).with_name("launch_scripted.py")
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def acme_copy(example_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    shutil.copytree(example_workspace, root, ignore=shutil.ignore_patterns(".springlet"))
    settings = root / "springlet.yaml"
    text = settings.read_text().replace("default_model: auto", "default_model: scripted:acme")
    settings.write_text(text)
    return root


def need_tmux() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is missing under CI=true: .ci/run should have installed it")
        pytest.skip("tmux is not installed (apt-get install -y tmux)")
    return tmux


@pytest.fixture
def tmux_session() -> Iterator[tuple[str, str]]:
    tmux = need_tmux()
    name = f"springlet-tui-{uuid.uuid4().hex[:8]}"
    yield tmux, name
    subprocess.run([tmux, "kill-session", "-t", name], capture_output=True, check=False)


def screen(tmux: str, session: str) -> str:
    return subprocess.run(
        [tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def wait_for(probe: Callable[[], str], wanted: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    text = probe()
    while wanted not in text:
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} never showed up; the screen was:\n{text}")
        time.sleep(0.2)
        text = probe()
    return text


def test_a_chat_in_a_real_terminal(acme_copy: Path, tmux_session: tuple[str, str]) -> None:
    tmux, session = tmux_session
    command = (
        f"cd {acme_copy} && PYTHONPATH={SRC} {sys.executable} {LAUNCHER} acme tui -w {acme_copy}"
    )
    subprocess.run(
        [tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True
    )
    look = lambda: screen(tmux, session)  # noqa: E731
    wait_for(look, "new chat with front-desk")  # the agents are loaded

    def keys(*typed: str) -> None:
        subprocess.run([tmux, "send-keys", "-t", session, *typed], check=True)

    keys("C-p")
    wait_for(look, "Chat with")
    keys("-l", "chat with orders")
    time.sleep(0.5)
    keys("Enter")
    wait_for(look, "new chat with orders")
    keys("-l", "where is A-1001?")
    keys("Enter")
    text = wait_for(look, "Looked it up:")
    assert "get_order_status · ok" in text
    assert "Order A-1001 is shipped with DHL" in wait_for(look, "expected 2026-11-25")

    # the Traces screen from the palette: the run, its tree, its tool span
    keys("C-p")
    wait_for(look, "Chat with")
    keys("-l", "Screen: Traces")
    time.sleep(0.5)
    keys("Enter")
    wait_for(look, "orders")  # the run's row (the table has the focus)
    time.sleep(0.5)
    keys("Enter")  # open the run
    wait_for(look, "invoke_agent orders")
    for _ in range(6):  # down the tree to the tool span: its detail has the arguments
        if "arguments" in look():
            break
        keys("Down")
        time.sleep(0.3)
    text = wait_for(look, "arguments")
    assert "tool get_order_status" in text, text
    assert "A-1001" in text
    assert "result" in text and "Order A-1001 is shipped" in text
    keys("C-q")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_http_on_localhost(acme_copy: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "springlet",
            "tui",
            "-w",
            str(acme_copy),
            "--serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/", timeout=2) as answer:
                    assert answer.status == 200
                    page = answer.read().decode()
                    break
            except OSError:
                if server.poll() is not None:
                    stderr = server.stderr.read().decode() if server.stderr else ""
                    raise AssertionError(stderr) from None
                time.sleep(0.2)
        assert "springlet" in page and "<html" in page.lower()
    finally:
        server.terminate()
        server.wait(timeout=10)
