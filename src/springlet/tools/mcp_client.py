"""Connections to the MCP servers of `mcp_servers:`, on the official `mcp` SDK's `Client`.

Everything here runs on springlet's runtime loop: the SDK's session is async, and its
anyio task groups must be entered and left by one task. So each live session has an
owner task that enters `Client`, hands it over, and waits to be told to leave; tool
calls from any run are requests on that session.

- A server starts on first use; its start and handshake are bounded by `timeout_s`,
  and a server that does not finish in time is an error naming it and its command.
- A session whose server died (the SDK answers "Connection closed") or whose HTTP
  endpoint is gone fails the call that noticed, and is started again by the next one.
- A stdio server's stderr goes to `<data dir>/mcp/<name>.log`, named in the errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from springlet.errors import ToolError
from springlet.tools.mcp_spec import McpServerSpec, UnsetVariable, expand

if TYPE_CHECKING:
    import mcp_types
    from mcp import Client

log = logging.getLogger(__name__)
# the SDK's own warnings (a session it could not end on a server that is gone, ...) are
# not for the user's terminal; a program that configures logging still gets them
logging.getLogger("mcp").addHandler(logging.NullHandler())
T = TypeVar("T")

PROTOCOL_MODE = "legacy"
"""The SDK's `initialize` handshake (protocol 2025-11-25), not its default "auto" (a
`server/discover` probe, then 2026-07-28 if the server has it): every MCP server in use
speaks the handshake, and with mcp 2.3 a call over HTTP took ~50 ms on 2026-07-28 against
6-10 ms with the handshake (`bench/mcp_overhead.py --protocol auto` shows both)."""

CLOSE_WAIT_S = 5.0
"""How long closing waits for a server to stop (the SDK ends a stdio server in ~2 s)."""


class McpServerError(ToolError):
    """An MCP server could not be started, reached, or answered a call with a failure."""


@dataclass
class _Session:
    """One live connection: the SDK client, the tools it listed, and its owner task."""

    client: Client
    tools: list[mcp_types.Tool]
    start: _Start
    task: asyncio.Task[None] | None = None
    alive: bool = True

    @property
    def usable(self) -> bool:
        return self.alive and not self.start.ended

    @property
    def closing(self) -> asyncio.Event:
        return self.start.closing

    suspect: bool = False
    """A request failed in a way that may mean the server is gone: probe before reuse."""


@dataclass
class _Start:
    """What the owner task reports: the session, or why it could not be made."""

    ready: asyncio.Future[tuple[Client, list[mcp_types.Tool]]]
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False
    """The server's side of the transport ended (a stdio server exited)."""


