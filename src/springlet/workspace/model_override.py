"""A workspace whose prompts, agents, routers and default all run on one model
(`springlet test --model ollama:qwen2.5:7b`: the same cases on another model)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from springlet.workspace.workspace import Workspace


def on_model(ws: Workspace, model: str) -> Workspace:
    """A new Workspace over `ws`'s files with every prompt, agent and router, and the
    default model, on `model`; `ws` itself is unchanged. A reference that cannot be
    parsed raises ValueError saying why."""
    from springlet.models.reference import parse_model_ref
    from springlet.workspace.workspace import Workspace

    ref = parse_model_ref(model)
    loaded = ws.loaded
    moved = dataclasses.replace(
        loaded,
        settings=loaded.settings.model_copy(update={"default_model": ref}),
        prompts={n: p.model_copy(update={"model": ref}) for n, p in loaded.prompts.items()},
        agents={n: a.model_copy(update={"model": ref}) for n, a in loaded.agents.items()},
    )
    return Workspace(moved, tracing=ws.tracing)
