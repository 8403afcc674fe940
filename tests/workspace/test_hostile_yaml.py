"""YAML that attacks the reader: alias bombs, tags, recursion, absurd size and depth.

Each is refused at `file:line:col` with a fix, through the one loader every workspace
file goes through, and the rest of the workspace still loads. Times are printed in
failure messages only: the assertion is on the refusal, which stops composing early.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from springlet.workspace.loader import load_workspace_files
from springlet.yaml_guard import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from springlet.yaml_source import YamlSource, load_yaml

WriteWorkspace = Callable[[dict[str, str]], Path]

GOOD_AGENT = "name: good\ndescription: Still works.\ninstructions: Hello.\n"


def billion_laughs() -> str:
    """The classic: nine levels of ten aliases each, 10^9 strings once expanded."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def wide_bomb() -> str:
    """Two levels only: a thousand aliases to a thousand-item list."""
    return "w0: &w0 [" + ", ".join(["x"] * 1000) + "]\nw1: [" + ", ".join(["*w0"] * 1000) + "]\n"


def deep_bomb() -> str:
    """Forty levels of two aliases each: 2^40 values from 41 short lines."""
    lines = ["d0: &d0 [x, x]"]
    lines += [f"d{i}: &d{i} [*d{i - 1}, *d{i - 1}]" for i in range(1, 41)]
    return "\n".join(lines) + "\n"


