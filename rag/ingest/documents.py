"""Documents: a corpus file with its metadata, cleaned text and offsets back to the source.

Cleaning never edits files. It produces a cleaned text plus, for every cleaned
character, its offset in the source text, so any span found later can be mapped
back to the exact characters of the article (``Document.source_span``).
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from rag.errors import DocumentError
from rag.ingest.cleaning import Paragraph, clean_text
from rag.ingest.loaders import SUPPORTED_SUFFIXES, read_source

log = logging.getLogger(__name__)

METADATA_FILE = "articles.toml"

_YEAR_RE = re.compile(r"(20\d\d|19\d\d)年")


@dataclass
class Document:
    doc_id: str
    path: str  # relative to the corpus directory
    source: str  # the text exactly as loaded (file text, or text extracted from html/pdf/docx)
    clean: str
    offsets: list[int]  # offsets[i] = index into ``source`` of clean[i]
    paragraphs: list[Paragraph]
    sha256: str
    title: str = ""
    district: str = ""
    date: str = ""
    origin: str = ""  # the short source line (publisher, authors)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of ``clean`` to the matching span of ``source``."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.source)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1

    def meta(self) -> dict:
        return {"doc_id": self.doc_id, "path": self.path, "title": self.title,
                "district": self.district, "date": self.date, "origin": self.origin,
                "sha256": self.sha256}


@dataclass
class Skipped:
    path: str
    reason: str


# ---------------------------------------------------------------- decoding


# ---------------------------------------------------------------- loaders


# ---------------------------------------------------------------- cleaning


# ---------------------------------------------------------------- metadata


def load_metadata(corpus_dir: Path) -> dict[str, dict]:
    """Per-file metadata from ``corpus/articles.toml`` (a table per file name)."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        log.warning("%s is not valid TOML (%s); metadata ignored", path, exc)
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def guess_district(text: str) -> str:
    """No guess: an article's places are derived at index time (rag.index.knowledge); metadata may name one."""
    return ""


def guess_title(doc: Document) -> str:
    for para in doc.paragraphs:
        if para.kind == "heading":
            return para.text(doc)[:80]
    for para in doc.paragraphs:
        text = para.text(doc)
        if 4 <= len(text) <= 60:
            return text
    return Path(doc.path).stem


def guess_date(text: str) -> str:
    """The year the text mentions most (plans for later years are mentioned less)."""
    years = Counter(y for y in _YEAR_RE.findall(text) if 1990 <= int(y) <= 2100)
    if not years:
        return ""
    return max(years, key=lambda y: (years[y], y))


def doc_id_for(rel_path: str) -> str:
    stem = rel_path.rsplit(".", 1)[0]
    return re.sub(r"[^\w\-.]+", "_", stem.replace("/", "__"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_document(source: str, rel_path: str, meta: dict | None = None) -> Document:
    clean, offsets, paragraphs = clean_text(source)
    doc = Document(doc_id=doc_id_for(rel_path), path=rel_path, source=source, clean=clean,
                   offsets=offsets, paragraphs=paragraphs, sha256=sha256_text(source))
    meta = meta or {}
    doc.title = str(meta.get("title") or guess_title(doc))
    doc.district = str(meta.get("district") or guess_district(clean))
    doc.date = str(meta.get("date") or guess_date(clean))
    doc.origin = str(meta.get("source") or "")
    return doc


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every regular file below ``corpus_dir`` except the metadata file and hidden files."""
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if rel.as_posix() == METADATA_FILE:
            continue
        files.append(path)
    return files


def load_document(path: Path, corpus_dir: Path, meta: dict | None = None) -> Document:
    rel = path.relative_to(corpus_dir).as_posix()
    doc = make_document(read_source(path), rel, meta)
    if not doc.paragraphs:  # e.g. only markdown markers: an article with no chunks is no article
        raise DocumentError(f"{path.name}: no text could be extracted.")
    return doc


def load_corpus(corpus_dir: str | Path, reuse: Callable[[Path, str], Any] | None = None
                ) -> tuple[list, list[Skipped]]:
    """Load every readable document; unreadable ones are reported, never fatal.

    ``reuse(path, rel)`` may return a stand-in for an unchanged file so that it
    is not read again (see :mod:`rag.ingest.scan`); None means "load it".
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise DocumentError(f"Corpus folder not found: {corpus_dir}",
                            "Create it and put .txt/.md/.html/.pdf/.docx articles in it.")
    metadata = load_metadata(corpus_dir)
    docs: list = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for path in corpus_files(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(rel, f"unsupported file type '{path.suffix or '(none)'}'"))
            continue
        doc = reuse(path, rel) if reuse else None
        if doc is None:
            try:
                doc = load_document(path, corpus_dir, metadata.get(rel) or metadata.get(path.name))
            except DocumentError as exc:
                skipped.append(Skipped(rel, exc.message.split(": ", 1)[-1]))
                continue
            except OSError as exc:
                skipped.append(Skipped(rel, f"cannot read file ({exc.strerror})"))
                continue
        if doc.doc_id in seen:
            skipped.append(Skipped(rel, f"same document id as {seen[doc.doc_id]}"))
            continue
        seen[doc.doc_id] = rel
        docs.append(doc)
    return docs, skipped
