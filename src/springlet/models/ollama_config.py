"""What the model providers read of the workspace settings: how to reach Ollama.

A protocol, not the settings class itself, so that `models/` sits below the settings
spec (which names model references and collections) and never imports it. The
workspace's `WorkspaceSettings` fits it as it is.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Protocol
from urllib.parse import urlsplit

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
HOST_FORM = "http(s)://host[:port]"
_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")


def host_url_problem(value: str) -> str | None:
    """Why `value` is not an Ollama server address, or None when it is one.

    Accepts what Ollama's own OLLAMA_HOST does: `http(s)://host[:port][/path]`, or just
    `host[:port]` (http is assumed). The value is quoted in the answer only when it holds
    no `@`, so a password in a URL is never echoed.
    """
    text = value.strip()
    shown = repr(text[:80]) if "@" not in text else "the address"
    candidate = text if "://" in text else f"http://{text}"
    try:
        parts = urlsplit(candidate)
        port = parts.port  # parsing the port is what raises for `host:abc`
    except ValueError:
        return f"{shown} is not a server address (expected {HOST_FORM})"
    if parts.scheme not in ("http", "https"):
        return f"{shown} has the scheme '{parts.scheme}' (expected {HOST_FORM})"
    host = parts.hostname or ""
    if not host and port is None:
        return f"{shown} names no host (expected {HOST_FORM})"
    if host and not (_HOSTNAME.fullmatch(host) or _is_ip(host)):
        return f"{shown} is not a server address (expected {HOST_FORM})"
    if parts.query or parts.fragment:
        return f"{shown} has a query or fragment, which a server address cannot use"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
    @property
    def hosts(self) -> dict[str, str]: ...


class ModelSettings(Protocol):
    """Settings that say how to reach the model server, and where the workspace keeps
    data (its imported models live in `<data_dir>/models`)."""

    @property
    def ollama(self) -> OllamaConfig: ...
    @property
    def data_dir(self) -> str: ...
