"""springlet's terminal UI (Textual). Imported only by `springlet tui`, never by the core.

```python
from springlet import load_workspace
from springlet.tui import run_app

with load_workspace("examples/acme") as ws:
    run_app(ws, agent="helpdesk")
```
"""

from __future__ import annotations

from springlet import Workspace


def run_app(ws: Workspace, *, agent: str | None = None) -> None:
    """Run the app over `ws` until the user quits."""
    from springlet.tui.app import SpringletApp
    from springlet.tui.backend import Backend

    SpringletApp(Backend(ws), agent=agent).run()


__all__ = ["run_app"]
