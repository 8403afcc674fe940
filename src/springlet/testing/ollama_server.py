"""An Ollama-protocol HTTP server on 127.0.0.1, for tests that drive the real clients.

It speaks Ollama's documented API as `ollama.Client` and `ChatOllama` use it —
`/api/chat` (NDJSON streaming or one object, tools, format, options, token counts and
durations), `/api/embed`, `/api/tags`, `/api/show`, `/api/pull`, `/api/version` — with
Ollama's error bodies and status codes. Answers come from any LangChain chat model
(a `ScriptedChatModel` by default, or the embedded llama.cpp model).

    with OllamaTestServer(backend=ScriptedChatModel(steps=[Reply("hi")])) as server:
        ollama.Client(host=server.url).chat(model="qwen2.5:7b", messages=[...])

`server.faults` switches failures on (down, slow, 404, 500, cut stream, malformed tool
call, bad JSON); `server.requests` records every request body for assertions.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from springlet.models.hashed_embeddings import hashed_embedding
from springlet.models.scripted import Reply, ScriptedChatModel
from springlet.testing.ollama_answers import ChatTurn, errors_as_lines, load_response, pull_progress
from springlet.testing.ollama_protocol import (
    ServedModel,
    normalize_name,
    prompt_token_count,
)

OLLAMA_VERSION = "0.12.6"

DEFAULT_MODELS: tuple[ServedModel, ...] = (
    ServedModel("qwen2.5:7b"),
    ServedModel(
        "gemma:2b",
        family="gemma",
        parameter_size="3B",
        quantization_level="Q4_0",
        context_length=8192,
        capabilities=("completion",),
    ),
    ServedModel(
        "nomic-embed-text:latest",
        family="nomic-bert",
        parameter_size="137M",
        quantization_level="F16",
        context_length=2048,
        capabilities=("embedding",),
        embedding_length=64,
        size=274_302_450,
    ),
)


@dataclass
class ServerFaults:
    """Failures to simulate; change them at any time, `reset()` turns them all off."""

    down: bool = False
    """Drop every connection without answering (a crashed server)."""
    delay_s: float = 0.0
    """Wait this long before answering any request (a slow or loading model)."""
    chunk_delay_s: float = 0.0
    """Wait this long between streamed chunks."""
    missing_models: set[str] = field(default_factory=set)
    """Answer 404 for these names as if they were never pulled."""
    error_status: int | None = None
    """Answer every chat/embed request with this status and `error_message`."""
    error_message: str = "an error was encountered while running the model"
    cut_stream_after: int | None = None
    """Drop the connection after this many streamed chunks (no `done` chunk)."""
    stream_error: str | None = None
    """Send Ollama's mid-stream `{"error": ...}` line after the first chunk."""
    malformed_tool_call: bool = False
    """Send tool call arguments as a broken JSON string instead of an object."""
    bad_json: bool = False
    """Send a body (or stream line) that is not JSON."""
    tool_arguments_as_list: bool = False
    """Send tool call arguments as a JSON list of the values instead of an object."""
    tool_arguments_text: str | None = None
    """Send every tool call's arguments as this text (a string, as a weak model writes
    them: single quotes, trailing commas, unquoted keys)."""
    stringified_arguments: bool = False
    """Send list and object argument values as JSON strings (`"[1, 2]"`)."""
    ignore_truncate: bool = False
    """Ignore `truncate: false` and silently keep the end of an over-long prompt (an Ollama
    older than the flag); `prompt_eval_count` then reports fewer tokens than were sent."""
    trickle_bytes_per_s: float | None = None
    """Send streamed answers one byte at a time at this rate (a stuck, trickling server)."""

    def reset(self) -> None:
        for name, value in ServerFaults().__dict__.items():
            setattr(self, name, value)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any]


