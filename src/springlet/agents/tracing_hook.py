"""Which tracer records a workspace's runs: the one place the runtime meets `tracing/`.

`ws.tracing` is True (the workspace's trace store, unless `tracing.enabled: false` in
springlet.yaml), False (nothing recorded, no callback cost), a `Tracer`, or a custom
`TraceSink` that receives the spans instead of the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from springlet.tracing import Tracer
    from springlet.workspace.workspace import Workspace


def run_tracer(ws: Workspace) -> Tracer:
    """The tracer for runs of `ws` (cheap to call: tracers are made once and cached)."""
    from springlet.tracing import Tracer

    choice = ws.tracing
    if choice is False:
        return ws.shared("tracer:off", Tracer.disabled)  # type: ignore[no-any-return]
    if choice is True:
        # cached per data dir by the tracing package; not ws.shared, whose close() would
        # close a tracer other workspaces of this process still use
        return Tracer.for_workspace(ws.loaded.data_dir, ws.loaded.settings.tracing)
    if isinstance(choice, Tracer):
        return choice
    return ws.shared("tracer:custom", lambda: Tracer([choice]))  # type: ignore[no-any-return]
