"""Structured answers that fit the agent's `output` schema, or are asked for again.

LangChain's provider strategy parses the model's JSON but does not check a JSON Schema
given as a dict, and raises on an answer that is not JSON at all. `StructuredAnswer`
validates the answer against the schema and, when it does not fit, shows the model its
answer and the validation error and asks again (`retries` times) - inside the same model
call, so the stored conversation keeps only the answer that fit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.structured_output import StructuredOutputValidationError
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

from springlet.agents.text_tool_calls import as_tool_call_message
from springlet.models.structured import StructuredOutputError, json_of, schema_problem

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]


class StructuredAnswer(AgentMiddleware[AgentState[Any], Any]):
    """Validate the structured answer against `schema`; retry with the error."""

    def __init__(
        self, schema: dict[str, Any], *, retries: int = 2, tool_names: Iterable[str] = ()
    ) -> None:
        super().__init__()
        self.schema = schema
        self.retries = retries
        self.tool_names = tuple(tool_names)

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        messages: list[AnyMessage] = list(request.messages)
        for attempt in range(self.retries + 1):
            try:
                response = await handler(request.override(messages=messages))
            except StructuredOutputValidationError as exc:
                as_call = as_tool_call_message(exc.ai_message, self.tool_names)
                if as_call is not None:  # a tool call written as text, not a bad answer
                    return ModelResponse(result=[as_call])
                answer: list[Any] = [exc.ai_message]
                problem = f"it is not valid JSON ({exc.source})"
            else:
                final = _last_ai(response)
                if response.structured_response is None and final.tool_calls:
                    return response  # a tool step on the way to the answer
                value, found = self.answer_of(response)
                if found is None:
                    return ModelResponse(result=response.result, structured_response=value)
                answer, problem = list(response.result), found
            if attempt == self.retries:
                raise StructuredOutputError(
                    f"the model's answer does not fit the output schema after "
                    f"{self.retries + 1} attempts: {problem}",
                    hint="simplify `output`, or use a model that follows JSON schemas",
                )
            messages = [*messages, *answer, _feedback(problem)]
        raise AssertionError("unreachable")

    def answer_of(self, response: ModelResponse) -> tuple[Any, str | None]:
        """The structured answer of `response` and what is wrong with it (None: fits).
        A model without native structured output may answer JSON as text: parse it."""
        value = response.structured_response
        if value is None:
            try:
                value = json_of(_last_ai(response).text)
            except StructuredOutputError as exc:
                return None, str(exc)
        return value, self.problem(value)

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` for the schema; None when it fits (or is absent)."""
        return None if value is None else schema_problem(value, self.schema)


def _last_ai(response: ModelResponse) -> AIMessage:
    return next(m for m in reversed(response.result) if isinstance(m, AIMessage))


def _feedback(problem: str) -> HumanMessage:
    return HumanMessage(
        f"Your answer does not fit the required JSON schema: {problem}. "
        "Answer again with only a JSON object that fits the schema."
    )