class McpConnection:
    """One server of `mcp_servers:`: started on first use, started again after it died."""

    def __init__(self, name: str, spec: McpServerSpec, root: Path, log_dir: Path) -> None:
        self.name = name
        self.spec = spec
        self.root = root
        self.log_path = log_dir / f"{name}.log"
        self._session: _Session | None = None
        self._lock: asyncio.Lock | None = None
        self.starts = 0
        """How many times a session was opened (tests and `mcp list` read it)."""

    # -- what runs ask for ------------------------------------------------------------

    async def list_tools(self) -> list[mcp_types.Tool]:
        """The server's tools (listed at the start of the current session)."""
        return (await self._ensure()).tools

    async def call_tool(self, tool: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        """Call `tool`; McpServerError when the server is gone or the call cannot be made.
        An HTTP server that forgot the session (it restarted) did not run the call: it is
        made again on a new session, as the protocol says."""
        what = f"the call of '{tool}'"
        for attempt in (1, 2):
            session = await self._ensure()
            try:
                return await self._request(session, what, session.client.call_tool(tool, arguments))
            except _SessionExpired:
                self._lost(session)
                if attempt == 2:
                    raise McpServerError(
                        f"MCP server '{self.name}' forgot two new sessions in a row"
                    ) from None
        raise AssertionError("unreachable")

    @property
    def running(self) -> bool:
        """Whether a session is open and its server still there (as far as is known)."""
        return self._session is not None and self._session.usable

    async def request(self, what: str, make: Any) -> Any:
        """`make(client)`'s coroutine run on a live session (for prompts and resources)."""
        session = await self._ensure()
        return await self._request(session, what, make(session.client))

    async def aclose(self) -> None:
        """Stop the server (a stdio one is ended by the SDK) and forget the session."""
        session, self._session = self._session, None
        if session is None:
            return
        session.closing.set()
        if session.task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(session.task), CLOSE_WAIT_S)

    # -- sessions ---------------------------------------------------------------------

    async def _ensure(self) -> _Session:
        session = self._session
        if session is not None and session.usable and session.suspect:
            await self._check(session)
        if session is not None and session.usable:
            return session
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            session = self._session
            if session is None or not session.usable:
                session = self._session = await self._start()
            return session

    async def _start(self) -> _Session:
        try:
            target, closers = self._transport()
        except ImportError as exc:
            raise McpServerError(
                f"MCP server '{self.name}' needs the official MCP SDK, which is not "
                f"installed ({exc})",
                hint="install it with: pip install 'springlet[mcp]'",
            ) from None
        loop = asyncio.get_running_loop()
        start = _Start(ready=loop.create_future())
        task = loop.create_task(
            self._own(target, closers, start), name=f"springlet-mcp-{self.name}"
        )
        try:
            client, tools = await asyncio.wait_for(asyncio.shield(start.ready), self.spec.timeout_s)
        except TimeoutError:
            task.cancel()  # the SDK's teardown (ending the process) goes on without us
            raise McpServerError(
                f"MCP server '{self.name}' did not finish its start-up and handshake within "
                f"{self.spec.timeout_s:g} s ({self.spec.transport}: {self.spec.describe()})",
                hint=self._look_hint("check that it starts on its own, or raise its timeout_s"),
            ) from None
        except Exception as exc:
            raise McpServerError(
                f"MCP server '{self.name}' could not be started "
                f"({self.spec.transport}: {self.spec.describe()}): {describe(exc)}",
                hint=self._look_hint(
                    "check its command in springlet.yaml"
                    if self.spec.transport == "stdio"
                    else f"check that the server at {self.spec.describe()} is running"
                ),
            ) from None
        self.starts += 1
        session = _Session(client, tools, start, task)
        task.add_done_callback(lambda _: setattr(session, "alive", False))
        return session

    async def _own(self, target: Any, closers: list[Any], start: _Start) -> None:
        """The owner task: enter the SDK client, hand it over, leave when told to."""
        from mcp import Client
        from mcp_types import Implementation

        try:
            async with AsyncExitStack() as stack:
                for closer in closers:
                    stack.push_async_callback(closer)
                info = Implementation(name="springlet", version="1")
                watched = _watch_end(target, lambda: setattr(start, "ended", True))
                client = Client(watched, client_info=info, mode=PROTOCOL_MODE)
                await stack.enter_async_context(client)
                tools = await _all_tools(client)
                start.ready.set_result((client, tools))
                await start.closing.wait()
        except asyncio.CancelledError:
            if not start.ready.done():
                start.ready.cancel()
            raise
        except Exception as exc:
            if not start.ready.done():
                start.ready.set_exception(exc)
            else:
                log.debug("MCP server %s: session ended with %r", self.name, exc)

    async def _request(self, session: _Session, what: str, call: Coroutine[Any, Any, T]) -> T:
        import anyio
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED

        try:
            return await call
        except MCPError as exc:
            if "session not found" in exc.error.message.lower():
                raise _SessionExpired from None
            if exc.error.code == CONNECTION_CLOSED:
                self._lost(session)
                raise McpServerError(
                    f"MCP server '{self.name}' stopped during {what}; it is started again for "
                    "the next call",
                    hint=self._look_hint("see why it stopped"),
                ) from None
            session.suspect = True
            raise McpServerError(
                f"MCP server '{self.name}' answered {what} with an error: {exc} "
                f"(code {exc.error.code})"
            ) from None
        except (OSError, EOFError, anyio.ClosedResourceError, anyio.BrokenResourceError) as exc:
            self._lost(session)
            raise McpServerError(
                f"MCP server '{self.name}' could not be reached for {what}: {describe(exc)}; "
                "it is connected again for the next call",
                hint=self._look_hint("check that it is running"),
            ) from None
        except Exception as exc:
            if _is_transport_error(exc):
                self._lost(session)
                raise McpServerError(
                    f"MCP server '{self.name}' could not be reached for {what}: {describe(exc)}; "
                    "it is connected again for the next call",
                    hint=f"check that {self.spec.describe()} is up",
                ) from None
            raise

    async def _check(self, session: _Session) -> None:
        """Keep a suspect session if it still answers; else it is lost. (A tools listing,
        not a ping: protocol 2026-07-28 removed ping.)"""
        probe = session.client.list_tools(cache_mode="bypass")
        try:
            await asyncio.wait_for(probe, min(self.spec.timeout_s, 5.0))
            session.suspect = False
        except Exception:
            self._lost(session)

    def _lost(self, session: _Session) -> None:
        session.alive = False
        session.closing.set()  # the owner task leaves; a dead stdio server is reaped
        if self._session is session:
            self._session = None

    def _look_hint(self, advice: str) -> str:
        if self.spec.transport == "stdio":
            return f"{advice}; its stderr is in {self.log_path}"
        return advice

    # -- transports -------------------------------------------------------------------

    def _transport(self) -> tuple[Any, list[Any]]:
        """The SDK transport for this server, with what to close when the session ends."""
        try:
            if self.spec.command is not None:
                return self._stdio()
            return self._http()
        except UnsetVariable as unset:
            raise McpServerError(
                f"MCP server '{self.name}' needs the environment variable {unset.name}, "
                "which is not set",
                hint=f"set {unset.name}, or change mcp_servers.{self.name} in springlet.yaml",
            ) from None

    def _stdio(self) -> tuple[Any, list[Any]]:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        spec = self.spec
        command = expand(str(spec.command))
        if command in ("python", "python3"):  # the interpreter (and venv) springlet runs on
            command = sys.executable
        cwd = self.root / expand(spec.cwd) if spec.cwd else self.root
        params = StdioServerParameters(
            command=command,
            args=[expand(a) for a in spec.args],
            env={k: expand(v) for k, v in spec.env.items()},
            cwd=str(cwd),
        )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        errlog: TextIO = self.log_path.open("a", encoding="utf-8")

        async def close_log() -> None:
            errlog.close()

        return stdio_client(params, errlog=errlog), [close_log]

    def _http(self) -> tuple[Any, list[Any]]:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        headers = {k: expand(v) for k, v in self.spec.headers.items()}
        timeout = httpx2.Timeout(self.spec.timeout_s, read=max(300.0, self.spec.timeout_s))
        http = httpx2.AsyncClient(headers=headers, timeout=timeout)
        return streamable_http_client(expand(str(self.spec.url)), http_client=http), [http.aclose]


