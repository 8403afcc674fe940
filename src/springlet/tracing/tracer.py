"""The tracer: opens and closes runs, hands their callback handler to LangChain, and
owns the background pipeline that stores and exports spans."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from springlet._runtime import process_state
from springlet.errors import SpringletError
from springlet.tracing import spans as a
from springlet.tracing.pipeline import SpanPipeline
from springlet.tracing.redaction import Redactor
from springlet.tracing.sinks import TraceSink
from springlet.tracing.spans import Span, SpanKind, SpanStatus, new_id, now_ns
from springlet.tracing.store import TraceStore

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler

    from springlet.tracing.handler import SpanRecorder

_WORKSPACE_TRACERS: dict[tuple[Path, str], Tracer] = {}
_RESOLVED_DIRS: dict[Path, Path] = {}
"""Data dirs as given -> resolved: resolving is a filesystem walk, and it happened on
every run (the tracer is looked up per run)."""
_WORKSPACE_LOCK = threading.Lock()


class Tracer:
    """Records runs as span trees and sends them to sinks (the store, OTLP, your own)."""

    def __init__(
        self,
        sinks: Sequence[TraceSink] = (),
        *,
        redactor: Redactor | None = None,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled and bool(sinks)
        self.sinks = list(sinks)
        self.redactor = (
            redactor
            if redactor is not None
            else Redactor(
                fields=("password", "api_key", "apikey", "token", "secret", "authorization")
            )
        )
        self._pipeline = SpanPipeline(self.sinks, self.redactor)

    @classmethod
    def disabled(cls) -> Tracer:
        return cls(enabled=False)

    @classmethod
    def for_workspace(
        cls,
        data_dir: Path,
        settings: Any = None,
        *,
        extra_sinks: Sequence[TraceSink] = (),
    ) -> Tracer:
        """The workspace's tracer (one per data dir, settings and process; `settings` is a
        `TracingSettings`). Custom sinks get a tracer of their own next to the store.

        Keyed by the settings too: a workspace reloaded with other redaction or
        retention settings must not keep the first ones it was opened with."""
        if settings is not None and not settings.enabled:
            return cls.disabled()
        given = Path(data_dir)
        directory = _RESOLVED_DIRS.get(given)
        if directory is None:
            directory = _RESOLVED_DIRS[given] = given.resolve()
        dump = getattr(settings, "model_dump_json", None)
        key = (directory, dump() if callable(dump) else repr(settings))
        with _WORKSPACE_LOCK:
            cached = _WORKSPACE_TRACERS.get(key)
            if cached is not None and not extra_sinks:
                return cached
            store = TraceStore.in_dir(
                directory,
                retention_days=getattr(settings, "retention_days", 30),
                retention_runs=getattr(settings, "retention_runs", 10_000),
            )
            redactor = Redactor.from_settings(settings.redact) if settings is not None else None
            tracer = cls([store, *extra_sinks], redactor=redactor)
            if not extra_sinks:
                _WORKSPACE_TRACERS[key] = tracer
            return tracer

    @property
    def store(self) -> TraceStore | None:
        return next((s for s in self.sinks if isinstance(s, TraceStore)), None)

    def run(
        self,
        *,
        agent: str,
        model: str | None = None,
        session_id: str | None = None,
        input: Any = None,
        attributes: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> RunScope:
        """Open a run; use as `with` / `async with`. See the package docstring.
        `run_id` lets a caller that already named the run (a router) keep its id."""
        return RunScope(
            self,
            run_id=run_id,
            agent=agent,
            model=model,
            session_id=session_id,
            input=input,
            attributes=attributes or {},
        )

    def submit(self, span: Span) -> None:
        self._pipeline.submit(span)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until every span recorded so far reached the sinks."""
        return self._pipeline.flush(timeout)

    def close(self) -> None:
        self._pipeline.close()


