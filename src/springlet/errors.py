"""The error hierarchy: everything springlet raises on purpose is a `SpringletError`.

Two families sit under it. `WorkspaceError` carries `Problem`s found in the user's
files, each with the `file:line:col` it came from. The model and run errors carry
what a user needs to act (a host, a model name, an HTTP status) and a `hint` that
says what to do next. The CLI prints `str(error)`; nobody sees a bare traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file; line and column are 1-based, as editors count."""

    path: Path
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workspace file, and how to fix it."""

    message: str
    location: Location | None = None
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        fix = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{fix}"

    def to_json(self) -> dict[str, object]:
        loc = self.location
        return {
            "path": str(loc.path) if loc else None,
            "line": loc.line if loc else None,
            "col": loc.col if loc else None,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class SpringletError(Exception):
    """Base of every error springlet raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class WorkspaceError(SpringletError):
    """A workspace (or one of its files) cannot be used as written."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)

    def __str__(self) -> str:
        lines = [self.message, *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


class NotFoundError(SpringletError):
    """A named agent, prompt, collection or tool does not exist in the workspace."""


class PromptInputError(SpringletError):
    """Values given to a prompt template do not match its declared inputs."""


class TemplateRenderError(SpringletError):
    """A template failed while rendering (an unsafe attribute, a missing value, ...)."""


class ModelError(SpringletError):
    """A model could not answer. Subclasses say why."""


class ModelReferenceError(ModelError):
    """A model reference such as `ollama:qwen2.5:7b` does not parse or resolve."""


class ModelUnavailableError(ModelError):
    """The model server cannot be reached."""


class ModelNotFoundError(ModelError):
    """The server is up but does not have the model."""


class ModelServerError(ModelError):
    """The server answered with an error status or a body that is not what the API says."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.body = body


class ModelTimeoutError(ModelError):
    """The model took longer than the configured timeout."""


class ModelStreamError(ModelError):
    """A streamed answer ended before the server said it was done."""


class ModelCapabilityError(ModelError):
    """The model lacks something the request needs (tools, embeddings, context length)."""


class ContextOverflowError(ModelCapabilityError):
    """The prompt does not fit in the model's context window."""


class ToolError(SpringletError):
    """A tool is defined wrongly (bad signature, missing docstring) or failed to run."""


class RunError(SpringletError):
    """An agent run failed; the trace of what happened so far is kept."""

    def __init__(self, message: str, *, hint: str | None = None, run_id: str | None = None):
        super().__init__(message, hint=hint)
        self.run_id = run_id