def merge_bomb() -> str:
    """The same doubling through merge keys (`<<:`) and aliases inside mappings."""
    lines = ["m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}, k: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, 40)]
    return "\n".join(lines) + "\n"


BOMBS = {
    # bomb -> (line:col of the alias that crosses the budget, that alias)
    "billion_laughs": (billion_laughs, "5:10", "a3"),
    "wide": (wide_bomb, "2:96", "w0"),
    "deep": (deep_bomb, "13:12", "d11"),
    "merge": (merge_bomb, "8:28", "m6"),
}


def timed_load(path: Path) -> tuple[YamlSource | object, float]:
    started = time.perf_counter()
    result = load_yaml(path)
    return result, time.perf_counter() - started


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_alias_bombs_are_refused_at_the_alias_that_crosses_the_budget(
    tmp_path: Path, kind: str
) -> None:
    make, where, alias = BOMBS[kind]
    path = tmp_path / "bomb.yaml"
    path.write_text(make())
    result, seconds = timed_load(path)
    assert str(result) == (
        f"{path}:{where}: YAML aliases expand to more than {MAX_NODES} values (at alias "
        f"'*{alias}'; an alias-expansion bomb?) (each alias repeats its anchor's whole "
        "value: write the values out, or use fewer nested anchors (&name) and aliases (*name))"
    ), f"took {seconds:.3f}s"


# Every kind of workspace file, and the tests: cases inside one, go through the guard.
PLACES = {
    "agents/bomb.yaml": "name: bomb\ndescription: d\ninstructions: i\n",
    "prompts/bomb.yaml": "name: bomb\ndescription: d\nmessages: [{role: user, content: hi}]\n",
    "knowledge/bomb.yaml": "name: bomb\nsources: [{path: docs}]\n",
    "springlet.yaml": "data_dir: .springlet\n",
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_every_workspace_file_is_guarded_and_the_rest_still_loads(
    write_workspace: WriteWorkspace, place: str
) -> None:
    head = PLACES[place]
    # the bomb hides in a value the spec would reject anyway: it must never get that far
    root = write_workspace({place: head + "x:\n" + _indented(billion_laughs()), **_good()})
    started = time.perf_counter()
    loaded = load_workspace_files(root)
    seconds = time.perf_counter() - started
    [problem] = loaded.problems
    assert problem.code == "yaml-alias-bomb", f"{problem} after {seconds:.3f}s"
    assert problem.location is not None
    assert (problem.location.path, problem.location.line) == (root / place, head.count("\n") + 6)
    assert loaded.usable_agents == ["good"]


def test_a_bomb_in_a_prompts_tests_cases_is_refused(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "prompts/p.yaml": (
                "name: p\ndescription: d\nmessages: [{role: user, content: hi}]\n"
                "tests:\n  - input:\n" + _indented(billion_laughs(), 6)
            ),
            **_good(),
        }
    )
    [problem] = load_workspace_files(root).problems
    assert problem.code == "yaml-alias-bomb"
    assert str(problem).startswith(f"{root}/prompts/p.yaml:10:16: YAML aliases expand")


def test_recursive_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    for text, where in [("a: &a [1, *a]\n", "1:11"), ("a: &a {k: [x, *a]}\n", "1:15")]:
        path.write_text(text)
        assert str(load_yaml(path)) == (
            f"{path}:{where}: alias '*a' refers to a node that contains it (a recursive "
            "structure) (configuration must be a tree: write the value out instead of the alias)"
        )


def test_plain_aliases_and_merge_keys_still_work_and_keep_their_positions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &base\n  a: 1\n  b: two\nderived:\n  <<: *base\n  c: 3\nagain: *base\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = load_yaml(path)
    assert isinstance(source, YamlSource)
    assert source.data == {
        "base": {"a": 1, "b": "two"},
        "derived": {"c": 3, "a": 1, "b": "two"},
        "again": {"a": 1, "b": "two"},
    }
    # a merged key is located where its value is written: in the anchored mapping
    assert str(source.location(("derived", "b"))) == f"{path}:3:6"
    assert str(source.location(("derived", "c"))) == f"{path}:6:6"


def test_reusing_an_anchor_name_is_legal_and_silent(tmp_path: Path) -> None:
    path = tmp_path / "reuse.yaml"
    path.write_text("a: &x 1\nb: &x 2\nc: *x\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = load_yaml(path)
    assert isinstance(source, YamlSource) and source.data == {"a": 1, "b": 2, "c": 2}


def test_nesting_too_deep_is_refused_in_the_file_and_through_aliases(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    result, seconds = timed_load(path)
    assert str(result) == (
        f"{path}:1:{4 + MAX_DEPTH - 1}: the document nests deeper than {MAX_DEPTH} levels "
        "(flatten the structure; no workspace setting needs this depth)"
    ), f"took {seconds:.3f}s"
    half = MAX_DEPTH // 2 + 1
    path.write_text(f"a: &a {'[' * half}x{']' * half}\nb: {'[' * half}*a{']' * half}\n")
    assert "nests deeper than" in str(load_yaml(path))


def test_a_file_too_large_is_refused_without_being_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("x: " + "a" * MAX_FILE_BYTES + "\n")
    assert str(load_yaml(path)) == (
        f"{path}:1:1: file is {MAX_FILE_BYTES + 4} bytes, more than the {MAX_FILE_BYTES} a "
        "workspace file may have (workspace files are configuration; keep large documents "
        "in a knowledge collection's sources instead)"
    )


def test_too_many_values_without_aliases_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("x: [" + ",".join(["1"] * (MAX_NODES + 10)) + "]\n")
    result = load_yaml(path)
    assert getattr(result, "code", None) == "yaml-too-large", str(result)


TAG_HINT = (
    "remove the tag: workspace files hold only text, numbers, booleans, lists and "
    "mappings; quote the value if it is text"
)


@pytest.mark.parametrize(
    ("text", "where", "tag"),
    [
        ('description: !!python/object/apply:os.system ["touch {marker}"]\n', "2:14", None),
        ("description: !!python/object/new:os.system {{args: [ls]}}\n", "2:14", None),
        ("description: !!python/name:os.system\n", "2:14", None),
        ("description: !!python/tuple [1, 2]\n", "2:14", None),
        ("description: !!binary aGVsbG8=\n", "2:14", None),
        ("description: !custom hello\n", "2:14", None),
        ("description: !!set {{a, b}}\n", "2:14", None),
        ("description: !!omap [a: 1]\n", "2:14", None),
        ("description: !!timestamp 2024-01-01\n", "2:14", None),
        (
            "description: !<tag:yaml.org,2002:python/name:os.system> x\n",
            "2:14",
            "!!python/name:os.system",
        ),
        (
            "%TAG !e! tag:example.com,2000:\n---\nx: !e!thing 1\n",
            "3:4",
            "tag:example.com,2000:thing",
        ),
        ("!!python/name:os.system : key\n", "2:1", None),
        ("? !!binary aGVsbG8=\n: key\n", "2:3", None),
        ("tools:\n  - !custom {{name: x}}\n", "3:5", None),
        ("tools: !custom [a]\n", "2:8", None),
        ("limits:\n  <<: !custom {{max_steps: 3}}\n", "3:7", None),
    ],
)
def test_tags_are_located_errors_and_never_run(
    tmp_path: Path, text: str, where: str, tag: str | None
) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "agent.yaml"
    body = text.format(marker=marker)
    path.write_text(body if body.startswith("%") else "name: a\n" + body)
    written = tag or "!" + text.split("!", 1)[1].split()[0]
    assert str(load_yaml(path)) == (
        f"{path}:{where}: YAML tags are not allowed: {written} ({TAG_HINT})"
    )
    assert not marker.exists()


def test_standard_tags_that_fit_their_value_pass(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "s: !!str 12\nk: [!!str 1.5]\n!!str 3: three\ni: !!int 7\nf: !!float 1.5\n"
        "b: !!bool true\nn: !!null ~\nm: !!map {a: 1}\nq: !!seq [1]\nplain: ! 12\n"
        "date: 2024-01-01\n"
    )
    source = load_yaml(path)
    assert isinstance(source, YamlSource)
    assert source.data == {
        "s": "12",
        "k": ["1.5"],
        "3": "three",
        "i": 7,
        "f": 1.5,
        "b": True,
        "n": None,
        "m": {"a": 1},
        "q": [1],
        "plain": 12,
        "date": "2024-01-01",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x: !!int abc\n", "'abc' is not a valid !!int (remove the tag, or write a value of "),
        ("x: !!bool yes\n", "'yes' is not a valid !!bool"),
        ("x: !!map [1]\n", "YAML tags are not allowed: !!map"),
        ("x: !!seq {a: 1}\n", "YAML tags are not allowed: !!seq"),
    ],
)
def test_standard_tags_on_the_wrong_value_are_located(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert str(load_yaml(path)).startswith(f"{path}:1:4: {message}")


@pytest.mark.parametrize(
    ("text", "where"),
    [("? [a, b]\n: 1\n", "1:3"), ("? {a: 1}\n: 2\n", "1:3"), ("b: &b {k: 1}\n*b : 2\n", "2:1")],
)
def test_keys_that_are_lists_or_mappings_are_located(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text)
    assert str(load_yaml(path)) == (
        f"{path}:{where}: a key must be plain text, not a list or a mapping (write the key as "
        "text; quote it if it has brackets or braces)"
    )


def test_a_merge_of_a_scalar_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text("a:\n  <<: 5\n")
    assert str(load_yaml(path)).startswith(f"{path}:2:7: YAML syntax error: expected a mapping")


def test_validate_refuses_a_bomb_and_a_python_tag_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "prompts").mkdir()
    (tmp_path / "agents" / "bomb.yaml").write_text(billion_laughs())
    (tmp_path / "prompts" / "tag.yaml").write_text(
        'name: t\ndescription: !!python/object/apply:os.system ["echo pwned"]\n'
    )
    (tmp_path / "agents" / "good.yaml").write_text(GOOD_AGENT)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "springlet", "validate", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    seconds = time.perf_counter() - started
    report = f"after {seconds:.2f}s:\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 1, report
    assert "Traceback" not in done.stdout + done.stderr, report
    assert "pwned" not in done.stdout + done.stderr, report
    lines = done.stdout.splitlines()
    assert f"{tmp_path}/agents/bomb.yaml:5:10: YAML aliases expand to more than" in lines[0]
    assert lines[1].startswith(
        f"{tmp_path}/prompts/tag.yaml:2:14: YAML tags are not allowed: "
        "!!python/object/apply:os.system"
    ), report


def _indented(text: str, by: int = 2) -> str:
    return "".join(" " * by + line + "\n" for line in text.splitlines())


def _good() -> dict[str, str]:
    return {"agents/good.yaml": GOOD_AGENT}
