"""A local clipboard tool, when one exists, next to Textual's OSC 52 copy.

OSC 52 works over SSH but not in every terminal; a local tool covers those. Having
neither is fine: copying then only sets `app.clipboard` and never fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess

_TOOLS: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("wl-copy", (), "WAYLAND_DISPLAY"),
    ("xclip", ("-selection", "clipboard"), "DISPLAY"),
    ("xsel", ("--clipboard", "--input"), "DISPLAY"),
    ("pbcopy", (), None),
)


def local_clipboard_command() -> list[str] | None:
    """The command that copies stdin to the desktop clipboard here, or None."""
    for tool, args, needs in _TOOLS:
        if needs is not None and not os.environ.get(needs):
            continue
        path = shutil.which(tool)
        if path is not None:
            return [path, *args]
    return None


def copy_locally(text: str, command: list[str]) -> None:
    """Run `command` with `text` on stdin; any failure is ignored (OSC 52 was sent too)."""
    try:
        subprocess.run(
            command,
            input=text.encode(),
            timeout=2,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return