class _SessionExpired(Exception):
    """An HTTP server answered 404 "Session not found": it did not run the request."""


@contextlib.asynccontextmanager
async def _watch_end(transport: Any, on_end: Callable[[], None]) -> AsyncIterator[Any]:
    """`transport` whose read stream calls `on_end` when the server's side ends, so a
    stdio server that exited between runs is started again before the next call, not
    found dead by it."""
    async with transport as (read, write):
        yield _EndWatch(read, on_end), write


class _EndWatch:
    """A read stream (as the SDK's dispatcher iterates it) that reports its end."""

    def __init__(self, stream: Any, on_end: Callable[[], None]) -> None:
        self._stream = stream
        self._on_end = on_end

    async def __aenter__(self) -> _EndWatch:
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> Any:
        self._on_end()
        return await self._stream.__aexit__(*exc)

    def __aiter__(self) -> _EndWatch:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self._stream.__anext__()
        except BaseException:
            self._on_end()
            raise

    async def receive(self) -> Any:
        try:
            return await self._stream.receive()
        except BaseException:
            self._on_end()
            raise

    def __getattr__(self, name: str) -> Any:  # last_context, close, clone, ...
        return getattr(self._stream, name)


async def _all_tools(client: Client) -> list[mcp_types.Tool]:
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _ in range(100):  # a server whose pages never end cannot hang the start
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def _is_transport_error(exc: BaseException) -> bool:
    """An HTTP-level failure (refused connection, reset, timeout) from httpx2."""
    try:
        import httpx2
    except ImportError:  # pragma: no cover - the SDK depends on it
        return False
    return isinstance(exc, httpx2.TransportError)


def describe(exc: BaseException) -> str:
    """The innermost cause of `exc`, as one line (anyio wraps failures in groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such program or directory: {exc.filename}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
