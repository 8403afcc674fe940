"""Turn what the `ollama` client and httpx raise into springlet errors a user can act on.

Each error names the host and model and says what to do next: start `ollama serve`,
pull the model, raise the timeout, or look at the server's log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import ollama
import pydantic

from springlet.errors import (
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
