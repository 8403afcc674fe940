"""`Workspace`: the library's entry point — loaded specs plus the runtime built from them.

```python
import springlet

ws = springlet.load_workspace("examples/acme")
agent = ws.agent("helpdesk")
result = agent.run("Where is order A-1001?")
```
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from springlet._runtime import fork
from springlet.errors import NotFoundError, WorkspaceError
from springlet.workspace.lazy import Lazy
from springlet.workspace.loaded import LoadedWorkspace

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from springlet.agents.agent import Agent
    from springlet.agents.memory import WorkspaceMemory
    from springlet.agents.spec import AgentSpec, RouterSpec
    from springlet.errors import Problem
    from springlet.prompts.runner import Prompt
    from springlet.prompts.spec import PromptSpec
    from springlet.settings import WorkspaceSettings
    from springlet.tools.decorator import SpringletTool
    from springlet.tools.mcp_toolset import McpServers, McpToolset
    from springlet.tracing import Tracer
    from springlet.workspace.agent_info import AgentInfo
    from springlet.workspace.knowledge import WorkspaceKnowledge
    from springlet.workspace.knowledge_view import Knowledge
    from springlet.workspace.models_view import Models
    from springlet.workspace.reload import ReloadReport
    from springlet.workspace.sessions import Sessions
    from springlet.workspace.traces_view import Traces
    from springlet.workspace.watch import WatchHandle, WorkspaceChanged


class Workspace:
    """A loaded workspace. Agents and prompts are built on first use and then reused.

    Safe to share between threads and async tasks: building is guarded by a lock, and
    the built agents are themselves safe for concurrent runs. It is the `AgentServices`
    (and `PromptServices`) that agents and prompts are built against: they never see
    the workspace itself.
    """

    def __init__(self, loaded: LoadedWorkspace, *, tracing: bool | Any = True) -> None:
        self.loaded = loaded
        self.tracing = tracing
        """True (the workspace's trace store), False (no tracing), or a custom sink."""
        # builds may wait on the runtime loop (memory opens there): this lock is never
        # taken by code running on that loop, and the resources below have their own
        self._build_lock = threading.RLock()
        self._agents: dict[str, Agent] = {}
        self._prompts: dict[str, Prompt] = {}
        self._tracer: Lazy[Tracer] = Lazy(self._make_tracer)
        self._memory: Lazy[WorkspaceMemory] = Lazy(self._open_memory)
        self._knowledge: Lazy[WorkspaceKnowledge] = Lazy(self._make_knowledge)
        self._mcp: Lazy[McpServers] = Lazy(self._make_mcp_servers)
        fork.track(self)

    def _after_fork_in_child(self) -> None:
        # agents built before a fork hold the parent's memory connection (its thread is
        # gone): agents asked for in the child are built anew on fresh resources
        self._build_lock = threading.RLock()
        self._agents, self._prompts = {}, {}
        self._memory.forget()
        self._knowledge.forget()
        self._mcp.forget()  # the parent's server processes and sessions are not ours

    @property
    def root(self) -> Path:
        return self.loaded.root

    @property
    def settings(self) -> WorkspaceSettings:
        return self.loaded.settings

    @property
    def problems(self) -> tuple[Any, ...]:
        return self.loaded.problems

    @property
    def agent_names(self) -> list[str]:
        return sorted(self.loaded.agents)

    @property
    def prompt_names(self) -> list[str]:
        return sorted(self.loaded.prompts)

    def agent(self, name: str) -> Agent:
        """The runnable agent called `name` (built once, then reused)."""
        with self._build_lock:
            if name not in self._agents:
                self._check_usable("agent", name, self.loaded.agents)
                from springlet.agents.factory import build_agent

                self._agents[name] = build_agent(self, name)
            return self._agents[name]

    def prompt(self, name: str) -> Prompt:
        """The runnable prompt template called `name`."""
        with self._build_lock:
            if name not in self._prompts:
                self._check_usable("prompt", name, self.loaded.prompts)
                from springlet.prompts.runner import Prompt

                self._prompts[name] = Prompt(self, self.loaded.prompts[name])
            return self._prompts[name]

    # -- AgentServices: what agents are built against ---------------------------------

    def agent_spec(self, name: str) -> AgentSpec | RouterSpec:
        return self.loaded.agents[name]

    def prompt_spec(self, name: str) -> PromptSpec:
        return self.loaded.prompts[name]

    def python_tool(self, name: str) -> SpringletTool:
        return self.loaded.tools[name]

    def advisor_factory(self, name: str) -> Callable[..., Any] | None:
        factory: Callable[..., Any] | None = self.loaded.advisors.get(name)
        return factory

    def memory(self) -> AsyncSqliteSaver:
        return self._memory.get().saver

    def retrievers(self) -> WorkspaceKnowledge:
        return self._knowledge.get()

    def tracer(self) -> Tracer:
        return self._tracer.get()

    def mcp_toolset(self, server: str) -> McpToolset:
        return self._mcp.get().toolset(server)

    @property
    def mcp_servers(self) -> McpServers:
        """The MCP servers of `mcp_servers:` (each started on first use)."""
        return self._mcp.get()

    def _make_tracer(self) -> Tracer:
        from springlet.tracing import Tracer

        choice = self.tracing
        if choice is False:
            return Tracer.disabled()
        if choice is True:
            # cached per data dir by the tracing package (other workspaces of this
            # process on the same dir share its writer); close() leaves it open
            return Tracer.for_workspace(self.loaded.data_dir, self.loaded.settings.tracing)
        if isinstance(choice, Tracer):
            return choice
        return Tracer([choice])

    def _owns_tracer(self) -> bool:
        """True when the tracer was made here (not the shared store's, not the caller's)."""
        from springlet.tracing import Tracer

        return self.tracing is False or not isinstance(self.tracing, bool | Tracer)

    def _open_memory(self) -> WorkspaceMemory:
        from springlet.agents.memory import open_memory

        return open_memory(self.loaded.data_dir)

    def _make_mcp_servers(self) -> McpServers:
        from springlet.tools.mcp_toolset import McpServers

        loaded = self.loaded
        return McpServers(loaded.settings.mcp_servers, loaded.root, loaded.data_dir)

    def _make_knowledge(self) -> WorkspaceKnowledge:
        from springlet.workspace.knowledge import WorkspaceKnowledge

        return WorkspaceKnowledge(
            self.loaded, ingest_on_first_use=True, resources=self._read_mcp_resources
        )

    def _read_mcp_resources(self, server: str, uri: str) -> list[tuple[str, str]]:
        from springlet.workspace.mcp_view import read_mcp_resources

        return read_mcp_resources(self.mcp_servers, server, uri)

    def on_model(self, model: str) -> Workspace:
        """A new Workspace over these files with every agent, prompt and router, and the
        default model, on `model` (this one is unchanged): `springlet test --model`, or a
        chat session that goes on on another model."""
        from springlet.workspace.model_override import on_model

        return on_model(self, model)

    def _check_usable(self, kind: str, name: str, known: dict[str, Any]) -> None:
        problems = self.loaded.unusable.get(f"{kind}:{name}")
        if problems:
            raise WorkspaceError(f"{kind} '{name}' cannot run until these are fixed:", problems)
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, list(known), n=1)
            names = ", ".join(sorted(known)) or "(none)"
            raise NotFoundError(
                f"no {kind} named '{name}' in {self.root}",
                hint=f"did you mean '{close[0]}'?" if close else f"{kind}s here: {names}",
            )

    # -- the facade (springlet.workspace.*: one module per part) ---------------------------

    @cached_property
    def sessions(self) -> Sessions:
        """Conversations remembered by agents with the `memory` advisor."""
        from springlet.workspace.sessions import Sessions

        return Sessions(self.loaded.data_dir)

    @cached_property
    def traces(self) -> Traces:
        """The runs in the trace store: list, span trees, follow, export."""
        from springlet.workspace.traces_view import Traces

        return Traces(self.loaded.data_dir)

    @cached_property
    def knowledge(self) -> Knowledge:
        """The knowledge collections: what is indexed, ingest, search."""
        from springlet.workspace.knowledge_view import Knowledge

        return Knowledge(lambda: self.loaded, resources=self._read_mcp_resources)

    @cached_property
    def models(self) -> Models:
        """Ollama's and the embedded models, pulling, fit, what `auto` picks."""
        from springlet.workspace.models_view import Models

        return Models(lambda: self.loaded.settings)

    def describe_agent(self, name: str) -> AgentInfo:
        """What agent `name` is and which model answers it, without building it."""
        from springlet.workspace.agent_info import describe_agent

        if name not in self.loaded.agents:
            self._check_usable("agent", name, self.loaded.agents)
        return describe_agent(self.loaded, self.loaded.agents[name])

    def reload(self) -> ReloadReport:
        """Read the files again; broken definitions keep their last good version."""
        from springlet.workspace.reload import reload_loaded

        with self._build_lock:
            data_dir, servers = self.loaded.data_dir, self.loaded.settings.mcp_servers
            self.loaded, report = reload_loaded(self.loaded)
            if self.loaded.settings.mcp_servers != servers:  # started anew when next used
                stale = self._mcp.take()
                if stale is not None:
                    stale.close()
            if self.loaded.data_dir != data_dir:  # views bound to the old one start afresh
                self.__dict__.pop("sessions", None)
                self.__dict__.pop("traces", None)
            if report.changed:  # built ones are rebuilt on next use; kept ones stay
                kept = set(report.kept)
                self._agents = {n: a for n, a in self._agents.items() if f"agent:{n}" in kept}
                self._prompts = {n: p for n, p in self._prompts.items() if f"prompt:{n}" in kept}
        return report

    def watch(self, on_event: Callable[[WorkspaceChanged], None]) -> WatchHandle:
        """Reload whenever definition files change (a daemon thread; `handle.stop()`)."""
        from springlet.workspace.watch import start_watch

        return start_watch(self, on_event)

    def validate_text(self, path: Path, text: str) -> tuple[Problem, ...]:
        """Problems of an unsaved buffer as if it were saved at `path` (nothing written)."""
        from springlet.workspace.text_validation import validate_text

        return validate_text(self.loaded, Path(path), text)

    def close(self) -> None:
        """Release what the workspace holds open (memory database, custom tracer, ...).
        Agents and prompts asked for afterwards are built anew, on fresh resources."""
        with self._build_lock:
            self._agents.clear()
            self._prompts.clear()
        memory = self._memory.take()
        if memory is not None:
            memory.close()
        tracer = self._tracer.take()
        if tracer is not None and self._owns_tracer():
            tracer.close()
        self._knowledge.take()
        mcp = self._mcp.take()
        if mcp is not None:
            mcp.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_workspace(path: str | Path = ".", *, tracing: bool | Any = True) -> Workspace:
    """Load the workspace at `path`. Broken files are reported in `ws.problems`; the agents
    and prompts they don't touch stay usable. `tracing=False` records no traces; pass a
    custom sink to receive spans yourself.
    """
    from springlet.workspace.loader import load_workspace_files

    return Workspace(load_workspace_files(Path(path)), tracing=tracing)
