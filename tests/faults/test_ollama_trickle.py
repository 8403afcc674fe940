"""`ollama.timeout_s` bounds a server that trickles its answer one byte a second.

The limit applies to each wait for the server (connect, first streamed line, and the gap
between two streamed lines); httpx's own read timeout is per byte and never trips here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from springlet.errors import ModelTimeoutError
from springlet.models import ollama as ollama_provider
from springlet.models.ollama import ollama_chat_model
from springlet.models.ollama_catalog import forget_cached_models
from springlet.testing import Reply, ScriptedChatModel
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    forget_cached_models()
    ollama_provider.forget_tool_support()
    backend = ScriptedChatModel(respond=lambda messages, tools: Reply("the sky is blue"))
    with OllamaTestServer(backend) as running:
        yield running
    forget_cached_models()
    ollama_provider.forget_tool_support()


def test_a_trickling_answer_is_cut_by_timeout_s_async(server: OllamaTestServer) -> None:
    server.faults.trickle_bytes_per_s = 20  # a streamed line of ~150 bytes takes ~7 s
    model = ollama_chat_model("qwen2.5:7b", server.url, timeout_s=1)

    async def consume() -> None:
        async for _ in model.astream("hi"):
            pass

    started = time.monotonic()
    with pytest.raises(ModelTimeoutError) as info:
        asyncio.run(asyncio.wait_for(consume(), 30))
    assert time.monotonic() - started < 6
    assert "ollama.timeout_s" in str(info.value)
    assert "1 s" in str(info.value)


def test_a_healthy_stream_longer_than_timeout_s_is_not_cut(server: OllamaTestServer) -> None:
    server.faults.chunk_delay_s = 0.3  # 4 lines + done: ~1.5 s in all, 0.3 s between lines
    model = ollama_chat_model("qwen2.5:7b", server.url, timeout_s=1)

    async def consume() -> str:
        return "".join([chunk.text async for chunk in model.astream("hi")])

    assert asyncio.run(consume()) == "the sky is blue"
