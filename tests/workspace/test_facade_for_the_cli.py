"""The parts of the facade the CLI is built on (and the TUI can use the same way):
opening traces from springlet.yaml alone, resetting and exporting them with counts,
knowledge names/filters/damaged stores/language warnings, prompt inputs from text,
test cases and a workspace moved onto one model. Real SQLite, scripted models."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from springlet import WorkspaceError, load_workspace
from springlet.testing import Reply, register_script, unregister_script
from springlet.workspace import ExportResult, Source, StoreSetAside
from springlet.workspace.model_override import on_model
from springlet.workspace.prompt_inputs import inputs_from_text, parse_assignments
from springlet.workspace.settings_only import open_traces, read_workspace_settings
from springlet.workspace.test_cases import run_cases, unknown_names

COLLECTION = "name: manual\nsources:\n  - path: docs/\nembeddings: scripted:words\n"


@pytest.fixture
def script() -> Iterator[str]:
    name = f"f{uuid.uuid4().hex[:8]}"
    register_script(name, lambda messages, tools: Reply(f"echo {messages[-1].content}"))
    yield name
    unregister_script(name)


def agent_workspace(tmp_path: Path, script: str) -> Path:
    root = tmp_path / "ws"
    (root / "agents").mkdir(parents=True)
    (root / "springlet.yaml").write_text("data_dir: state\n")
    (root / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: d\nmodel: scripted:{script}\ninstructions: i\n"
        "tests:\n  - input: {message: hi}\n    expect: {contains: [echo hi]}\n"
        "  - name: wrong\n    input: {message: hi}\n    expect: {equals: nope}\n"
    )
    return root


def traced_run(root: Path, message: str) -> str:
    ws = load_workspace(root)
    result = ws.agent("a").run(message)
    assert ws.tracer().flush()
    ws.close()
    return result.run_id


def test_open_traces_reads_only_the_settings(tmp_path: Path, script: str) -> None:
    root = agent_workspace(tmp_path, script)
    (root / "tools").mkdir()
    marker = tmp_path / "imported"
    (root / "tools" / "loud.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    assert read_workspace_settings(root).data_dir == "state"
    traces = open_traces(root)
    assert traces.path == (root / "state" / "traces.sqlite").resolve()
    assert not traces.recorded and traces.list() == []
    assert not marker.exists(), "opening the traces imported the workspace's tools"
    load_workspace(root).close()
    assert marker.exists()  # what a full load does, and what the check above would see


def test_list_failed_export_with_counts_and_reset(tmp_path: Path, script: str) -> None:
    root = agent_workspace(tmp_path, script)
    run_id = traced_run(root, "hello")
    traces = open_traces(root)
    assert traces.recorded
    assert [r.run_id for r in traces.list()] == [run_id]
    assert traces.list(failed=True) == []
    exported = traces.export_runs([run_id, run_id], "finetune")
    assert isinstance(exported, ExportResult)
    assert (exported.runs, exported.skipped) == (2, 0) and exported.spans >= 4
    assert json.loads((exported.text or "").splitlines()[0])["response"] == "echo hello"
    written = traces.export_runs(run_id, "json", tmp_path / "out.json")
    assert written.text is None and json.loads((tmp_path / "out.json").read_text())
    moved = traces.reset()
    assert moved is not None and moved.name.startswith("traces.sqlite.damaged-")
    assert moved.exists() and not traces.recorded and traces.reset() is None


def knowledge_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "kws"
    (root / "knowledge").mkdir(parents=True)
    (root / "docs" / "faq").mkdir(parents=True)
    (root / "knowledge" / "manual.yaml").write_text(COLLECTION)
    (root / "knowledge" / "broken.yaml").write_text("name: broken\nsources: 3\n")
    (root / "docs" / "kettle.md").write_text("# Kettle\n\nDescale the kettle monthly.\n")
    (root / "docs" / "faq" / "toaster.md").write_text("# Toaster\n\nThe toaster kettle.\n")
    return root


def test_knowledge_names_filters_and_broken_collections(tmp_path: Path) -> None:
    knowledge = load_workspace(knowledge_workspace(tmp_path), tracing=False).knowledge
    assert knowledge.names == ["manual"]
    knowledge.ingest("manual")
    found = knowledge.retrieve("manual", "kettle", top_k=5, sources=["docs/faq/*"])
    assert [s.path for s in found] == ["docs/faq/toaster.md"]
    assert isinstance(found[0], Source) and found[0].citation == "docs/faq/toaster.md > Toaster"
    assert knowledge.retrieve("manual", "kettle", min_score=0.999) == []
    assert knowledge.language_warning("manual") is None  # not an English-only embedder
    with pytest.raises(WorkspaceError, match="collection 'broken' cannot be used"):
        knowledge.ingest("broken")
    with pytest.raises(WorkspaceError, match="collection 'broken' cannot be used"):
        knowledge.retrieve("broken", "kettle")


def test_a_damaged_knowledge_store_is_set_aside(tmp_path: Path) -> None:
    from springlet.workspace.knowledge import close_shared_stores

    root = knowledge_workspace(tmp_path)
    knowledge = load_workspace(root, tracing=False).knowledge
    assert knowledge.set_damaged_store_aside() is None  # no store yet
    store = root / ".springlet" / "knowledge.sqlite"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"this is not a database" * 100)
    close_shared_stores()
    moved = knowledge.set_damaged_store_aside()
    assert isinstance(moved, StoreSetAside) and moved.moved_to.exists() and not store.exists()
    assert moved.moved_to.name.startswith("knowledge.sqlite.damaged-") and moved.reason
    assert knowledge.ingest("manual").files == 2
    assert knowledge.set_damaged_store_aside() is None  # a sound one stays
    close_shared_stores()


def test_prompt_inputs_are_read_as_their_declared_types(tmp_path: Path) -> None:
    root = tmp_path / "pws"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "p.yaml").write_text(
        "name: p\ndescription: d\ninput:\n  n: {type: integer}\n  loud: {type: boolean}\n"
        "  tags: {type: array}\n"
        "messages:\n  - {role: user, content: '{{ n }} {{ loud }} {{ tags }}'}\n"
    )
    spec = load_workspace(root, tracing=False).prompt("p").spec
    pairs = parse_assignments(["n=50", "loud=yes", "tags=[1, 2]", "other=a=b"])
    assert inputs_from_text(spec, pairs) == {"n": 50, "loud": True, "tags": [1, 2], "other": "a=b"}
    with pytest.raises(Exception, match="KEY=VALUE"):
        parse_assignments(["novalue"])


def test_test_cases_and_a_workspace_on_another_model(tmp_path: Path, script: str) -> None:
    ws = load_workspace(agent_workspace(tmp_path, script), tracing=False)
    assert unknown_names(ws, {"a", "zzz"}) == ["zzz"]
    outcomes = list(run_cases(ws))
    assert [(o.case, o.passed) for o in outcomes] == [("case 1", True), ("wrong", False)]
    assert outcomes[1].failures == ("is not 'nope'",)
    other = f"g{uuid.uuid4().hex[:8]}"
    register_script(other, lambda messages, tools: Reply("nope"))
    try:
        moved = on_model(ws, f"scripted:{other}")
        assert [o.passed for o in run_cases(moved)] == [False, True]
        assert str(ws.agent_spec("a").model) == f"scripted:{script}"  # the original stays
    finally:
        unregister_script(other)
    with pytest.raises(ValueError):
        on_model(ws, "nonsense:model")


def test_open_models_reads_only_the_settings_and_refuses_broken_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from springlet import ModelError
    from springlet.models.ollama_catalog import forget_cached_models
    from springlet.testing.ollama_server import OllamaTestServer
    from springlet.workspace import FitEstimate, OllamaModel
    from springlet.workspace.settings_only import open_models

    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    root = tmp_path / "mws"
    root.mkdir()
    with OllamaTestServer() as server:
        (root / "springlet.yaml").write_text(f"ollama:\n  host: {server.url}\n")
        models = open_models(root)
        assert models.host == server.url
        listed = models.ollama_models()
        assert all(isinstance(m, OllamaModel) for m in listed)
        assert "qwen2.5:7b" in {m.name for m in listed}
        details = models.ollama_details("ollama:qwen2.5:7b")
        assert details.supports_tools and details.to_json()["name"] == "qwen2.5:7b"
        estimate = models.fit("qwen2.5:7b", 4096, 2)
        assert isinstance(estimate, FitEstimate)
        assert (estimate.context_length, estimate.parallel) == (4096, 2)
        assert models.fit_of(details).total_bytes == models.fit("qwen2.5:7b").total_bytes
    forget_cached_models()
    (root / "springlet.yaml").write_text("ollama:\n  host: http://127.0.0.1:9\n  timeout_s: 2\n")
    with pytest.raises(ModelError):
        open_models(root).ollama_models()  # nobody answers: a clean error, not []
    (root / "springlet.yaml").write_text("ollama: 3\n")
    with pytest.raises(WorkspaceError, match=r"springlet\.yaml has problems"):
        open_models(root)


def test_every_facade_name_resolves_and_springlet_re_exports_it() -> None:
    import springlet
    import springlet.workspace as facade

    for name in facade.__all__:
        assert getattr(springlet, name) is getattr(facade, name), name


def test_local_models_list_the_bundled_gguf_with_a_fit(tmp_path: Path) -> None:
    from springlet.workspace import FitEstimate, StoredModel
    from springlet.workspace.local_models import local_fit, local_models

    found = {m.name: m for m in local_models(tmp_path, ".springlet")}
    smollm2 = found["smollm2"]
    assert isinstance(smollm2, StoredModel) and smollm2.source.startswith("bundled:")
    assert smollm2.metadata.kind == "instruct"
    estimate = local_fit(smollm2)
    assert isinstance(estimate, FitEstimate) and estimate.total_bytes > 50_000_000
