"""`ChatClient`: Spring AI's fluent client for one-off prompts, on any LangChain chat model.

```python
from springlet import ChatClient

client = ChatClient("ollama:qwen2.5:7b")          # or a BaseChatModel, or "scripted:NAME"
text = client.prompt("Name a colour.").call().content()
city = (
    client.prompt()
    .system("You answer in JSON.")
    .user("Capital of {{ country }}?", country="France")
    .call()
    .entity(City)                                 # a pydantic model, or a JSON Schema dict
)
for piece in client.prompt("Tell a story.").stream().content():
    print(piece, end="")
```

Requests are immutable: every builder method returns a new request, so a request can be
shared and extended safely. Templates render in springlet's sandbox. Advisors wrap the
call in the order given (the first is outermost), as Spring AI's advisor chain does.
Each blocking method has an `a`-prefixed twin for async code; the blocking faces run the
async ones on springlet's runtime loop.
"""

from __future__ import annotations

import queue
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, overload

from springlet._runtime import runtime_loop
from springlet._runtime.messages import text_of
from springlet.errors import ModelError
from springlet.prompts.template import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from pydantic import BaseModel

    from springlet.models.resolve import ResolvedChatModel
    from springlet.settings import WorkspaceSettings

T = TypeVar("T", bound="BaseModel")
CallNext = Callable[["ChatRequest"], Awaitable["AIMessage"]]
_DONE = object()


class ChatAdvisor:
    """Wraps a ChatClient call. Override `before` / `after` for the simple cases, or
    `around` to call the rest of the chain zero or more times (retry, cache, refuse)."""

    async def before(self, request: ChatRequest) -> ChatRequest:
        return request

    async def after(self, message: AIMessage) -> AIMessage:
        return message

    async def around(self, request: ChatRequest, call_next: CallNext) -> AIMessage:
        return await self.after(await call_next(await self.before(request)))


class ChatClient:
    """A chat model with defaults (system text, advisors) for fluent one-off prompts."""

    def __init__(
        self,
        model: BaseChatModel | ResolvedChatModel | str,
        *,
        settings: WorkspaceSettings | None = None,
        system: str | None = None,
        advisors: tuple[ChatAdvisor, ...] = (),
        callbacks: list[Any] | None = None,
    ) -> None:
        self.model = _chat_model(model, settings)
        self.default_system = system
        self.default_advisors = advisors
        self.callbacks = callbacks
        """LangChain callbacks every model call gets (a trace's recorder, say)."""

    def prompt(self, text: str | None = None) -> ChatRequest:
        """A new request; `text` is the user message (or set it with `.user(...)`)."""
        return ChatRequest(
            client=self,
            system_text=self.default_system,
            user_text=text,
            chain=self.default_advisors,
        )


@dataclass(frozen=True)
class ChatRequest:
    """One prompt being built: system and user templates, their values, advisors."""

    client: ChatClient
    system_text: str | None = None
    user_text: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    history: tuple[BaseMessage, ...] = ()
    chain: tuple[ChatAdvisor, ...] = ()
    structured: Any = None
    """The schema the answer must fit, set by `CallResponse.entity`."""

    def system(self, text: str, **values: Any) -> ChatRequest:
        return replace(self, system_text=text, values={**self.values, **values})

    def user(self, text: str, **values: Any) -> ChatRequest:
        return replace(self, user_text=text, values={**self.values, **values})

    def messages(self, *messages: BaseMessage) -> ChatRequest:
        """Earlier conversation turns, sent between the system and the user message."""
        return replace(self, history=self.history + messages)

    def advisors(self, *advisors: ChatAdvisor) -> ChatRequest:
        return replace(self, chain=self.chain + advisors)

    def call(self) -> CallResponse:
        """The response; the model is called when you ask for `.content()` / `.entity()`."""
        return CallResponse(self)

    def stream(self) -> StreamResponse:
        return StreamResponse(self)

    def to_messages(self) -> list[BaseMessage]:
        """The rendered messages this request sends."""
        from langchain_core.messages import HumanMessage, SystemMessage

        out: list[BaseMessage] = []
        if self.system_text is not None:
            out.append(SystemMessage(render(self.system_text, self.values, what="system text")))
        out.extend(self.history)
        if self.user_text is not None:
            out.append(HumanMessage(render(self.user_text, self.values, what="user text")))
        if not out:
            raise ModelError("the prompt is empty: give it a user or system text")
        return out

    async def send(self) -> AIMessage:
        """Call the model through the advisor chain (the first advisor is outermost)."""

        async def terminal(request: ChatRequest) -> AIMessage:
            model: Any = request.client.model
            config: Any = {"callbacks": request.client.callbacks}
            if request.structured is not None:
                # constrained decoding where the provider has it; the raw reply is parsed
                # by us so every provider gets the same validation and retries
                structured = model.with_structured_output(request.structured, include_raw=True)
                outcome = await structured.ainvoke(request.to_messages(), config=config)
                return outcome["raw"]  # type: ignore[no-any-return]
            return await model.ainvoke(request.to_messages(), config=config)  # type: ignore[no-any-return]

        call_next: CallNext = terminal
        for advisor in reversed(self.chain):
            call_next = _link(advisor, call_next)
        return await call_next(self)


