"""Documents: loading files from ``corpus/``, their metadata, and cleaning.

Cleaning never edits files. It produces a cleaned text plus, for every cleaned
character, its offset in the source text, so any span found later can be mapped
back to the exact characters of the article (``Document.source_span``).
"""
from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import DocumentError, MissingDependencyError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
METADATA_FILE = "articles.toml"
MAX_FILE_BYTES = 50 * 1024 * 1024

# A line ending in one of these is a finished sentence or clause; a long line
# ending in anything else before a single blank line was broken by extraction.
_TERMINAL = set("。！？!?；;：:…")
_CLOSERS = set("”’」』)）】]》")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_LIST_RE = re.compile(r"^([-*•]|\d{1,2}[.、)])\s*")
_CAPTION_HINT = re.compile(r"供图[)）]?$|^图为|图片由|图片来源")
_YEAR_RE = re.compile(r"(20\d\d|19\d\d)年")
_MID_SENTENCE = re.compile(r"[，,；;。]")
_CJK_PUNCT = set("“”‘’—…·")  # Chinese text is full of these; GB18030 junk rarely decodes to them


@dataclass
class Paragraph:
    kind: str  # "heading" | "list" | "caption" | "text"
    start: int  # offsets into Document.clean
    end: int

    def text(self, doc: "Document") -> str:
        return doc.clean[self.start : self.end]


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


@dataclass
class _Line:
    text: str
    pos: list[int]
    blank_before: int = 0


# ---------------------------------------------------------------- decoding


