"""The fluent ChatClient on the scripted model: content, entity with retries, stream,
advisors in order, immutability."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel

from springlet.errors import ModelError
from springlet.prompts.chat_client import CallNext, ChatAdvisor, ChatClient, ChatRequest
from springlet.testing import Reply, ScriptedChatModel


class City(BaseModel):
    name: str
    population: int


def echo(messages: list[BaseMessage], tools: Any) -> Reply:
    return Reply(" / ".join(f"{m.type}:{m.content}" for m in messages))


def test_content_renders_system_and_user_templates() -> None:
    client = ChatClient(ScriptedChatModel(respond=echo), system="You are {{ role }}.")
    text = (
        client.prompt()
        .system("You are {{ role }}.", role="terse")
        .user("Capital of {{ country }}?", country="France")
        .call()
        .content()
    )
    assert text == "system:You are terse. / human:Capital of France?"


def test_requests_are_immutable_and_shareable() -> None:
    base = ChatClient(ScriptedChatModel(respond=echo)).prompt("hi")
    louder = base.system("Shout.")
    assert base.call().content() == "human:hi"
    assert louder.call().content() == "system:Shout. / human:hi"


def test_entity_retries_an_invalid_answer_with_the_error() -> None:
    model = ScriptedChatModel(
        steps=[
            Reply('{"name": "Paris", "population": "many"}'),
            Reply('{"name": "Paris", "population": 2100000}'),
        ]
    )
    city = ChatClient(model).prompt("Biggest French city?").call().entity(City)
    assert city == City(name="Paris", population=2100000)
    retry_messages = model.calls[1].messages
    assert retry_messages[-1].type == "human"
    assert "population" in str(retry_messages[-1].content)  # the validation error is fed back
    assert retry_messages[-2].type == "ai"


def test_entity_with_a_json_schema_and_giving_up() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    ok = ChatClient(ScriptedChatModel(steps=[Reply('{"n": 3}')])).prompt("n?").call()
    assert ok.entity(schema) == {"n": 3}
    bad = ChatClient(ScriptedChatModel(steps=[Reply("no"), Reply("{}")])).prompt("n?").call()
    with pytest.raises(ModelError, match="after 2 attempts: 'n' is a required property"):
        bad.entity(schema, retries=1)


def test_stream_yields_pieces_that_make_the_answer() -> None:
    model = ScriptedChatModel(steps=[Reply("one two three")])
    pieces = list(ChatClient(model).prompt("count").stream().content())
    assert len(pieces) > 1
    assert "".join(pieces) == "one two three"


class Tag(ChatAdvisor):
    def __init__(self, tag: str, log: list[str]) -> None:
        self.tag, self.log = tag, log

    async def around(self, request: ChatRequest, call_next: CallNext) -> AIMessage:
        self.log.append(f"{self.tag}>")
        reply = await call_next(request.user(f"{request.user_text} {self.tag}"))
        self.log.append(f"<{self.tag}")
        return reply


async def test_advisors_wrap_the_call_in_the_order_given() -> None:
    log: list[str] = []
    client = ChatClient(ScriptedChatModel(respond=echo), advisors=(Tag("a", log),))
    text = await client.prompt("q").advisors(Tag("b", log)).call().acontent()
    assert text == "human:q a b"
    assert log == ["a>", "b>", "<b", "<a"]


def test_empty_prompt_and_bad_model_reference_are_clear_errors() -> None:
    with pytest.raises(ModelError, match="empty"):
        ChatClient(ScriptedChatModel(respond=echo)).prompt().call().content()
    with pytest.raises(ModelError):
        ChatClient("nosuchprovider:x")
