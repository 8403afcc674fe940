"""springlet: Spring-AI-style agents and prompt automation on local models.

```python
import springlet

ws = springlet.load_workspace("examples/acme")
print(ws.agent("orders").run("Where is order A-1001?").text)
```

Importing springlet is cheap: LangChain's agent stack, llama.cpp and Textual load only
when an agent runs, a model is resolved, or the UI opens. Names below that need them
are resolved lazily on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from springlet.agents.custom_advisor import advisor
from springlet.errors import (
    ModelError,
    NotFoundError,
    Problem,
    PromptInputError,
    RunError,
    SpringletError,
    ToolError,
    WorkspaceError,
)
from springlet.tools.decorator import SpringletTool, tool
from springlet.workspace import FACADE_TYPES
from springlet.workspace.workspace import Workspace, load_workspace

if TYPE_CHECKING:
    from springlet.agents.agent import Agent
    from springlet.agents.result import RunResult
    from springlet.prompts.chat_client import ChatAdvisor, ChatClient

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Agent": "springlet.agents.agent",
    "RunResult": "springlet.agents.result",
    "ChatClient": "springlet.prompts.chat_client",
    "ChatAdvisor": "springlet.prompts.chat_client",
    **FACADE_TYPES,
}

__all__ = [
    "Agent",
    "ChatAdvisor",
    "ChatClient",
    "ModelError",
    "NotFoundError",
    "Problem",
    "PromptInputError",
    "RunError",
    "RunResult",
    "SpringletError",
    "SpringletTool",
    "ToolError",
    "Workspace",
    "WorkspaceError",
    "advisor",
    "load_workspace",
    "tool",
    *FACADE_TYPES,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'springlet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
