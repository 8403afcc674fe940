"""`@springlet.tool`: a typed Python function the model may call.

The decorator only records the function and its options, so that loading a workspace
(`springlet validate`) never imports LangChain. The LangChain tool — schema from the
type hints, description and argument docs from the docstring — is built on first use
by `as_langchain()`, with LangChain's own machinery.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(eq=False)
class SpringletTool:
    """A function exposed to models as a tool, with springlet's options attached."""

    func: Callable[..., Any]
    name: str
    requires_approval: bool = False
    timeout_s: float | None = None
    _langchain: BaseTool | None = field(default=None, repr=False)

    @property
    def description(self) -> str:
        return inspect.getdoc(self.func) or ""

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def signature_problems(self) -> list[str]:
        """What keeps this function from being a good tool (empty when it is fine)."""
        problems = []
        if not self.description.strip():
            problems.append(
                f"tool '{self.name}' has no docstring; the model reads it to know when to "
                "call the tool, so describe what it does"
            )
        for param in inspect.signature(self.func).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                problems.append(
                    f"tool '{self.name}' takes *{param.name}; tools need named, typed parameters"
                )
            elif param.annotation is inspect.Parameter.empty:
                problems.append(
                    f"parameter '{param.name}' of tool '{self.name}' has no type hint; "
                    f"add one, e.g. '{param.name}: str'"
                )
        return problems

    def as_langchain(self) -> BaseTool:
        """The LangChain tool for this function (built once, then reused)."""
        if self._langchain is None:
            from langchain_core.tools import StructuredTool

            from springlet.tools.calling import guarded_coroutine, in_daemon_thread

            summary = self.description.split("\n\n", 1)[0].strip()
            kwargs: dict[str, Any] = {
                "name": self.name,
                "description": summary or self.name,
                "infer_schema": True,
                "parse_docstring": _has_google_args(self.description),
                "error_on_invalid_docstring": False,
                "metadata": {
                    "springlet_requires_approval": self.requires_approval,
                    "springlet_timeout_s": self.timeout_s,
                },
            }
            if self.is_async:
                kwargs["coroutine"] = self.func
            else:
                kwargs["func"] = self.func
            built = StructuredTool.from_function(**kwargs)
            # the schema comes from the function itself; calls go through the guards
            # of springlet.tools.calling (a tool can never stop the runtime loop)
            if self.is_async:
                built.coroutine = guarded_coroutine(self.func)
            else:
                built.coroutine = in_daemon_thread(self.func, self.name)
            self._langchain = built
        return self._langchain


def _has_google_args(doc: str) -> bool:
    return "\nArgs:" in doc or doc.startswith("Args:")


@overload
def tool(func: F, /) -> SpringletTool: ...


@overload
def tool(
    *,
    name: str | None = None,
    requires_approval: bool = False,
    timeout_s: float | None = None,
) -> Callable[[F], SpringletTool]: ...


def tool(
    func: F | None = None,
    /,
    *,
    name: str | None = None,
    requires_approval: bool = False,
    timeout_s: float | None = None,
) -> SpringletTool | Callable[[F], SpringletTool]:
    """Mark a typed function as a tool. Use bare or with options.

    ```python
    @tool
    def get_order_status(order_id: str) -> str:
        \"\"\"Look up the shipping status of an order by its id, like 'A-1001'.\"\"\"

    @tool(requires_approval=True, timeout_s=10)
    def refund_order(order_id: str, amount: float, reason: str) -> str: ...
    ```
    """
    if timeout_s is not None and timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")

    def wrap(f: F) -> SpringletTool:
        if not callable(f):
            raise TypeError(f"@tool decorates a function, got {f!r}")
        return SpringletTool(
            func=f,
            name=name or f.__name__,
            requires_approval=requires_approval,
            timeout_s=timeout_s,
        )

    if func is not None:
        return wrap(func)
    return wrap
