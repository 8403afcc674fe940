"""Vetting users' tool modules in a short-lived subprocess before importing them here.

Why: a `tools/*.py` that calls `os._exit(n)` at import ends the process that imports it,
and one that sleeps or blocks hangs it; neither can be caught in-process. So a tool file
is first imported once in a child process with a time limit. Vetting is cached by the
file's content (and the Python interpreter) in the user's cache directory, so only a
new or changed file pays for it: `springlet validate` on an unchanged workspace starts no
subprocess. Errors a file raises (SystemExit, KeyboardInterrupt, ImportError, ...) are
reported by the in-process import, with their line; vetting only looks for what ends or
hangs a process.

The child imports a file's side effects once more (print, files written at import):
tool modules should not have side effects at import anyway.

Settings (environment): SPRINGLET_TOOL_IMPORT_TIMEOUT_S (default 10) is the time limit
per vetting; SPRINGLET_TOOL_VETTING=0 turns vetting off; SPRINGLET_CACHE_DIR (default
$XDG_CACHE_HOME/springlet or ~/.cache/springlet) is where vetted files are remembered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_TIMEOUT_S = 10.0

_CHILD = r"""
import importlib.util, sys
log = open(sys.argv[1], "a", buffering=1)
for index, path in enumerate(sys.argv[2:]):
    log.write(f"start {index}\n")
    try:
        spec = importlib.util.spec_from_file_location(f"springlet_vetting_{index}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    except BaseException:
        pass  # reported with its line by the import in the parent process
    log.write(f"ok {index}\n")
"""


def vet(paths: list[Path]) -> dict[Path, str]:
    """The files of `paths` that end or hang a process when imported, with what they do."""
    if not paths or not sys.executable or os.environ.get("SPRINGLET_TOOL_VETTING") == "0":
        return {}  # no interpreter to start (an embedding host), or turned off
    cache = _cache_dir()
    keys = {path: _key(path) for path in paths}
    todo = [p for p in paths if not _remembered(cache, keys[p])]
    bad: dict[Path, str] = {}
    while todo:
        vetted, culprit, problem = _vet_in_child(todo)
        for path in vetted:
            _remember(cache, keys[path])
        if culprit is None:
            break
        bad[culprit] = problem
        todo = todo[todo.index(culprit) + 1 :]
    return bad


def _vet_in_child(paths: list[Path]) -> tuple[list[Path], Path | None, str]:
    """Import `paths` in order in one child; (those fine, the one that ended it, why)."""
    timeout = _timeout_s()
    with tempfile.TemporaryDirectory(prefix="springlet-vet-") as tmp:
        log = Path(tmp) / "log"
        log.touch()
        command = [sys.executable, "-c", _CHILD, str(log), *map(str, paths)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                timeout=timeout,
                check=False,
            )
            outcome = f"ended the process with exit code {done.returncode} (os._exit?)"
        except subprocess.TimeoutExpired:
            outcome = f"did not finish within {timeout:g} s (it sleeps, blocks or loops)"
        lines = log.read_text().split()
    finished = {int(n) for word, n in zip(lines[::2], lines[1::2], strict=False) if word == "ok"}
    fine = [p for i, p in enumerate(paths) if i in finished]
    started = [int(n) for word, n in zip(lines[::2], lines[1::2], strict=False) if word == "start"]
    unfinished = [i for i in started if i not in finished]
    if not unfinished:
        return fine, None, ""
    return fine, paths[unfinished[0]], outcome


def _timeout_s() -> float:
    try:
        return float(os.environ.get("SPRINGLET_TOOL_IMPORT_TIMEOUT_S", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _cache_dir() -> Path | None:
    base = os.environ.get("SPRINGLET_CACHE_DIR")
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "springlet"
    folder = root / "vetted-tools"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # no cache: every validate vets again (slower, still correct)
    return folder


def _key(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(data)
    digest.update(f"|{sys.version}|{sys.executable}".encode())
    return digest.hexdigest()


def _remembered(cache: Path | None, key: str | None) -> bool:
    return cache is not None and key is not None and (cache / key).exists()


def _remember(cache: Path | None, key: str | None) -> None:
    if cache is None or key is None:
        return
    with contextlib.suppress(OSError):  # not remembered: vetted again next time
        (cache / key).touch()
