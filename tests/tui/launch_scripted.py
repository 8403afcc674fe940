"""Run `springlet tui` with a scripted agent, for the real-terminal test (tmux).

    python launch_scripted.py WORKSPACE SCRIPT_NAME -- tui -w WORKSPACE

The script looks the order up with the workspace's real `get_order_status` tool and
answers with what the tool said, so what shows on screen is deterministic (the embedded
model's wording is not).
"""

from __future__ import annotations

import sys

from springlet.testing import Reply, ToolCall, register_script


def respond(messages: list[object], tools: list[object]) -> object:
    last = messages[-1]
    if type(last).__name__ == "ToolMessage":
        return Reply(f"Looked it up: {getattr(last, 'content', '')}")
    return ToolCall("get_order_status", {"order_id": "A-1001"})


def main() -> None:
    script_name, args = sys.argv[1], sys.argv[2:]
    register_script(script_name, respond)
    from springlet.cli import main as cli

    sys.argv = ["springlet", *args]
    cli()


if __name__ == "__main__":
    main()
