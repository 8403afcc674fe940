"""`@springlet.advisor("name")`: register a custom advisor that agents name in YAML.

The decorated object is a factory: called with the advisor's options from YAML (as
keyword arguments), it returns a LangChain `AgentMiddleware`.

```python
from springlet import advisor

@advisor("shout")
def shout(suffix: str = "!") -> AgentMiddleware: ...
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def advisor(name: str) -> Callable[[F], F]:
    """Register the decorated middleware factory under `name` for `advisors:` in YAML."""

    def mark(factory: F) -> F:
        factory.__springlet_advisor__ = name  # type: ignore[attr-defined]
        return factory

    return mark
