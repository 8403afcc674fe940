"""`springlet prompt NAME --var k=v`: render a prompt template and run it once.

Values are read as the input's declared type (`--var max_words=50` is an integer);
`--render` prints the messages without calling the model. A structured answer prints
as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from springlet.cli.common import EXIT_OK, EXIT_USAGE, handle_errors, workspace_option
from springlet.cli.run_cmd import open_workspace
from springlet.errors import NotFoundError, PromptInputError

if TYPE_CHECKING:
    from springlet.workspace import Prompt


@click.command()
@workspace_option
@click.argument("name")
@click.option("--var", "-v", "variables", multiple=True, metavar="KEY=VALUE", help="An input.")
@click.option("--render", "render_only", is_flag=True, help="Print the messages, call nothing.")
@handle_errors
def prompt(workspace: Path, name: str, variables: tuple[str, ...], render_only: bool) -> None:
    """Run prompt NAME with the given inputs and print the answer."""
    ws = open_workspace(workspace)
    with ws:
        try:
            runnable = ws.prompt(name)
            inputs = _parse_vars(runnable, variables)
            if render_only:
                for message in runnable.render(**inputs):
                    click.echo(f"[{message.type}]\n{message.content}\n")
                sys.exit(EXIT_OK)
            answer = runnable.run(**inputs)
        except (NotFoundError, PromptInputError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
    if isinstance(answer, str):
        click.echo(answer)
    else:
        dumped = answer.model_dump() if hasattr(answer, "model_dump") else answer
        click.echo(json.dumps(dumped, indent=2, ensure_ascii=False, default=str))
    sys.exit(EXIT_OK)


def _parse_vars(runnable: Prompt, variables: tuple[str, ...]) -> dict[str, Any]:
    from springlet.workspace.prompt_inputs import inputs_from_text, parse_assignments

    return inputs_from_text(runnable.spec, parse_assignments(variables))
