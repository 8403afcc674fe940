"""What the model providers read of the workspace settings: how to reach Ollama.

A protocol, not the settings class itself, so that `models/` sits below the settings
spec (which names model references and collections) and never imports it. The
workspace's `WorkspaceSettings` fits it as it is.
"""

from __future__ import annotations

from typing import Protocol

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


class OllamaConfig(Protocol):
    """The `ollama:` section of springlet.yaml."""

    @property
    def host(self) -> str | None: ...
    @property
    def keep_alive(self) -> str | int: ...
    @property
    def auto_pull(self) -> bool: ...
    @property
    def timeout_s(self) -> float: ...


class ModelSettings(Protocol):
    """Settings that say how to reach the model server."""

    @property
    def ollama(self) -> OllamaConfig: ...
