"""What users need to test their own agents offline: a scripted chat model and an
Ollama-protocol test server.

Importing this package pulls in langchain_core (the scripted model is a real LangChain
chat model); the test server is imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from springlet.models.scripted import (
    Fail,
    Reply,
    RespondFunction,
    ScriptedCall,
    ScriptedChatModel,
    ScriptExhaustedError,
    Step,
    ToolCall,
    register_script,
    registered_scripts,
    scripted_model,
    unregister_script,
)


def reset_process_state() -> None:
    """Forget springlet's process-wide caches and close what it holds open (the `auto`
    probe's answer, Ollama's model catalog, shared knowledge stores, workspace tracers):
    between tests that start or stop servers, or change OLLAMA_HOST. Workspaces opened
    before should be opened again."""
    from springlet._runtime import process_state

    process_state.reset()


if TYPE_CHECKING:
    from springlet.testing.mcp_server import McpTestServer, ScriptedTool
    from springlet.testing.ollama_server import OllamaTestServer, ServerFaults

__all__ = [
    "Fail",
    "McpTestServer",
    "OllamaTestServer",
    "Reply",
    "RespondFunction",
    "ScriptExhaustedError",
    "ScriptedCall",
    "ScriptedChatModel",
    "ScriptedTool",
    "ServerFaults",
    "Step",
    "ToolCall",
    "register_script",
    "registered_scripts",
    "reset_process_state",
    "scripted_model",
    "unregister_script",
]


def __getattr__(name: str) -> Any:
    # the server module is loaded on first use only
    if name in ("OllamaTestServer", "ServerFaults"):
        from springlet.testing import ollama_server

        return getattr(ollama_server, name)
    if name in ("McpTestServer", "ScriptedTool"):
        from springlet.testing import mcp_server

        return getattr(mcp_server, name)
    raise AttributeError(f"module 'springlet.testing' has no attribute {name!r}")
