"""Loaders (rag.ingest.loaders) under arbitrary input: a file loads or fails with a DocumentError, nothing else.

Property-based (hypothesis); ``make test`` runs a bounded number of examples, ``HYPOTHESIS_PROFILE=long``
many more (see docs/benchmarks.md for a long run's figures).
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.errors import DocumentError
from rag.ingest.documents import load_corpus
from rag.ingest.loaders import SUPPORTED_SUFFIXES, read_source


def _load(data: bytes, suffix: str) -> str | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"article{suffix}"
        path.write_bytes(data)
        try:
            text = read_source(path)
        except DocumentError as exc:
            assert exc.message  # a readable reason, naming nothing internal
            return None
        assert isinstance(text, str)
        return text


@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_bytes_load_or_fail_with_a_document_error(data, suffix):
    _load(data, suffix)


@given(text=st.text(max_size=2000), encoding=st.sampled_from(["utf-8", "gb18030", "utf-16", "latin-1"]))
def test_any_text_in_any_encoding_loads_or_fails_cleanly(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    for suffix in (".txt", ".md", ".html"):
        _load(data, suffix)


def _docx_bytes() -> bytes:
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    doc.add_heading("凭祥口岸", level=1)
    doc.add_paragraph("凭祥口岸2024年进出口货运量达到1200万吨，同比增长8%。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _pdf_bytes() -> bytes:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("suffix, make", [(".docx", _docx_bytes), (".pdf", _pdf_bytes)])
def test_damaged_office_and_pdf_files_fail_cleanly(suffix, make):
    good = make()
    assert _load(good, suffix) is not None or suffix == ".pdf"  # a blank page has no text: a clean refusal

    @settings(max_examples=settings.default.max_examples * 4 // 5)
    @given(flips=st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255)), min_size=1, max_size=8),
           cut=st.integers(0, len(good)))
    def check(flips, cut):
        data = bytearray(good)
        for i, x in flips:
            data[i] ^= x
        _load(bytes(data[:cut] if cut % 3 == 0 else data), suffix)

    check()


@settings(max_examples=settings.default.max_examples // 2)
@given(files=st.lists(st.tuples(st.sampled_from(SUPPORTED_SUFFIXES), st.binary(max_size=512)), max_size=4))
def test_a_corpus_of_broken_files_is_loaded_with_each_skipped_by_name(files):
    with tempfile.TemporaryDirectory() as tmp:
        for i, (suffix, data) in enumerate(files):
            (Path(tmp) / f"f{i}{suffix}").write_bytes(data)
        docs, skipped = load_corpus(tmp)
        assert len(docs) + len(skipped) == len(files)
        assert all(s.reason for s in skipped)
