"""Loaders: turn a file of any supported kind into its source text.

:func:`read_source` reads ``.txt``/``.md`` (UTF-8 or GB18030), ``.html``/``.htm``, ``.pdf`` and
``.docx``; a file that cannot be read raises :class:`DocumentError` with a hint. The source text is
what every later character offset refers to.
"""
from __future__ import annotations

import re
from pathlib import Path

from rag.errors import DocumentError, MissingDependencyError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")

MAX_FILE_BYTES = 50 * 1024 * 1024

_CJK_PUNCT = set("“”‘’—…·")  # Chinese text is full of these; GB18030 junk rarely decodes to them


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
