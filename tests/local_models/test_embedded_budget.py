"""The embedded model's requests are counted with llama.cpp's own tokenizer, and an
agent on it compacts a conversation that outgrows the budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from springlet import load_workspace
from springlet.agents.events import ContextCompacted
from springlet.models.embedded import embedded_chat_model
from springlet.models.token_budget import context_window, count_tokens

pytestmark = pytest.mark.slow


def test_counts_are_the_models_own_tokens() -> None:
    model = embedded_chat_model("smollm2")
    messages = [SystemMessage("You help."), HumanMessage("Where is my order A-1001?")]
    loaded = model.loaded()
    rendered = loaded.render_chat(
        [
            {"role": "system", "content": "You help."},
            {"role": "user", "content": "Where is my order A-1001?"},
        ],
        add_generation_prompt=True,
    )
    assert count_tokens(model, messages) == len(loaded.tokenize(rendered))
    assert context_window(model) == loaded.n_ctx


def test_an_embedded_agent_compacts_its_memory(tmp_path: Path) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "a.yaml").write_text(
        "name: a\ndescription: d\nmodel: embedded:smollm2\ninstructions: Answer briefly.\n"
        "options: {temperature: 0, num_predict: 8}\nadvisors: [memory]\n"
        "compaction: {max_context_tokens: 400, reserve_tokens: 64}\n"
    )
    with load_workspace(tmp_path, tracing=False) as ws:
        agent = ws.agent("a")
        for turn in range(3):
            agent.run(f"Note {turn}: " + "the sky is blue today. " * 25, session_id="s")
        events = list(agent.stream("What colour is the sky?", session_id="s"))
    compactions = [e for e in events if isinstance(e, ContextCompacted)]
    assert compactions and compactions[0].tokens_after <= compactions[0].budget
    assert events[-1].result.status == "ok"  # type: ignore[attr-defined]