def _link(advisor: ChatAdvisor, call_next: CallNext) -> CallNext:
    async def step(request: ChatRequest) -> AIMessage:
        return await advisor.around(request, call_next)

    return step


@dataclass(frozen=True)
class CallResponse:
    """A request ready to run; ask for the answer as text, message or typed object."""

    request: ChatRequest

    def content(self) -> str:
        return runtime_loop.run_sync(self.acontent())

    async def acontent(self) -> str:
        return _text(await self.request.send())

    def chat_response(self) -> AIMessage:
        return runtime_loop.run_sync(self.request.send())

    @overload
    def entity(self, schema: type[T], *, retries: int = 2) -> T: ...
    @overload
    def entity(self, schema: dict[str, Any], *, retries: int = 2) -> dict[str, Any]: ...
    def entity(self, schema: Any, *, retries: int = 2) -> Any:
        """The answer validated into `schema` (a pydantic model or a JSON Schema dict);
        an answer that does not fit is sent back with the error, `retries` times."""
        return runtime_loop.run_sync(self.aentity(schema, retries=retries))

    async def aentity(self, schema: Any, *, retries: int = 2) -> Any:
        from langchain_core.messages import HumanMessage

        request = replace(self.request, structured=schema)
        for attempt in range(retries + 1):
            reply = await request.send()
            try:
                return parse_entity(reply, schema)
            except ValueError as exc:
                if attempt == retries:
                    raise ModelError(
                        f"the model's answer does not fit the schema after {retries + 1} "
                        f"attempts: {exc}",
                        hint="simplify the schema, or use a larger model",
                    ) from None
                feedback = HumanMessage(
                    f"That answer is invalid: {exc}. Reply again with only the JSON object."
                )
                request = request.messages(*_user_turn(request), reply, feedback)
                request = replace(request, user_text=None)
        raise AssertionError("unreachable")


def _user_turn(request: ChatRequest) -> list[BaseMessage]:
    from langchain_core.messages import HumanMessage

    if request.user_text is None:
        return []
    return [HumanMessage(render(request.user_text, request.values, what="user text"))]


def parse_entity(reply: AIMessage, schema: Any) -> Any:
    """The reply's JSON (text, or first tool call's arguments) validated into `schema`;
    StructuredOutputError (a ValueError) says what is wrong."""
    from springlet.models.structured import data_of, validated

    return validated(data_of(reply), schema)


@dataclass(frozen=True)
class StreamResponse:
    """The answer as text pieces while the model writes it. Advisors' `before` applies."""

    request: ChatRequest

    def content(self) -> Iterator[str]:
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

        async def pump() -> None:
            try:
                async for piece in self.acontent():
                    inbox.put(piece)
            finally:
                inbox.put(_DONE)

        future = runtime_loop.submit(pump())
        try:
            while (item := inbox.get()) is not _DONE:
                yield item
            future.result()
        finally:
            future.cancel()

    async def acontent(self) -> AsyncIterator[str]:
        request = self.request
        for advisor in request.chain:
            request = await advisor.before(request)
        config: Any = {"callbacks": request.client.callbacks}
        async for chunk in request.client.model.astream(request.to_messages(), config=config):
            piece = _text(chunk)
            if piece:
                yield piece

    def __iter__(self) -> Iterator[str]:
        return self.content()


def _text(message: Any) -> str:
    return text_of(message.content)


def _chat_model(
    model: BaseChatModel | ResolvedChatModel | str, settings: WorkspaceSettings | None
) -> BaseChatModel:
    if isinstance(model, str):
        from springlet.models.reference import parse_model_ref
        from springlet.models.resolve import resolve_chat_model
        from springlet.settings import WorkspaceSettings

        try:
            ref = parse_model_ref(model)
        except ValueError as exc:
            raise ModelError(str(exc)) from None
        return resolve_chat_model(ref, settings or WorkspaceSettings()).chat_model
    from springlet.models.resolve import ResolvedChatModel

    return model.chat_model if isinstance(model, ResolvedChatModel) else model
