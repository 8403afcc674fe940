"""Read a YAML file into plain Python data plus the `line:col` of every key and value.

ruamel.yaml's round-trip loader keeps positions on mappings and sequences; we flatten
them into two maps keyed by the path of the node (`("tools", 2, "prompt")`), so a
validation error about any field can point at the exact spot in the user's file.
YAML 1.2 rules apply: `yes`/`no`/`on`/`off` stay strings.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from springlet.errors import Location, Problem
from springlet.yaml_guard import MAX_FILE_BYTES, YamlRefused, guarded_composer

NodePath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSource:
    """A parsed YAML document and where each of its nodes sits in the file."""

    path: Path
    data: Any
    value_positions: dict[NodePath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[NodePath, tuple[int, int]] = field(default_factory=dict)
    block_scalars: frozenset[NodePath] = frozenset()

    def location(self, node: NodePath = (), *, key: bool = False) -> Location:
        """The location of `node` (its key when `key`), or of its nearest known ancestor."""
        positions = self.key_positions if key else self.value_positions
        probe = tuple(node)
        while True:
            if probe in positions:
                line, col = positions[probe]
                return Location(self.path, line, col)
            if key and probe in self.value_positions:
                line, col = self.value_positions[probe]
                return Location(self.path, line, col)
            if not probe:
                return Location(self.path, 1, 1)
            probe = probe[:-1]

    def text_location(self, node: NodePath, template_line: int) -> Location:
        """Location of line `template_line` (1-based) inside the string value at `node`."""
        base = self.location(node)
        # A block scalar (`|` / `>`) starts on the line after its indicator.
        offset = template_line if node in self.block_scalars else template_line - 1
        return Location(self.path, base.line + offset, base.col if offset == 0 else 1)


def load_yaml(
    path: Path, display_path: Path | None = None, *, text: str | None = None
) -> YamlSource | Problem:
    """Parse `path` (or `text` as if it were its content); a syntax error or a refused
    construct comes back as a located `Problem`.

    Every workspace YAML file is read here, so the limits of `yaml_guard` (no tags, no
    alias bombs, bounded size and depth) hold for all of them, saved or not.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    shown = display_path or path
    read = _read_text(path, shown) if text is None else text
    if isinstance(read, Problem):
        return read
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Composer = guarded_composer(yaml.Composer)
    try:
        raw = yaml.load(read)
    except YamlRefused as refused:
        return Problem(
            refused.message,
            Location(shown, refused.line, refused.col),
            hint=refused.hint,
            code=refused.code,
        )
    except DuplicateKeyError as exc:
        return Problem(
            f"duplicate key: {_first_line(exc.problem)}",
            _mark_location(shown, exc.problem_mark),
            hint="each key may appear once in a mapping; remove or rename one",
            code="yaml-duplicate-key",
        )
    except MarkedYAMLError as exc:
        what = exc.problem or exc.context or "invalid YAML"
        return Problem(
            f"YAML syntax error: {what}",
            _mark_location(shown, exc.problem_mark or exc.context_mark),
            hint="check indentation and quoting around this spot",
            code="yaml-syntax",
        )
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        # The guard refuses what is known to break construction; this is the last line
        # that keeps anything it missed a message instead of a traceback.
        return _unsupported(shown, exc)
    source = YamlSource(path=shown, data=None)
    blocks: set[NodePath] = set()
    try:
        data = _plain(raw, (), source, blocks)
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        return _unsupported(shown, exc)
    return YamlSource(
        path=shown,
        data=data,
        value_positions=source.value_positions,
        key_positions=source.key_positions,
        block_scalars=frozenset(blocks),
    )


def _read_text(path: Path, shown: Path) -> str | Problem:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(
                f"file is {size} bytes, more than the {MAX_FILE_BYTES} a workspace file may have",
                Location(shown),
                hint="workspace files are configuration; keep large documents in a "
                "knowledge collection's sources instead",
                code="file-too-large",
            )
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(f"cannot read file: {exc}", Location(shown), code="unreadable")


def _mark_location(shown: Path, mark: Any) -> Location:
    return Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)


def _unsupported(shown: Path, exc: BaseException) -> Problem:
    return Problem(
        f"YAML that springlet cannot read: {type(exc).__name__}: {exc}",
        Location(shown),
        hint="use plain mappings, lists and scalars, without tags or merge tricks",
        code="yaml-unsupported",
    )


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


def _plain(node: Any, path: NodePath, source: YamlSource, blocks: set[NodePath]) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarbool import ScalarBoolean
    from ruamel.yaml.scalarfloat import ScalarFloat
    from ruamel.yaml.scalarint import ScalarInt
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    if isinstance(node, CommentedMap):
        if not path:
            source.value_positions[path] = (node.lc.line + 1, node.lc.col + 1)
        out: dict[Any, Any] = {}
        for key, value in node.items():
            plain_key = _plain_scalar(key)
            child = (*path, str(plain_key))
            (kline, kcol), (vline, vcol) = _key_value_position(node, key)
            source.key_positions[child] = (kline + 1, kcol + 1)
            source.value_positions[child] = (vline + 1, vcol + 1)
            if isinstance(value, (LiteralScalarString, FoldedScalarString)):
                blocks.add(child)
            out[plain_key] = _plain(value, child, source, blocks)
        return out
    if isinstance(node, CommentedSeq):
        if not path:
            source.value_positions[path] = (node.lc.line + 1, node.lc.col + 1)
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, col = node.lc.item(index) or (node.lc.line, node.lc.col)
            source.value_positions[child] = (line + 1, col + 1)
            source.key_positions[child] = (line + 1, col + 1)
            if isinstance(value, (LiteralScalarString, FoldedScalarString)):
                blocks.add(child)
            items.append(_plain(value, child, source, blocks))
        return items
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, ScalarFloat):
        return float(node)
    if isinstance(node, ScalarInt):
        return int(node)
    return _plain_scalar(node)


def _plain_scalar(value: Any) -> Any:
    from ruamel.yaml.comments import TaggedScalar

    if isinstance(value, TaggedScalar):
        return str(value.value)  # `!!str 12`: of tagged scalars, the guard lets only !!str by
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        # Config values are text; a date-looking description must stay what was typed.
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _key_value_position(node: Any, key: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """0-based positions of `key` and its value; a key brought in by a merge (`<<: *base`)
    is found where the merged mapping wrote it."""
    from ruamel.yaml.comments import CommentedMap, merge_attrib

    if key in (node.lc.data or {}):
        return node.lc.key(key), node.lc.value(key)
    for merged in getattr(node, merge_attrib, []):
        # ruamel.yaml 0.18 keeps (position, mapping) pairs, 0.19 the mappings themselves
        mapping = merged[1] if isinstance(merged, tuple) else merged
        if isinstance(mapping, CommentedMap) and key in mapping:
            return _key_value_position(mapping, key)
    here = (node.lc.line, node.lc.col)
    return here, here
