"""What users need to test their own agents offline: a scripted chat model and an
Ollama-protocol test server.

Importing this package pulls in langchain_core (the scripted model is a real LangChain
chat model); the test server is imported only when used.
"""

from __future__ import annotations

from springlet.testing.scripted import (
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

__all__ = [
    "Fail",
    "Reply",
    "RespondFunction",
    "ScriptExhaustedError",
    "ScriptedCall",
    "ScriptedChatModel",
    "Step",
    "ToolCall",
    "register_script",
    "registered_scripts",
    "scripted_model",
    "unregister_script",
]
