"""Recording work a middleware did inside a model call (a compaction, a model fallback)
as its own span: one call, and it shows in the trace below the model call's node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ADVISOR_SPAN_EVENT = "springlet.advisor_span"


def record_advisor_span(
    name: str, attributes: Mapping[str, Any], *, duration_ms: float | None = None
) -> bool:
    """Add an advisor span `name` with `attributes` (`springlet.*` keys) to the current
    run's trace. Returns False (and does nothing) outside a traced LangChain run."""
    from langchain_core.callbacks import dispatch_custom_event

    data = {"name": name, "attributes": dict(attributes), "duration_ms": duration_ms}
    try:
        dispatch_custom_event(ADVISOR_SPAN_EVENT, data)
    except RuntimeError:  # not inside a runnable: no run to attach it to
        return False
    return True