def decode_bytes(data: bytes, name: str) -> str:
    """Decode text that should be UTF-8; GB18030 (common for Chinese files) is accepted too."""
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{name}: looks like a binary file, not text.")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030" and not _plausible_chinese(text):
            break
        return text
    raise DocumentError(f"{name}: cannot decode the text (not UTF-8 or GB18030).",
                        "Save the file as UTF-8 and add it again.")


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; accept it only if the result reads like text."""
    if not text:
        return True
    sample = text[:5000]
    good = sum(1 for c in sample if c.isprintable() or c in "\n\r\t")
    common = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff" or c.isascii() or c in _CJK_PUNCT
                 or "\u3000" <= c <= "\u303f" or "\uff01" <= c <= "\uff5e")
    return good / len(sample) > 0.98 and common / len(sample) > 0.8


# ---------------------------------------------------------------- loaders


def _load_plain(path: Path) -> str:
    return decode_bytes(path.read_bytes(), path.name)


def _load_html(path: Path) -> str:
    try:
        import trafilatura
    except ImportError as exc:
        raise MissingDependencyError("trafilatura", purpose="reading .html files") from exc
    html = decode_bytes(path.read_bytes(), path.name)
    text = trafilatura.extract(html, output_format="markdown", include_comments=False,
                               include_tables=True, favor_recall=True)
    return text or ""


def _load_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise MissingDependencyError("pypdf", purpose="reading .pdf files") from exc
    try:
        reader = PdfReader(str(path))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except Exception as exc:  # pypdf raises many types for broken files
        raise DocumentError(f"{path.name}: cannot read this PDF ({exc.__class__.__name__}: {exc}).") from exc


def _load_docx(path: Path) -> str:
    try:
        import docx
    except ImportError as exc:
        raise MissingDependencyError("python-docx", purpose="reading .docx files") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise DocumentError(f"{path.name}: cannot read this Word file ({exc.__class__.__name__}).") from exc
    lines = []
    for para in document.paragraphs:
        style = (para.style.name or "") if para.style is not None else ""
        level = re.match(r"Heading (\d)", style)
        if level:
            lines.append("#" * int(level.group(1)) + " " + para.text)
        elif style == "Title":
            lines.append("# " + para.text)
        else:
            lines.append(para.text)
    return "\n\n".join(lines)


LOADERS = {".txt": _load_plain, ".md": _load_plain, ".html": _load_html, ".htm": _load_html,
           ".pdf": _load_pdf, ".docx": _load_docx}


def read_source(path: Path) -> str:
    """The text of a file, as the index will quote it. Raises DocumentError."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentError(f"{path.name}: unsupported file type '{path.suffix}'.",
                            f"Supported: {', '.join(SUPPORTED_SUFFIXES)}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentError(f"{path.name}: file is too large ({size // 1_000_000} MB).")
    text = loader(path)
    if not text.strip():
        raise DocumentError(f"{path.name}: no text could be extracted.")
    return text


# ---------------------------------------------------------------- cleaning


def _split_lines(source: str) -> list[_Line]:
    """Lines with per-character source offsets; strips edges, ``**`` and a BOM; drops blanks."""
    lines: list[_Line] = []
    blank = 0
    pos = 0
    for raw in source.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        chars = [(c, pos + i) for i, c in enumerate(body)]
        pos += len(raw)
        # markdown bold markers and a BOM carry no content
        kept: list[tuple[str, int]] = []
        i = 0
        while i < len(chars):
            if chars[i][0] == "*" and i + 1 < len(chars) and chars[i + 1][0] == "*":
                i += 2
                continue
            if chars[i][0] != "\ufeff":
                kept.append(chars[i])
            i += 1
        while kept and kept[0][0].isspace():
            kept.pop(0)
        while kept and kept[-1][0].isspace():
            kept.pop()
        if not kept:
            blank += 1
            continue
        lines.append(_Line("".join(c for c, _ in kept), [p for _, p in kept], blank))
        blank = 0
    return lines


def _is_terminal(text: str) -> bool:
    stripped = text.rstrip("".join(_CLOSERS))
    if not stripped:
        return True
    return stripped[-1] in _TERMINAL or (text[-1] in _CLOSERS and stripped[-1] in _TERMINAL)


def _short_unpunctuated(line: _Line) -> bool:
    return (len(line.text) <= 30 and not _HEADING_RE.match(line.text) and not _MID_SENTENCE.search(line.text)
            and not _is_terminal(line.text) and line.text[-1] not in "，,、" and not _LIST_RE.match(line.text))


def _merge_broken(lines: list[_Line]) -> list[_Line]:
    """Rejoin paragraphs that extraction broke mid-word, drop repeated captions."""
    out: list[_Line] = []
    for line in lines:
        if out and line.text == out[-1].text:
            continue  # the same caption repeated: keep the first
        prev = out[-1] if out else None
        if (prev is not None and line.blank_before == 1
                and (len(prev.text) >= 40 or _MID_SENTENCE.search(prev.text))
                and not _is_terminal(prev.text) and not _HEADING_RE.match(line.text)
                and not _LIST_RE.match(line.text) and not _HEADING_RE.match(prev.text)):
            prev.text += line.text
            prev.pos += line.pos
            continue
        out.append(_Line(line.text, list(line.pos), line.blank_before))
    return out


def _classify(lines: list[_Line]) -> list[str]:
    kinds = []
    for i, line in enumerate(lines):
        if _HEADING_RE.match(line.text):
            kinds.append("heading")
        elif _LIST_RE.match(line.text):
            kinds.append("list")
        elif _CAPTION_HINT.search(line.text):
            kinds.append("caption")
        elif _short_unpunctuated(line):
            prev_short = i > 0 and _short_unpunctuated(lines[i - 1])
            next_short = i + 1 < len(lines) and _short_unpunctuated(lines[i + 1])
            kinds.append("caption" if (prev_short or next_short or i + 1 == len(lines)) else "heading")
        else:
            kinds.append("text")
    return kinds


def clean_text(source: str) -> tuple[str, list[int], list[Paragraph]]:
    """Clean ``source``; return (clean text, offsets into source, paragraphs)."""
    lines = _merge_broken(_split_lines(source))
    kinds = _classify(lines)
    parts: list[str] = []
    offsets: list[int] = []
    paragraphs: list[Paragraph] = []
    for line, kind in zip(lines, kinds):
        text, pos = line.text, line.pos
        if kind == "heading":
            match = _HEADING_RE.match(text)
            if match:
                cut = len(text) - len(match.group(2))
                text, pos = text[cut:], pos[cut:]
        if parts:
            parts.append("\n")
            offsets.append(offsets[-1] + 1)  # the newline stands for the source line break
        start = len(offsets)
        parts.append(text)
        offsets.extend(pos)
        paragraphs.append(Paragraph(kind, start, start + len(text)))
    return "".join(parts), offsets, paragraphs


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
