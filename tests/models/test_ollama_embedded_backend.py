"""The test server backed by the real embedded model: ChatOllama gets a real answer."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from springlet.models.ollama import ollama_chat_model
from springlet.models.options import ModelOptions
from springlet.testing.ollama_server import OllamaTestServer


@pytest.mark.slow
@pytest.mark.integration
def test_chat_ollama_answers_through_the_embedded_model() -> None:
    from springlet.models.embedded import embedded_chat_model

    backend = embedded_chat_model("smollm2", ModelOptions(temperature=0, num_predict=24))
    with OllamaTestServer(backend) as server:
        model = ollama_chat_model("qwen2.5:7b", server.url)
        question = [
            SystemMessage("You are a helpful assistant."),
            HumanMessage("What is the capital of France?"),
        ]
        chunks = [chunk.text for chunk in model.stream(question)]
    answer = "".join(chunks)
    assert answer.strip()  # its words depend on the CPU's floating-point path, not on us
    assert len([c for c in chunks if c]) > 1  # streamed as generated, not in one piece
