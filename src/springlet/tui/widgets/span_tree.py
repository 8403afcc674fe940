"""`SpanTree`: one run's spans as a lazy tree with a waterfall bar per span.

Children are added when their parent is expanded, and at most `PAGE` at a time (a
"more" node brings the next page): a run of 10,000 spans opens as a few nodes, and the
`Tree` is one widget however many lines it has. Spans recorded while the run goes on
are added where their parent is already shown (`add_spans`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from springlet.tui.trace_model import SpanIndex, duration_text, waterfall_bar

PAGE = 200
"""Children mounted per expand (and per "more" node)."""
BAR_WIDTH = 10
_STATUS_MARK = {"ok": "✓", "error": "✗", "running": "…", "cancelled": "⊘", "step_limit": "!"}
_STATUS_STYLE = {"ok": "green", "error": "bold red", "running": "yellow", "cancelled": "yellow"}
_MORE = "more:"


class SpanTree(Tree[str]):
    """The span tree of the run given to `show` (node data: the span id)."""

    DEFAULT_CSS = """
    SpanTree { scrollbar-size-vertical: 1; }
    """

    @dataclass
    class SpanChosen(Message):
        """The highlighted span (its detail is shown next to the tree)."""

        span: Any

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("(no run)", **kwargs)
        self.guide_depth = 2
        self.index: SpanIndex | None = None
        self._span_nodes: dict[str, TreeNode[str]] = {}
        self._shown_children: dict[str, int] = {}
        """span id -> how many of its children have nodes (absent: none yet)."""

    @property
    def run_id(self) -> str | None:
        return self.index.root_id if self.index is not None else None

    def show(self, run_id: str, spans: Iterable[Any]) -> None:
        """Replace the tree with run `run_id` (only its first level gets nodes)."""
        self.clear()
        self.index = SpanIndex(run_id, spans)
        self._span_nodes = {run_id: self.root}
        self._shown_children = {}
        self.root.data = run_id
        self._relabel(run_id)
        self._fill(run_id)
        self.root.expand()
        self.move_cursor(self.root)

    def add_spans(self, spans: Iterable[Any]) -> None:
        """Spans recorded since: a known span gets a new label, a new one a node under
        its parent when that parent's children are shown."""
        if self.index is None:
            return
        touched: set[str] = set()
        for span in spans:
            parent = self.index.add(span)
            touched.add(span.span_id)
            touched.update(self.index.ancestors(span.span_id))
            if parent is None:
                continue
            shown = self._shown_children.get(parent)
            node = self._span_nodes.get(parent)
            if node is None:
                continue
            if shown is not None and shown < PAGE:
                self._add_span_node(node, span)
                self._shown_children[parent] = shown + 1
            node.allow_expand = True
        for span_id in touched:
            self._relabel(span_id)

    def _fill(self, span_id: str, start: int = 0) -> None:
        assert self.index is not None
        node = self._span_nodes[span_id]
        children = self.index.children(span_id)
        page = children[start : start + PAGE]
        for child in page:
            self._add_span_node(node, child)
        self._shown_children[span_id] = start + len(page)
        left = len(children) - (start + len(page))
        if left > 0:
            node.add_leaf(Text(f"… {left} more spans", style="dim"), f"{_MORE}{span_id}")

    def _add_span_node(self, parent: TreeNode[str], span: Any) -> None:
        assert self.index is not None
        node = parent.add(self._label(span), span.span_id)
        node.allow_expand = self.index.has_children(span.span_id)
        self._span_nodes[span.span_id] = node

    def _relabel(self, span_id: str) -> None:
        node = self._span_nodes.get(span_id)
        span = self.index.spans.get(span_id) if self.index is not None else None
        if node is not None and span is not None:
            node.set_label(self._label(span))

    def _label(self, span: Any) -> Text:
        """`✓  1.2s ▕██   ▏ tool get_order_status 40t 1✗`: the name goes last, so a
        narrow tree cuts the name, never the bar."""
        assert self.index is not None
        status = str(span.status)
        bar = waterfall_bar(span.start_ns, span.end_ns, self.index.time_scale(), BAR_WIDTH)
        label = Text.assemble(
            (_STATUS_MARK.get(status, "?"), _STATUS_STYLE.get(status, "")),
            (f" {duration_text(span.duration_ms):>6} ", "bold"),
            ("▕", "dim"),
            (bar, "cyan" if status != "error" else "red"),
            ("▏ ", "dim"),
            span_title(span),
            no_wrap=True,
            overflow="ellipsis",
        )
        if self.index.has_children(span.span_id):
            rollup = self.index.rollup(span.span_id)
            tokens = rollup.input_tokens + rollup.output_tokens
            label.append(f" {tokens}t" if tokens else "", style="dim")
            if rollup.errors:
                label.append(f" {rollup.errors}✗", style="red")
        return label

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[str]) -> None:
        span_id = event.node.data
        known = span_id is not None and span_id in self._span_nodes
        if known and span_id not in self._shown_children:
            self._fill(str(span_id))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        data = event.node.data or ""
        parent_node = event.node.parent
        siblings = list(parent_node.children) if parent_node is not None else []
        if data.startswith(_MORE) and event.node in siblings:
            parent = data.removeprefix(_MORE)
            event.node.remove()
            self._fill(parent, self._shown_children.get(parent, 0))

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        span = self.index.spans.get(event.node.data or "") if self.index else None
        if span is not None:
            self.post_message(self.SpanChosen(span))

    def select_span(self, span_id: str) -> bool:
        """Move the cursor to a span (its ancestors' children are shown first)."""
        if self.index is None or span_id not in self.index.spans:
            return False
        for ancestor in reversed(self.index.ancestors(span_id)):
            node = self._span_nodes.get(ancestor)
            if node is None:
                return False
            if ancestor not in self._shown_children:
                self._fill(ancestor)
            node.expand()
        node = self._span_nodes.get(span_id)
        if node is None:
            return False
        self.move_cursor(node)
        return True


def span_title(span: Any) -> str:
    """How the tree names a span: the tool's or model's name rather than the
    operation (`execute_tool get_order_status` -> `tool get_order_status`)."""
    kind = str(span.kind)
    attributes = span.attributes
    if kind == "tool":
        return f"tool {attributes.get('gen_ai.tool.name') or span.name}"
    if kind == "model":
        model = attributes.get("gen_ai.response.model") or attributes.get("gen_ai.request.model")
        return f"model {model or span.name}"
    if kind == "agent":
        return str(span.name)
    return f"{kind} {span.name}"
