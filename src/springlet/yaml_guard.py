"""Limits enforced while a YAML file is composed, before any of it becomes Python data.

Workspace files are configuration, so what YAML can express beyond plain mappings,
sequences and scalars is refused at the spot it appears:

- explicit tags (`!!python/object/apply:...`, `!!binary`, `!custom`, ...): nothing is
  ever constructed from a tag; only the standard `!!str`, `!!int`, `!!float`, `!!bool`,
  `!!null`, `!!map` and `!!seq` pass, and only on a node they describe;
- alias bombs ("billion laughs"): each alias costs the size of the node it repeats, so
  a small file that would expand to millions of values stops at the alias that crosses
  the budget, after composing only what precedes it;
- keys that are lists or mappings (`? [a, b]: 1`), which have no place in a spec;
- recursive aliases, and nesting deeper than any configuration needs (counted through
  aliases too), which would otherwise recurse until Python's stack runs out.

The composer shares one node object per anchor, so the counting is linear in the size
of the file, never in the size of its expansion.
"""

from __future__ import annotations

from typing import Any

MAX_FILE_BYTES = 1_000_000
"""Larger files are refused before they are read: no workspace file is near this."""
MAX_NODES = 20_000
"""Values (scalars, mappings, sequences) a document may hold once aliases are expanded.
A large prompt with a few hundred test cases holds a few thousand; ruamel.yaml's
round-trip parser reads about 20 000 values a second, so this also bounds the time a
file without aliases can take."""
MAX_DEPTH = 64
"""Nesting levels a document may have, aliases expanded."""

_STANDARD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_STANDARD}{name}" for name in ("str", "int", "float", "bool", "null")}


class YamlRefused(Exception):
    """A document breaks one of the limits; `line`/`col` are 1-based."""

    def __init__(self, message: str, hint: str, code: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code
        self.line = line
        self.col = col


def guarded_composer(base: type[Any]) -> type[Any]:
    """A subclass of ruamel.yaml's `Composer` class `base` that enforces the limits."""
    from ruamel.yaml.events import AliasEvent, MappingStartEvent, ScalarEvent
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    class GuardedComposer(base):  # type: ignore[misc]
        def __init__(self, loader: Any = None) -> None:
            super().__init__(loader)
            self.warn_double_anchors = False  # legal YAML; a warning would only be noise
            self.expanded = 0
            self.nesting = 0
            # id(node) -> (values, depth) once the node is fully composed; an anchored
            # node that is not in here yet is still open, so an alias to it is recursive.
            self.measured: dict[int, tuple[int, int]] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.parser.peek_event()
            # ruamel.yaml composes a mapping's keys with index None, its values with the key
            is_key = isinstance(parent, MappingNode) and index is None
            if isinstance(event, AliasEvent):
                target = self.anchors.get(event.anchor)
                if target is not None:
                    if is_key and not isinstance(target, ScalarNode):
                        raise _complex_key(event)
                    self._spend_alias(event, target)
                return super().compose_node(parent, index)
            if is_key and not isinstance(event, ScalarEvent):
                raise _complex_key(event)
            self.nesting += 1
            if self.nesting > MAX_DEPTH:
                raise _too_deep(event)
            self._check_tag(event)
            node = super().compose_node(parent, index)
            self.nesting -= 1
            self._spend(1, event)
            self.measured[id(node)] = _measure(node, self.measured)
            return node

        def _spend_alias(self, event: Any, target: Any) -> None:
            size = self.measured.get(id(target))
            if size is None:
                raise YamlRefused(
                    f"alias '*{event.anchor}' refers to a node that contains it "
                    "(a recursive structure)",
                    "configuration must be a tree: write the value out instead of the alias",
                    "yaml-recursive-alias",
                    *_position(event),
                )
            values, depth = size
            if self.nesting + depth > MAX_DEPTH:
                raise _too_deep(event)
            self._spend(values, event, alias=event.anchor)

        def _spend(self, values: int, event: Any, alias: str | None = None) -> None:
            self.expanded += values
            if self.expanded <= MAX_NODES:
                return
            if alias is None:
                raise YamlRefused(
                    f"the document holds more than {MAX_NODES} values",
                    "split it into several files",
                    "yaml-too-large",
                    *_position(event),
                )
            raise YamlRefused(
                f"YAML aliases expand to more than {MAX_NODES} values "
                f"(at alias '*{alias}'; an alias-expansion bomb?)",
                "each alias repeats its anchor's whole value: write the values out, "
                "or use fewer nested anchors (&name) and aliases (*name)",
                "yaml-alias-bomb",
                *_position(event),
            )

        def _check_tag(self, event: Any) -> None:
            tag = event.tag
            if tag is None or tag == "!":
                return
            if isinstance(event, ScalarEvent):
                if tag == f"{_STANDARD}str":
                    return
                implied = self.resolver.resolve(ScalarNode, event.value, (True, False))
                if tag in _SCALAR_TAGS and str(implied) == tag:
                    return
                if tag in _SCALAR_TAGS:
                    raise YamlRefused(
                        f"{event.value!r} is not a valid {_shown(tag)}",
                        "remove the tag, or write a value of that type",
                        "yaml-tag",
                        *_position(event),
                    )
            else:
                kind = MappingNode if isinstance(event, MappingStartEvent) else SequenceNode
                if tag == str(self.resolver.resolve(kind, None, (True, False))):
                    return
            raise YamlRefused(
                f"YAML tags are not allowed: {_shown(tag)}",
                "remove the tag: workspace files hold only text, numbers, booleans, "
                "lists and mappings; quote the value if it is text",
                "yaml-tag",
                *_position(event),
            )

    return GuardedComposer


def _measure(node: Any, measured: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """Values and depth of a composed node; its children are all measured already."""
    children: list[Any] = []
    if isinstance(node.value, list):
        for item in node.value:
            children.extend(item if isinstance(item, tuple) else (item,))
    values, depth = 1, 1
    for child in children:
        child_values, child_depth = measured.get(id(child), (1, 1))
        values += child_values
        depth = max(depth, child_depth + 1)
    return values, depth


def _complex_key(event: Any) -> YamlRefused:
    return YamlRefused(
        "a key must be plain text, not a list or a mapping",
        "write the key as text; quote it if it has brackets or braces",
        "yaml-complex-key",
        *_position(event),
    )


def _too_deep(event: Any) -> YamlRefused:
    return YamlRefused(
        f"the document nests deeper than {MAX_DEPTH} levels",
        "flatten the structure; no workspace setting needs this depth",
        "yaml-too-deep",
        *_position(event),
    )


def _position(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _shown(tag: str) -> str:
    """A tag as the user wrote it: `!!python/name:x` rather than its expanded form."""
    return "!!" + tag.removeprefix(_STANDARD) if tag.startswith(_STANDARD) else tag
