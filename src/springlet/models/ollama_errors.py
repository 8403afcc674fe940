"""Turn what the `ollama` client and httpx raise into springlet errors a user can act on.

Each error names the host and model and says what to do next: start `ollama serve`,
pull the model, raise the timeout, or look at the server's log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import ollama
import pydantic

from springlet.errors import (
    ContextOverflowError,
    ModelCapabilityError,
    ModelError,
    ModelNotFoundError,
    ModelServerError,
    ModelStreamError,
    ModelTimeoutError,
    ModelUnavailableError,
)

NO_TOOLS_MARKER = "does not support tools"


class ToolsUnsupportedError(ModelCapabilityError):
    """Ollama answered 400 "... does not support tools" (the model's template has no tools)."""


def unreachable(host: str) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"cannot reach the Ollama server at {host}",
        hint=f"is `ollama serve` running at {host}? Set `ollama.host` in springlet.yaml or "
        "OLLAMA_HOST, or use `embedded:smollm2` to run without Ollama",
    )


def model_not_found(host: str, model: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"the Ollama server at {host} does not have the model '{model}'",
        hint=f"run `springlet models pull {model}` (or `ollama pull {model}`), or set "
        "`ollama.auto_pull: true` in springlet.yaml",
    )


def translate(exc: BaseException, host: str, model: str, timeout_s: float | None) -> ModelError:
    """The springlet error for `exc`, raised while talking to `host` about `model`."""
    where = f"Ollama at {host}"
    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, ollama.ResponseError):
        return _from_response_error(exc, host, model)
    if isinstance(exc, httpx.TimeoutException):
        limit = f" within {timeout_s:g} s" if timeout_s else " in time"
        return ModelTimeoutError(
            f"{where} did not answer for '{model}'{limit}",
            hint="raise `ollama.timeout_s` in springlet.yaml, lower num_predict, or use a "
            "smaller model (a model loading for the first time can be slow)",
        )
    if isinstance(exc, ConnectionError | httpx.ConnectError):
        return unreachable(host)
    if isinstance(exc, httpx.RemoteProtocolError) and "without sending a response" in str(exc):
        return ModelUnavailableError(
            f"{where} closed the connection without answering ({exc})",
            hint=f"the server may be restarting or crashed; check `ollama serve` at {host}",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ModelStreamError(
            f"the answer of '{model}' from {where} stopped before it was complete ({exc})",
            hint="the server may have crashed or run out of memory; check its log and retry",
        )
    bad_arguments = _bad_tool_arguments(exc, where, model)
    if bad_arguments is not None:
        return bad_arguments
    if isinstance(exc, json.JSONDecodeError | pydantic.ValidationError):
        return ModelServerError(
            f"{where} sent a response that is not valid Ollama API JSON for '{model}': "
            f"{_first_line(exc)}",
            hint="the server is not Ollama or is misbehaving; check `ollama.host` and the "
            "server's version (`ollama --version`)",
        )
    if isinstance(exc, httpx.HTTPError):
        return ModelUnavailableError(
            f"talking to {where} failed: {exc}", hint=unreachable(host).hint
        )
    raise exc


def _bad_tool_arguments(exc: BaseException, where: str, model: str) -> ModelError | None:
    """A tool call whose arguments are not a JSON object (a list, a broken JSON string):
    the error names the tool and the field instead of "1 validation error for ChatResponse"."""
    if not isinstance(exc, pydantic.ValidationError):
        return None
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if "tool_calls" not in loc or loc[-1:] != ("arguments",):
            continue
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc)
        field = field.replace(".[", "[")
        value = error.get("input")
        kind = "a list" if isinstance(value, list) else f"{type(value).__name__} {value!r:.60}"
        name = _tool_name_in_traceback(exc, loc)
        tool = f"tool call '{name}'" if name else "a tool call"
        return ModelServerError(
            f"{where} sent {tool} for '{model}' whose arguments ({field}) are {kind}, "
            "not a JSON object",
            hint="the model wrote a malformed tool call; run again, add the `retry` advisor "
            "(`retry: {model: 1}`), or use a model that is better at tool calling",
        )
    return None


def _tool_name_in_traceback(exc: BaseException, loc: tuple[Any, ...]) -> str | None:
    """The tool's name, from the response line the Ollama client was parsing (a local of
    one of its frames): the validation error itself only carries the failing value."""
    tb = exc.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            name = _name_at(value, loc)
            if name:
                return name
        tb = tb.tb_next
    return None


def _name_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    node = data
    for step in loc[:-1]:  # down to the call's `function` object
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    name = node.get("name") if isinstance(node, dict) else None
    return name if isinstance(name, str) else None


def _from_response_error(exc: ollama.ResponseError, host: str, model: str) -> ModelError:
    message = str(exc.error)
    status = exc.status_code
    if status == 404 and "not found" in message:
        return model_not_found(host, model)
    if NO_TOOLS_MARKER in message:
        return ToolsUnsupportedError(
            f"'{model}' at Ollama {host} does not support native tool calls",
            hint="springlet falls back to prompted tool calls for such models",
        )
    if status == 400 and "exceeds the context length" in message:  # sent with truncate: false
        return ContextOverflowError(
            f"the prompt for '{model}' does not fit its context window at Ollama {host} "
            f"({message})",
            hint="shorten the conversation (compaction, a smaller memory window), retrieve "
            "fewer chunks, raise num_ctx, or use a model with a longer context",
        )
    if status == 400 and "does not support" in message:
        return ModelCapabilityError(
            f"'{model}' at Ollama {host}: {message}",
            hint="pick a model that has this capability (`springlet models show NAME`)",
        )
    if status == -1:  # Ollama's `{"error": ...}` line in the middle of a stream
        return ModelStreamError(
            f"Ollama at {host} failed in the middle of the answer of '{model}': {message}",
            hint="check the server's log; the model may have run out of memory",
        )
    return ModelServerError(
        f"Ollama at {host} answered HTTP {status} for '{model}': {message}",
        status_code=status,
        body=message,
        hint="check the server's log (`journalctl -u ollama` or the `ollama serve` output)",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@contextmanager
def ollama_errors(host: str, model: str, timeout_s: float | None = None) -> Iterator[None]:
    """Re-raise anything the client raises inside the block as a springlet ModelError."""
    try:
        yield
    except (
        ollama.ResponseError,
        ConnectionError,
        httpx.HTTPError,
        json.JSONDecodeError,
        pydantic.ValidationError,
    ) as exc:
        raise translate(exc, host, model, timeout_s) from exc
