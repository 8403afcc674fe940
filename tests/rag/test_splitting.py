"""CJK-aware splitting: sentences stay whole when they fit, sizes stay bounded."""

from __future__ import annotations

from langchain_core.documents import Document

from springlet.rag.spec import SplitterSpec
from springlet.rag.splitting import split_sections

SENTENCES = [
    "退货政策适用于所有在官方商店购买的商品。",
    "商品在收到后三十天内可以退货！",
    "请保留原包装和发票？",
    "退款会在五个工作日内处理；",
    "如有疑问请联系客服中心…",
    "東京の店舗では返品を受け付けていません。",
]


def _section(text: str) -> Document:
    meta = {"source": "zh.txt", "title": "zh", "heading": "", "page": None, "offset": 0}
    return Document(page_content=text, metadata=meta)


def test_chinese_chunks_end_at_sentence_ends() -> None:
    text = "".join(SENTENCES * 3)
    chunks = split_sections([_section(text)], SplitterSpec(chunk_size=50, chunk_overlap=0))
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.text) <= 50
        assert chunk.text[-1] in "。！？；…"
        assert text[chunk.start : chunk.end] == chunk.text
    assert "".join(c.text for c in chunks) == text


def test_a_sentence_longer_than_the_chunk_is_still_cut_to_size() -> None:
    text = "这是一个没有任何标点符号而且非常非常长的句子" * 10
    chunks = split_sections([_section(text)], SplitterSpec(chunk_size=60, chunk_overlap=10))
    assert len(chunks) > 1
    assert all(len(c.text) <= 60 for c in chunks)


def test_english_prefers_paragraphs_then_sentences() -> None:
    text = "First paragraph is short.\n\n" + "This sentence is about refunds. " * 6
    chunks = split_sections([_section(text)], SplitterSpec(chunk_size=80, chunk_overlap=0))
    assert chunks[0].text == "First paragraph is short."
    assert all(c.text.endswith(".") for c in chunks)
    assert all(len(c.text) <= 80 for c in chunks)
