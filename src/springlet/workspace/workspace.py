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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from springlet.errors import NotFoundError, WorkspaceError
from springlet.workspace.loaded import LoadedWorkspace

if TYPE_CHECKING:
    from springlet.agents.agent import Agent
    from springlet.prompts.runner import Prompt


class Workspace:
    """A loaded workspace. Agents and prompts are built on first use and then reused.

    Safe to share between threads and async tasks: building is guarded by a lock, and
    the built agents are themselves safe for concurrent runs.
    """

    def __init__(self, loaded: LoadedWorkspace, *, tracing: bool | Any = True) -> None:
        self.loaded = loaded
        self.tracing = tracing
        """True (the workspace's trace store), False (no tracing), or a custom sink."""
        self._lock = threading.RLock()
        self._agents: dict[str, Agent] = {}
        self._prompts: dict[str, Prompt] = {}
        self._shared: dict[str, Any] = {}

    @property
    def root(self) -> Path:
        return self.loaded.root

    @property
    def settings(self) -> Any:
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

    def shared(self, key: str, factory: Any) -> Any:
        """A per-workspace singleton (trace store, memory saver, ...), made once by `factory()`."""
        with self._lock:
            if key not in self._shared:
                self._shared[key] = factory()
            return self._shared[key]

    def agent(self, name: str) -> Agent:
        """The runnable agent called `name` (built once, then reused)."""
        with self._lock:
            if name not in self._agents:
                self._check_usable("agent", name, self.loaded.agents)
                from springlet.agents.factory import build_agent

                self._agents[name] = build_agent(self, name)
            return self._agents[name]

    def prompt(self, name: str) -> Prompt:
        """The runnable prompt template called `name`."""
        with self._lock:
            if name not in self._prompts:
                self._check_usable("prompt", name, self.loaded.prompts)
                from springlet.prompts.runner import Prompt

                self._prompts[name] = Prompt(self, self.loaded.prompts[name])
            return self._prompts[name]

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

    def close(self) -> None:
        """Release what the workspace holds open (trace writer, memory database, ...).
        Agents and prompts asked for afterwards are built anew, on fresh resources."""
        with self._lock:
            for value in self._shared.values():
                closer = getattr(value, "close", None)
                if callable(closer):
                    closer()
            self._shared.clear()
            self._agents.clear()
            self._prompts.clear()

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