class OllamaTestServer:
    """The server; a context manager that starts it on a free port and stops it cleanly."""

    def __init__(
        self,
        backend: BaseChatModel | None = None,
        *,
        models: tuple[ServedModel, ...] | list[ServedModel] = DEFAULT_MODELS,
        pullable: tuple[ServedModel, ...] | list[ServedModel] = (),
        version: str = OLLAMA_VERSION,
    ) -> None:
        self.backend: BaseChatModel = backend or ScriptedChatModel(respond=_echo)
        self.models: dict[str, ServedModel] = {m.full_name: m for m in models}
        self.pullable: dict[str, ServedModel] = {m.full_name: m for m in pullable}
        self.version = version
        self.faults = ServerFaults()
        self.requests: list[RecordedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the Ollama test server is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OllamaTestServer:
        handler = type("BoundHandler", (_Handler,), {"ollama": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ollama-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OllamaTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def find_model(self, name: str) -> ServedModel | None:
        full = normalize_name(name)
        if name in self.faults.missing_models or full in self.faults.missing_models:
            return None
        return self.models.get(full)

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        """The bodies of the requests made to `path` so far."""
        return [r.body for r in list(self.requests) if r.path == path]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client dropping its keep-alive connection is normal, not worth a traceback
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _mangle_tool_calls(line: dict[str, Any], faults: ServerFaults) -> None:
    for call in (line.get("message") or {}).get("tool_calls") or []:
        function = call["function"]
        if faults.tool_arguments_as_list:
            function["arguments"] = list(function["arguments"].values())
        elif faults.tool_arguments_text is not None:
            function["arguments"] = faults.tool_arguments_text
        elif faults.stringified_arguments:
            function["arguments"] = {
                key: json.dumps(value) if isinstance(value, list | dict) else value
                for key, value in function["arguments"].items()
            }


def _echo(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Reply:
    return Reply(f"echo: {messages[-1].content if messages else ''}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # like Go's net/http (and so Ollama): streamed chunks go out at once, without Nagle's
    # delay waiting for the client's (delayed) ACK
    disable_nagle_algorithm = True
    ollama: OllamaTestServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    # -- plumbing ---------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        try:
            self._serve(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (a timeout, a cancelled run)

    def _serve(self, method: str) -> None:
        faults = self.ollama.faults
        body = self._read_body()
        if faults.down:
            self.close_connection = True
            return
        if faults.delay_s:
            time.sleep(faults.delay_s)
        self.ollama.requests.append(RecordedRequest(method, self.path, body or {}))
        routes = {
            "/api/version": self._version,
            "/api/tags": self._tags,
            "/api/show": self._show,
            "/api/chat": self._chat,
            "/api/embed": self._embed,
            "/api/pull": self._pull,
            "/": self._root,
        }
        route = routes.get(self.path.split("?")[0])
        if route is None:
            self._send_json(404, {"error": "404 page not found"}, raw=True)
        elif body is None:
            self._send_json(400, {"error": "invalid character in request body"})
        else:
            route(body)

    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def _send_json(self, status: int, payload: dict[str, Any], *, raw: bool = False) -> None:
        data = json.dumps(payload).encode()
        if self.ollama.faults.bad_json and not raw:
            data = b'{"model": "broken", "message": <html>oops'
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _stream_lines(self, lines: Iterator[dict[str, Any]]) -> None:
        """NDJSON over chunked transfer encoding; faults may cut or corrupt it."""
        faults = self.ollama.faults
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for sent, line in enumerate(lines):
            if faults.cut_stream_after is not None and sent >= faults.cut_stream_after:
                self.wfile.flush()
                self.close_connection = True
                return  # no terminating chunk: the client sees an incomplete body
            if sent == 1 and faults.stream_error is not None:
                line = {"error": faults.stream_error}
            _mangle_tool_calls(line, faults)
            data = json.dumps(line).encode() + b"\n"
            if faults.bad_json and sent >= 1:
                data = b"{not json\n"
            self._write_chunk(data)
            if faults.chunk_delay_s:
                time.sleep(faults.chunk_delay_s)
            if "error" in line:
                break
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        rate = self.ollama.faults.trickle_bytes_per_s
        if rate and data:
            for byte in data:  # one HTTP chunk per byte: the client sees progress, slowly
                self.wfile.write(b"1\r\n" + bytes([byte]) + b"\r\n")
                self.wfile.flush()
                time.sleep(1 / rate)
            return
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # -- endpoints --------------------------------------------------------------------

    def _root(self, body: dict[str, Any]) -> None:
        data = b"Ollama is running"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _version(self, body: dict[str, Any]) -> None:
        self._send_json(200, {"version": self.ollama.version})

    def _tags(self, body: dict[str, Any]) -> None:
        models = [m for m in self.ollama.models.values() if self.ollama.find_model(m.name)]
        self._send_json(200, {"models": [m.tags_entry() for m in models]})

    def _show(self, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name") or ""
        if not name:
            self._send_json(400, {"error": "model is required"})
            return
        model = self.ollama.find_model(name)
        if model is None:
            self._send_json(404, {"error": f"model '{name}' not found"})
            return
        self._send_json(200, model.show_response())

    def _model_call_refused(self, name: str, capability: str) -> ServedModel | None:
        """The served model, or None after sending the error Ollama would send."""
        faults = self.ollama.faults
        if not name:
            self._send_json(400, {"error": "model is required"})
            return None
        model = self.ollama.find_model(name)
        if model is None:
            self._send_json(404, {"error": f'model "{name}" not found, try pulling it first'})
            return None
        if not model.supports(capability):
            full = f"registry.ollama.ai/library/{model.full_name}"
            self._send_json(400, {"error": f"{full} does not support {capability}"})
            return None
        if faults.error_status is not None:
            self._send_json(faults.error_status, {"error": faults.error_message})
            return None
        return model

    def _chat(self, body: dict[str, Any]) -> None:
        tools = body.get("tools") or []
        needed = "tools" if tools else "completion"
        model = self._model_call_refused(str(body.get("model") or ""), needed)
        if model is None:
            return
        messages = body.get("messages") or []
        if not messages:
            self._send_json(200, load_response(model.full_name, body))
            return
        thinks = model.supports("thinking")
        if body.get("think") and not thinks:
            full = f"registry.ollama.ai/library/{model.full_name}"
            self._send_json(400, {"error": f'"{full}" does not support thinking'})
            return
        faults = self.ollama.faults
        if body.get("truncate") is False and not faults.ignore_truncate:
            options = body.get("options") or {}
            tokens = prompt_token_count(messages, body.get("tools") or [])
            if tokens > int(options.get("num_ctx") or 4096):  # Ollama's answer to truncate: false
                self._send_json(400, {"error": "the input length exceeds the context length"})
                return
        turn = ChatTurn(
            self.ollama.backend,
            body,
            malformed_tool_calls=faults.malformed_tool_call,
            thinks=thinks,
        )
        # a backend failure becomes what Ollama sends when its runner fails: HTTP 500
        # before the answer started, an `{"error": ...}` line once it has
        try:
            if not body.get("stream", True):
                self._send_json(200, turn.single())
                return
            lines = turn.stream()
            first = next(lines)
        except Exception as exc:
            self._send_json(500, {"error": f"model runner failed: {exc}"})
            return
        self._stream_lines(itertools.chain([first], errors_as_lines(lines)))

    def _embed(self, body: dict[str, Any]) -> None:
        model = self._model_call_refused(str(body.get("model") or ""), "embedding")
        if model is None:
            return
        raw_input = body.get("input", [])
        texts = [raw_input] if isinstance(raw_input, str) else list(raw_input)
        if not all(isinstance(t, str) for t in texts):
            self._send_json(400, {"error": "invalid input type"})
            return
        started = time.perf_counter_ns()
        size = int(body.get("dimensions") or model.embedding_length or 64)
        vectors = [hashed_embedding(t, size) for t in texts]
        self._send_json(
            200,
            {
                "model": body["model"],
                "embeddings": vectors,
                "total_duration": time.perf_counter_ns() - started,
                "load_duration": 0,
                "prompt_eval_count": sum(len(t.split()) for t in texts),
            },
        )

    def _pull(self, body: dict[str, Any]) -> None:
        name = normalize_name(str(body.get("model") or body.get("name") or ""))
        known = self.ollama.pullable.get(name) or self.ollama.models.get(name)
        statuses = list(pull_progress(known))
        if known is not None:
            self.ollama.models[name] = known
            self.ollama.faults.missing_models.discard(name)
            self.ollama.faults.missing_models.discard(name.removesuffix(":latest"))
        if body.get("stream", True):
            self._stream_lines(iter(statuses))
        else:
            self._send_json(200, statuses[-1])
