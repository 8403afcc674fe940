"""What a prompt needs from the place it was declared in: the one seam between prompts and
whoever holds them (a `Workspace` implements it; a test may pass anything that fits).

Prompts are built against this protocol, never against the workspace itself, so the
dependency runs one way: `workspace/` knows `prompts/`, not the reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from springlet.prompts.runner import Prompt
    from springlet.settings import WorkspaceSettings
    from springlet.tracing import Tracer


class PromptServices(Protocol):
    """The settings, the root for relative model paths, and the other prompts."""

    @property
    def root(self) -> Path:
        """The directory relative paths (an `embedded:models/x.gguf`) start from."""
        ...

    @property
    def settings(self) -> WorkspaceSettings:
        """The workspace settings: default model, Ollama host, embeddings."""
        ...

    def prompt(self, name: str) -> Prompt:
        """The runnable prompt called `name` (built once)."""
        ...

    def tracer(self) -> Tracer:
        """The tracer that records runs (made once; lock-free after)."""
        ...
