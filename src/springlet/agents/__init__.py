"""Agents: specs, the runtime built from them, run results and the event vocabulary.

```python
from springlet.agents import RunFinished, ToolCallStarted, RunResult

for event in ws.agent("helpdesk").stream("Where is order A-1001?"):
    if isinstance(event, ToolCallStarted):
        print("calling", event.name, event.arguments)
```

Only the light, dependency-free names are re-exported here (events and results are
plain dataclasses), so `import springlet` stays cheap; `Agent` lives in
`springlet.agents.agent` and loads LangChain when imported.
"""

from springlet.agents.events import (
    ApprovalAnswered,
    ApprovalRequested,
    ContextCompacted,
    Event,
    ModelMessage,
    ModelThinking,
    ModelToken,
    RetrievalDone,
    RouteChosen,
    RunFailed,
    RunFinished,
    RunStarted,
    ToolCallFailed,
    ToolCallFinished,
    ToolCallStarted,
)
from springlet.agents.result import RunResult, RunStatus, ToolCallRecord, Usage

__all__ = [
    "ApprovalAnswered",
    "ApprovalRequested",
    "ContextCompacted",
    "Event",
    "ModelMessage",
    "ModelThinking",
    "ModelToken",
    "RetrievalDone",
    "RouteChosen",
    "RunFailed",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "RunStatus",
    "ToolCallFailed",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
    "Usage",
]
