"""Secrets never reach the store: redaction by field name and by pattern."""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool

from springlet.errors import SpringletError
from springlet.settings import RedactionSettings
from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.tracing import REDACTED, MemorySink, Redactor, Tracer, TraceStore

from .conftest import stored_tree

SECRET = "hunter2-very-secret"
API_KEY = "sk-abcdefghijklmnopqrstuvwx"


@tool
def login(user: str, password: str) -> str:
    """Log a user in."""
    return f"logged in {user}"


def test_secret_in_tool_argument_and_model_message_never_stored(
    tracer: Tracer, store: TraceStore
) -> None:
    steps = [ToolCall("login", {"user": "ann", "password": SECRET}), Reply(f"key {API_KEY}")]
    agent = create_agent(ScriptedChatModel(steps=steps), [login])
    question = f"log me in, my password: {SECRET}"
    with tracer.run(agent="helpdesk", input=question) as run:
        agent.invoke({"messages": [("user", question)]}, {"callbacks": run.callbacks})
    assert len(stored_tree(tracer, store, run.run_id)) == 4
    dumped = store.path.read_bytes() + b"".join(
        p.read_bytes() for p in store.path.parent.glob("traces.sqlite-wal")
    )
    assert SECRET.encode() not in dumped
    assert API_KEY.encode() not in dumped
    spans = store.spans(run.run_id)
    tool_span = next(s for s in spans if s.kind.value == "tool")
    assert tool_span.attributes["gen_ai.tool.call.arguments"] == {
        "user": "ann",
        "password": REDACTED,
    }
    first_model = next(s for s in spans if s.kind.value == "model")
    assert first_model.attributes["gen_ai.input.messages"][0]["content"] == (
        f"log me in, my password: {REDACTED}"
    )
    # the model's own tool call (in its answer) is redacted by key too
    calls = first_model.attributes["gen_ai.output.messages"][0]["tool_calls"]
    assert calls[0]["arguments"]["password"] == REDACTED


def test_custom_patterns_and_fields_from_settings() -> None:
    redactor = Redactor.from_settings(RedactionSettings(fields=["pin"], patterns=[r"ACME-\d{6}"]))
    assert redactor.value({"Card_PIN": "1234", "note": "ref ACME-123456 ok"}) == {
        "Card_PIN": REDACTED,
        "note": f"ref {REDACTED} ok",
    }
    # JSON text (tool arguments as a string) is redacted by key inside
    text = redactor.value(json.dumps({"pin": "9999", "n": 1}))
    assert json.loads(text) == {"pin": REDACTED, "n": 1}
    assert redactor.text("Authorization: Bearer abcdefgh12345").count(REDACTED) == 1


def test_custom_sinks_receive_redacted_spans() -> None:
    sink = MemorySink()
    tracer = Tracer([sink], redactor=Redactor(fields=["password"]))
    with tracer.run(agent="a", input={"password": SECRET}):
        pass
    assert tracer.flush()
    [root] = sink.spans()
    assert root.attributes["springlet.run.input"] == {"password": REDACTED}


def test_patterns_with_global_flags_and_bad_patterns() -> None:
    redactor = Redactor(patterns=[r"(?i)internal-\d+"])
    assert redactor.text("see INTERNAL-42 and sk-abcdefghijklmnopqrstuvwx") == (
        f"see {REDACTED} and {REDACTED}"
    )
    with pytest.raises(SpringletError, match="not a regular expression"):
        Redactor(patterns=["(unclosed"])


@pytest.mark.parametrize(
    "text",
    [
        "PASSWORD: hunter2",
        "X-Api_Key=abc123",
        "AKIAABCDEFGHIJKLMNOP",
        "ghp_abcdefghijklmnopqrstuvwxyz",
        "xoxb-1234567890-abc",
        "BEARER abcdefgh12345",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_the_cheap_prescan_never_hides_a_secret(text: str) -> None:
    # texts are scanned for a hint of a secret (case-insensitively) before the patterns run
    redactor = Redactor(fields=["password", "api_key"])
    assert REDACTED in redactor.text(text)
    assert REDACTED in redactor.text(f"said: {text} (again)")


def test_repeated_texts_and_named_groups_of_user_patterns() -> None:
    # a user pattern's `value` group marks the part to hide; it runs on every text
    redactor = Redactor(patterns=[r"ticket (?P<value>\d{4})"])
    first = redactor.text("see ticket 1234 now")
    assert first == redactor.text("see ticket 1234 now") == f"see ticket {REDACTED} now"
    assert redactor.text("plain words") == "plain words"


def test_token_counts_and_numbers_stay_as_they_are() -> None:
    redactor = Redactor(fields=["password", "api_key", "apikey", "token", "secret"])
    kept = {
        "max_tokens": 512,
        "input_tokens": 31,
        "token_count": 7,
        "gen_ai.usage.input_tokens": 31,
        "gen_ai.usage.output_tokens": 12,
        "gen_ai.request.max_tokens": 256,
        "num_ctx": 8192,
        "tokenizer": "gpt2",
    }
    assert redactor.value(kept) == kept  # numbers stay numbers, names stay
    assert json.loads(redactor.value(json.dumps(kept))) == kept  # inside JSON text too
    assert redactor.text("max_tokens: 512, token_count=7") == "max_tokens: 512, token_count=7"


def test_secret_keys_are_still_found_as_words() -> None:
    redactor = Redactor(fields=["password", "api_key", "token"])
    secret = {
        "password": "hunter2",
        "OPENAI_API_KEY": "abc",
        "x-api-key": "abc",
        "access_token": "abc",
        "refreshToken": "abc",
        "token2": "abc",
        "db_password": 1234,
    }
    assert set(redactor.value(secret).values()) == {"[REDACTED]"}
    assert "hunter2" not in redactor.text("login with password: hunter2 please")
    assert "abc123" not in redactor.text('{"access_token": "abc123"}')
