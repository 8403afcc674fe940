"""Neighbours of the bad inputs that used to validate clean: every server address, and
every `tests:` case of prompts, agents and routers, checked at load time and located."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from springlet.errors import SpringletError
from springlet.models.ollama_catalog import ollama_host
from springlet.models.ollama_config import host_url_problem
from springlet.settings import WorkspaceSettings
from springlet.workspace.loader import load_workspace_files

WriteWorkspace = Callable[[dict[str, str]], Path]

PROMPT = """
    name: p
    description: d
    input:
      text: {type: string}
      count: {type: integer, default: 3}
      tone: {type: string, enum: [dry, warm], default: dry}
    messages:
      - {role: user, content: "{{ text }} {{ count }} {{ tone }}"}
    tests:
"""


def problems(root: Path) -> list[str]:
    return [str(p).replace(f"{root}/", "") for p in load_workspace_files(root).problems]


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:11434",
        "https://ollama.example.com/prefix",
        "localhost",
        "0.0.0.0:11434",
        "http://[::1]:11434",
        "gpu-box.lan:8080",
    ],
)
def test_server_addresses_ollama_accepts_pass(host: str) -> None:
    assert host_url_problem(host) is None
    assert WorkspaceSettings.model_validate({"ollama": {"host": host}}).ollama.host == host


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("not a url at all", "is not a server address"),
        ("ftp://files.example.com", "has the scheme 'ftp'"),
        ("http://box:port", "is not a server address"),
        ("http://box:99999", "is not a server address"),
        ("http://", "names no host"),
        ("box?x=1", "has a query or fragment"),
    ],
)
def test_malformed_ollama_hosts_are_located(
    write_workspace: WriteWorkspace, host: str, why: str
) -> None:
    root = write_workspace({"springlet.yaml": f"ollama:\n  host: {host!r}\n"})
    [problem] = problems(root)
    assert problem.startswith(f"springlet.yaml:2:9: ollama.host: {host!r} {why}")


def test_a_password_in_a_host_is_not_echoed() -> None:
    problem = host_url_problem("ftp://me:secret@box")
    assert problem is not None and "secret" not in problem


def test_malformed_ollama_host_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "not a url at all")
    with pytest.raises(SpringletError) as caught:
        ollama_host(WorkspaceSettings())
    assert str(caught.value).startswith(
        "the environment variable OLLAMA_HOST is malformed: 'not a url at all' is not a "
        "server address (expected http(s)://host[:port])"
    )
    assert caught.value.hint is not None and "unset it" in caught.value.hint
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:9999")
    assert ollama_host(WorkspaceSettings()) == "http://127.0.0.1:9999"


COLLECTION = "name: kb\nsources: [{path: docs}]\nstore: pgvector\nurl: %s\n"


@pytest.mark.parametrize(
    "url",
    [
        "${KB_URL}",
        "postgresql://kb:${PG_PASSWORD}@db.internal:5432/knowledge",
        "postgres://kb@db/kb",
        "postgresql+psycopg://kb@db/kb",
    ],
)
def test_pgvector_urls_that_can_work_pass(write_workspace: WriteWorkspace, url: str) -> None:
    assert problems(write_workspace({"knowledge/kb.yaml": COLLECTION % url})) == []


@pytest.mark.parametrize(
    ("url", "got"),
    [
        ("not a url", "no URL scheme"),
        ("mysql://u:secret@h/db", "a 'mysql' URL"),
        ("$KB_URL", "a variable not written as ${NAME}"),
    ],
)
def test_pgvector_urls_that_cannot_work_are_located_without_the_password(
    write_workspace: WriteWorkspace, url: str, got: str
) -> None:
    root = write_workspace({"knowledge/kb.yaml": COLLECTION % url})
    assert problems(root) == [
        "knowledge/kb.yaml:4:6: url: store 'pgvector' needs a PostgreSQL URL "
        "(postgresql://USER:PASSWORD@HOST:5432/DATABASE) or an environment variable "
        f"written as ${{NAME}}, got {got}"
    ]


def test_a_collection_in_the_settings_file_is_checked_the_same_way(
    write_workspace: WriteWorkspace,
) -> None:
    root = write_workspace(
        {
            "springlet.yaml": "collections:\n  - {name: kb, sources: [{path: d}], store: "
            "pgvector, url: nope}\n"
        }
    )
    [problem] = problems(root)
    assert problem.startswith("springlet.yaml:2:60: collections[0].url: store 'pgvector' needs")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "{input: {text: hi, cuont: 2}}",
            "prompts/p.yaml:10:24: test case 1 of prompt 'p' gives input 'cuont', which it "
            "does not take (did you mean 'count'?)",
        ),
        (
            "{input: {text: hi, zzz: 2}}",
            "prompts/p.yaml:10:24: test case 1 of prompt 'p' gives input 'zzz', which it "
            "does not take (its inputs are text, count, tone)",
        ),
        (
            "{input: {count: 2}}",
            "prompts/p.yaml:10:13: test case 1 of prompt 'p' does not give the required input "
            "'text' (add 'text: ...' under the case's 'input:')",
        ),
        (
            "{expect: {contains: [x]}}",
            "prompts/p.yaml:10:5: test case 1 of prompt 'p' does not give the required input "
            "'text' (add 'text: ...' under the case's 'input:')",
        ),
        (
            '{input: {text: hi, count: "three"}}',
            "prompts/p.yaml:10:31: test case 1 of prompt 'p': input 'count' must be an integer, "
            "got 'three' (str) (declared as integer: change the value or the declaration)",
        ),
        (
            "{input: {text: hi, tone: loud}}",
            "prompts/p.yaml:10:30: test case 1 of prompt 'p': input 'tone' must be one of "
            "'dry', 'warm'; got 'loud' (declared as string: change the value or the declaration)",
        ),
        (
            "{input: {text: hi}, expect: {contain: [x]}}",
            "prompts/p.yaml:10:34: unknown key 'contain' in 'tests[0].expect' "
            "(did you mean 'contains'?)",
        ),
        (
            '{input: {text: hi}, expect: {matches: "(unclosed"}}',
            "prompts/p.yaml:10:43: tests[0].expect.matches: not a valid regular expression: "
            "missing ), unterminated subpattern at position 0",
        ),
    ],
)
def test_prompt_test_cases_are_checked_against_the_inputs(
    write_workspace: WriteWorkspace, case: str, expected: str
) -> None:
    root = write_workspace({"prompts/p.yaml": PROMPT + f"      - {case}\n"})
    assert problems(root) == [expected]


def test_a_good_prompt_case_is_clean(write_workspace: WriteWorkspace) -> None:
    root = write_workspace({"prompts/p.yaml": PROMPT + "      - {input: {text: hi, count: 2}}\n"})
    assert problems(root) == []


AGENT = "name: a\ndescription: d\ninstructions: i\ntests:\n"
ROUTER = "name: r\nkind: router\ndescription: d\nroutes: [{agent: a, examples: [hello]}]\ntests:\n"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("{input: {message: hi, session: s1}}", None),
        (
            "{input: {mesage: hi}}",
            "agents/a.yaml:5:14: test case 1 of agent 'a' gives input 'mesage', which it does "
            "not take (did you mean 'message'?)",
        ),
        (
            "{input: {session: s1}}",
            "agents/a.yaml:5:13: test case 1 of agent 'a' does not give the required input "
            "'message' (add 'message: ...' under the case's 'input:' (the message sent to the "
            "agent))",
        ),
        (
            "{input: {message: 42}}",
            "agents/a.yaml:5:23: test case 1 of agent 'a': input 'message' must be text, got 42 "
            "(quote the value)",
        ),
    ],
)
def test_agent_test_cases_give_a_message(
    write_workspace: WriteWorkspace, case: str, expected: str | None
) -> None:
    root = write_workspace({"agents/a.yaml": AGENT + f"  - {case}\n"})
    assert problems(root) == ([expected] if expected else [])


def test_router_test_cases_are_checked_too(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "agents/a.yaml": "name: a\ndescription: d\ninstructions: i\n",
            "agents/r.yaml": ROUTER + "  - {input: {text: hello}}\n",
        }
    )
    assert problems(root) == [
        "agents/r.yaml:6:13: test case 1 of router 'r' does not give the required input "
        "'message' (add 'message: ...' under the case's 'input:' (the message sent to the "
        "agent))",
        "agents/r.yaml:6:14: test case 1 of router 'r' gives input 'text', which it does not "
        "take (its inputs are message, session)",
    ]


def test_a_store_this_build_does_not_have_is_refused_by_validate(tmp_path: Path) -> None:
    # it used to pass validate and fail at the first ingest

    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "docs.yaml").write_text(
        "name: docs\nsources: [{path: knowledge/}]\nstore: qdrant\nurl: http://localhost:6333\n"
    )
    [problem] = load_workspace_files(tmp_path).problems
    assert (problem.location.line, problem.location.col) == (3, 8)
    assert "'qdrant' is not available in this build" in problem.message
    assert "store: pgvector" in problem.message
