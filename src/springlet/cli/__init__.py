"""The `springlet` command.

Sub-commands live in their own modules and are imported only when invoked, so
`springlet --help` and `springlet validate` never pay for LangChain, llama.cpp or
Textual.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

import click

# name -> (module:attribute, one-line help shown by `springlet --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("springlet.cli.init_cmd:init", "Create a new workspace."),
    "validate": ("springlet.cli.validate_cmd:validate", "Check every file of the workspace."),
    "schema": ("springlet.cli.schema_cmd:schema", "Print the JSON Schema of a file kind."),
    "run": ("springlet.cli.run_cmd:run", "Ask an agent one question (streams the answer)."),
    "chat": ("springlet.cli.chat_cmd:chat", "Talk with an agent in the terminal."),
    "prompt": ("springlet.cli.prompt_cmd:prompt", "Render a prompt template and run it."),
    "test": ("springlet.cli.test_cmd:test", "Run the tests: cases of prompts and agents."),
    "models": ("springlet.cli.models_cmd:models", "List, show and pull models."),
    "ingest": ("springlet.cli.ingest_cmd:ingest", "Build the knowledge indexes."),
    "search": ("springlet.cli.search_cmd:search", "Search a knowledge collection."),
    "traces": ("springlet.cli.traces_cmd:traces", "List, show and export recorded runs."),
    "tui": ("springlet.cli.tui_cmd:tui", "Open the terminal UI."),
    "mcp": ("springlet.cli.mcp_cmd:mcp", "List MCP servers' tools; serve the workspace over MCP."),
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (target, _) in COMMANDS.items() if _available(target)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        module_name, attr = entry[0].split(":")
        command: Any = getattr(importlib.import_module(module_name), attr)
        return command  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (target, help_) in COMMANDS.items() if _available(target)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(target: str) -> bool:
    module_name = target.split(":")[0]
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="springlet")
@click.option("--debug", is_flag=True, help="Print the traceback of an internal error.")
def main(debug: bool = False) -> None:
    """springlet: YAML agents and prompts on local models (Ollama or embedded llama.cpp)."""
    if debug:  # read by cli.common's error handler, and by any child process
        os.environ["SPRINGLET_DEBUG"] = "1"
