"""Chunking: sentence splitting, packing to size, spans back into the source, stable ids."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import ChunkerConfig
from rag.ingest.chunking import Chunk, chunk_document, chunk_documents, split_sentences
from rag.ingest.documents import load_corpus, make_document

from fixtures_news import SUIFENHE

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def docs():
    loaded, _ = load_corpus(CORPUS)
    return loaded


@pytest.fixture(scope="module")
def chunked(docs):
    return [(doc, chunk_document(doc)) for doc in docs]


@pytest.fixture(scope="module")
def page():
    """An inline page with sections, repeated captions and a byline (tests/fixtures_news.py)."""
    doc = make_document(SUIFENHE, "suifenhe.md")
    return doc, chunk_document(doc)


def _texts(text: str, spans) -> list[str]:
    return [text[s:e] for s, e in spans]


# ---------------------------------------------------------------- sentences


def test_splits_on_chinese_sentence_ends_and_keeps_closing_quotes():
    text = "他说：“好。”然后走了！真的吗？是的；当然……结束。"
    assert _texts(text, split_sentences(text)) == ["他说：“好。”", "然后走了！", "真的吗？", "是的；", "当然……", "结束。"]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = "“专精特新”企业是重要力量。”下一句（括号内。）再一句"
    assert _texts(text, split_sentences(text)) == ["“专精特新”企业是重要力量。”", "下一句（括号内。）", "再一句"]


def test_western_punctuation_and_decimals():
    text = "Growth was 3.5% in 2024. Trains ran daily! Really? Yes... 增长11.6%。"
    assert _texts(text, split_sentences(text)) == [
        "Growth was 3.5% in 2024.", "Trains ran daily!", "Really?", "Yes...", "增长11.6%。"]


def test_spans_are_exact_and_skip_leading_whitespace():
    text = "  第一句。  第二句！\n第三句"
    spans = split_sentences(text)
    assert _texts(text, spans) == ["第一句。", "第二句！", "第三句"]
    for s, e in spans:
        assert not text[s].isspace()
    assert split_sentences("") == [] and split_sentences("   ") == []


def test_over_long_sentence_is_cut_at_commas_then_hard():
    clause = "凭祥市加快建设西部陆海新通道，"  # 15 chars ending in a comma
    text = clause * 40 + "结束。"
    spans = split_sentences(text, max_chars=100)
    assert len(spans) > 1
    assert "".join(_texts(text, spans)) == text  # contiguous, nothing lost
    assert all(e - s <= 100 for s, e in spans)
    assert all(text[e - 1] == "，" for s, e in spans[:-1])  # cut after a comma
    hard = "凭" * 250
    hard_spans = split_sentences(hard, max_chars=100)
    assert [e - s for s, e in hard_spans] == [100, 100, 50]


# ---------------------------------------------------------------- chunks on the real corpus


def test_chunk_text_is_exactly_the_source_span(chunked):
    for doc, chunks in chunked:
        assert chunks
        for chunk in chunks:
            assert chunk.text == doc.source[chunk.start : chunk.end]
            assert chunk.clean == doc.clean[doc.offsets.index(chunk.start) :][: len(chunk.clean)]


def test_sentence_spans_map_back_to_the_source(chunked):
    import re

    for doc, chunks in chunked:
        for chunk in chunks:
            assert chunk.sentences
            for sent in chunk.sentences:
                assert chunk.start <= sent.start < sent.end <= chunk.end
                source_text = doc.source[sent.start : sent.end]
                clean_text = chunk.clean[sent.cstart : sent.cend]
                assert re.sub(r"\s|\*\*", "", source_text) == re.sub(r"\s", "", clean_text)
            assert chunk.sentences[0].cstart == 0 and chunk.sentences[-1].cend == len(chunk.clean)


def test_chunks_cover_every_paragraph_once_in_order(chunked):
    for doc, chunks in chunked:
        # without overlap, chunks tile the cleaned text (separated only by the paragraph newline)
        pos = 0
        for chunk in chunks:
            start = doc.clean.index(chunk.clean, pos)
            assert doc.clean[pos:start].strip() == ""
            pos = start + len(chunk.clean)
        assert doc.clean[pos:].strip() == ""


def test_never_cuts_inside_a_sentence(docs, chunked):
    config = ChunkerConfig()
    for doc, chunks in chunked:
        ends = set()
        for para in doc.paragraphs:
            if para.kind == "heading":
                ends.add(para.end)
            for s, e in split_sentences(para.text(doc), config.max_chars):
                ends.add(para.start + e)
        for chunk in chunks:
            cstart = doc.clean.index(chunk.clean)
            assert cstart + len(chunk.clean) in ends, chunk.chunk_id


def test_packs_greedily_to_the_target_size(chunked):
    config = ChunkerConfig()
    for doc, chunks in chunked:
        for chunk, nxt in zip(chunks, chunks[1:]):
            size = sum(s.cend - s.cstart for s in chunk.sentences)
            first = nxt.sentences[0].cend - nxt.sentences[0].cstart
            starts_section = nxt.heading != chunk.heading or nxt.clean.startswith(nxt.heading)
            if not starts_section:
                # the next sentence did not fit, so the chunk was closed
                assert size + first > config.target_chars, chunk.chunk_id
            if len(chunk.sentences) > 1:
                assert size <= config.target_chars, chunk.chunk_id


def test_a_sentence_longer_than_the_target_is_its_own_chunk():
    long_sentence = "凭祥市" + "加快建设中越跨境物流通道和凭祥综合保税区" * 12 + "。"
    doc = make_document(f"开头一句。\n\n{long_sentence}\n\n结尾一句。", "x.txt")
    chunks = chunk_document(doc, ChunkerConfig(target_chars=100, max_chars=400))
    assert [c.clean for c in chunks] == ["开头一句。", long_sentence, "结尾一句。"]


def test_embed_text_carries_title_and_heading(chunked, page):
    doc, chunks = page
    section = [c for c in chunks if c.heading == "口岸通道持续扩能 货运总量再创新高"]
    assert len(section) >= 2
    for chunk in section:
        lines = chunk.embed_text.split("\n")
        assert lines[0] == doc.title == "绥芬河 向北开放窗口建设迈出新步伐"
        assert "口岸通道持续扩能 货运总量再创新高" in chunk.embed_text
        assert chunk.embed_text.endswith(chunk.clean)
    for doc, chunks in [*chunked, page]:
        for chunk in chunks:
            assert chunk.embed_text.startswith(doc.title)
            # the title is added once, and not at all when the chunk starts with it
            added = 0 if chunk.clean.startswith(doc.title) else 1
            assert chunk.embed_text.count(doc.title) == chunk.clean.count(doc.title) + added


def test_context_can_be_turned_off(docs):
    chunks = chunk_document(docs[3], ChunkerConfig(context=False))
    assert all(c.embed_text == c.clean for c in chunks)


def test_chunk_ids_are_stable_and_unique(docs):
    first = chunk_documents(docs)
    again = chunk_documents(load_corpus(CORPUS)[0])
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert [c.to_json() for c in first] == [c.to_json() for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    assert all(c.chunk_id == f"{c.doc_id}#{c.ordinal:04d}" for c in first)


def test_json_round_trip(chunked):
    for _, chunks in chunked[:2]:
        for chunk in chunks:
            assert Chunk.from_json(chunk.to_json()) == chunk


def test_overlap_repeats_the_last_sentence():
    text = "".join(f"第{i}句话讲的是凭祥班列的发展情况。" for i in range(12))
    doc = make_document(text, "x.txt")
    chunks = chunk_document(doc, ChunkerConfig(target_chars=60, overlap_sentences=1))
    assert len(chunks) > 2
    for a, b in zip(chunks, chunks[1:]):
        assert a.sentence_texts()[-1] == b.sentence_texts()[0]
        assert b.text == doc.source[b.start : b.end]


def test_headings_start_new_chunks_and_captions_are_kept(chunked, page):
    by_id = {doc.doc_id[:3]: (doc, chunks) for doc, chunks in chunked}
    for doc, chunks in (by_id["003"], page):
        for para in doc.paragraphs:
            if para.kind == "heading":
                heading = para.text(doc)
                assert any(c.clean.startswith(heading) for c in chunks), heading
    doc, chunks = page
    assert any("跨境运输车辆排队通关" in c.clean for c in chunks)
    assert sum(c.clean.count("首批进口木材精深加工产品从绥芬河发往南方") for c in chunks) == 1