class RunScope:
    """One run. `callbacks` go into the LangChain config; `finish` records the outcome;
    leaving the block closes the run (an exception marks it error / cancelled)."""

    def __init__(
        self,
        tracer: Tracer,
        *,
        agent: str,
        model: str | None,
        session_id: str | None,
        input: Any,
        attributes: dict[str, Any],
        run_id: str | None = None,
    ) -> None:
        from springlet.tracing.handler import ACTIVE_TOOL

        self.tracer = tracer
        self.run_id = run_id or new_id()
        parent = ACTIVE_TOOL.get()
        if parent is not None and tracer.enabled:
            parent.recorder.delegate(parent.callback_run_id)
        self.trace_id = parent.trace_id if parent else self.run_id
        self.parent_span_id = parent.span_id if parent else None
        self._status: SpanStatus | None = None
        self._error: str | None = None
        self._output: Any = None
        self._exception: BaseException | None = None
        self._seq = itertools.count(1)
        self._recorder: SpanRecorder | None = None
        attrs: dict[str, Any] = {
            a.OPERATION: "invoke_agent",
            a.AGENT_NAME: agent,
            # a run still open when its process is gone was interrupted (store.py)
            a.PROCESS_PID: os.getpid(),
            a.HOST_NAME: a.HOST,
            **attributes,
        }
        if model:
            attrs[a.REQUEST_MODEL] = model
        if session_id:
            attrs[a.CONVERSATION_ID] = session_id
        if input is not None:
            attrs[a.RUN_INPUT] = input
        if parent:
            attrs["springlet.run.parent_run_id"] = parent.run_id
        self._root = Span(
            span_id=self.run_id,
            trace_id=self.trace_id,
            run_id=self.run_id,
            parent_id=self.parent_span_id,
            kind=SpanKind.AGENT,
            name=f"invoke_agent {agent}",
            start_ns=now_ns(),
            attributes=attrs,
            seq=0,
        )
        self._model = model

    @property
    def callback_handler(self) -> BaseCallbackHandler:
        """The handler to pass as `config={"callbacks": [run.callback_handler]}`."""
        if self._recorder is None:
            from springlet.tracing.handler import SpanRecorder

            self._recorder = SpanRecorder(
                trace_id=self.trace_id,
                run_id=self.run_id,
                root_span_id=self.run_id,
                emit=self.tracer.submit,
                model=self._model,
                next_seq=lambda: next(self._seq),
            )
        return self._recorder

    @property
    def callbacks(self) -> list[BaseCallbackHandler]:
        """`[callback_handler]`, or `[]` when tracing is off (no callback cost at all)."""
        return [self.callback_handler] if self.tracer.enabled else []

    def finish(
        self,
        *,
        output: Any = None,
        status: str | SpanStatus = SpanStatus.OK,
        error: str | BaseException | None = None,
    ) -> None:
        """Record the outcome; the run is stored when the block is left."""
        self._status = SpanStatus(status)
        self._output = output
        if isinstance(error, BaseException):
            self._exception = error
            error = str(error) if isinstance(error, SpringletError) else _described(error)
        self._error = error

    def start(self) -> RunScope:
        if self.tracer.enabled:
            self.tracer.submit(self._root)  # stored open: if the process dies, it stays so
        return self

    def end(self, exc: BaseException | None = None) -> None:
        status, error = self._status, self._error
        if status is None:
            if exc is None:
                status = SpanStatus.OK
            else:
                cancelled = isinstance(
                    exc, asyncio.CancelledError | KeyboardInterrupt | GeneratorExit
                )
                status = SpanStatus.CANCELLED if cancelled else SpanStatus.ERROR
                error = _described(exc)
        if not self.tracer.enabled:
            return
        if self._recorder is not None:
            # work still open when the run ended was cut off by the crash or cancel
            interrupted = status is SpanStatus.ERROR
            self._recorder.close_open(
                SpanStatus.ERROR if interrupted else SpanStatus.CANCELLED, error
            )
        attrs = dict(self._root.attributes)
        if self._output is not None:
            attrs[a.RUN_OUTPUT] = self._output
        failure = self._exception or (exc if status is SpanStatus.ERROR else None)
        if failure is not None:
            attrs.update(exception_attributes(failure))
        self.tracer.submit(
            self._root.with_changes(end_ns=now_ns(), status=status, error=error, attributes=attrs)
        )

    def __enter__(self) -> RunScope:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end(exc)

    async def __aenter__(self) -> RunScope:
        return self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end(exc)


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def exception_attributes(exc: BaseException) -> dict[str, str]:
    """OpenTelemetry's exception attributes, the traceback included."""
    import traceback

    return {
        "exception.type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "exception.message": str(exc),
        "exception.stacktrace": "".join(traceback.format_exception(exc)),
    }


def close_workspace_tracers() -> None:
    """Write what is queued and close every workspace tracer of this process (the next
    `for_workspace` opens a new one; workspaces opened before must be opened again)."""
    with _WORKSPACE_LOCK:
        tracers = list(_WORKSPACE_TRACERS.values())
        _WORKSPACE_TRACERS.clear()
    for tracer in tracers:
        tracer.close()


process_state.register("tracing.workspace_tracers", close=close_workspace_tracers)
