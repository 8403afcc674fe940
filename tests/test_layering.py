"""springlet's packages depend one way: this test reads every import in src/springlet
(module level, inside functions, and under TYPE_CHECKING alike) and fails on any import
that points up the layer list below, which docs/DESIGN.md explains.

A package may import packages of its own layer or lower ones, and no two packages may
import each other, directly or around a cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import springlet

SRC = Path(springlet.__file__).parent

LAYERS: list[set[str]] = [
    {"errors", "spec_base", "jsonschema_check", "yaml_source", "yaml_guard", "sqlite_faults"},
    {"_runtime"},  # the runtime loop every run executes on
    {"tracing", "tools", "models"},  # spans and their store; @tool; model providers
    {"rag"},  # loaders, splitting, stores, retrieval
    {"settings"},  # the workspace settings spec (names models and collections)
    {"prompts"},  # prompt specs, templates, the prompt runner, ChatClient
    {"agents"},  # agent specs, building against AgentServices, middleware, runs
    {"workspace"},  # loading, validation, the Workspace facade
    {"springlet", "__main__", "cli", "tui", "testing", "mcp"},  # the faces
]


def package_of(module: str) -> str:
    """`springlet.agents.factory` -> `agents`; `springlet` -> `springlet`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "springlet"


def module_name(path: Path) -> str:
    parts = ("springlet", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every springlet module `path` imports, wherever the import statement stands."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                found.add(node.module)
    return {name for name in found if name == "springlet" or name.startswith("springlet.")}


def package_imports() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> the modules where that import stands."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        source = package_of(module_name(path))
        for target in imported_modules(path):
            if package_of(target) != source:
                edges[(source, package_of(target))].append(module_name(path))
    return edges


def layer_of(package: str) -> int:
    for number, layer in enumerate(LAYERS):
        if package in layer:
            return number
    raise AssertionError(f"package '{package}' is in no layer: add it to LAYERS and DESIGN.md")


def test_every_import_points_down_the_layers() -> None:
    upward = [
        f"{source} -> {target} (in {', '.join(sorted(set(where)))})"
        for (source, target), where in package_imports().items()
        if layer_of(target) > layer_of(source)
    ]
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)


def test_there_is_no_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in package_imports():
        graph[source].add(target)
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = "done"
        return None

    cycles = [c for n in sorted(graph) if n not in state and (c := visit(n, []))]
    assert not cycles, f"a cycle between packages: {' -> '.join(cycles[0])}"


def test_the_graph_reader_sees_imports_inside_functions_and_type_checking() -> None:
    # the workspace builds agents with an import inside a method, and names Agent under
    # TYPE_CHECKING: both must count, or the rules above would pass on a blind reader
    edges = package_imports()
    assert "springlet.workspace.workspace" in edges[("workspace", "agents")]
