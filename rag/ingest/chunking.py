"""Chinese-aware chunking: sentences packed to a target size, spans kept.

A chunk never cuts inside a sentence unless that sentence alone is longer than
``max_chars``. Every chunk and every sentence keeps its ``[start, end)`` span in
the document's source text, so citations can point at exact characters.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from rag.config import ChunkerConfig
from rag.ingest.documents import Document

# Sentence ends: Chinese and Western terminal marks (with any closing quotes), and ellipses.
_SENT_END = re.compile(r"(?:[。！？!?；;]|…+|\.{3,}|\.(?=\s))[”’」』)）\]】》\"']*")
_SOFT_BREAK = re.compile(r"[，,、：:]")


@dataclass
class Sentence:
    start: int  # span in the document source
    end: int
    cstart: int  # span in Chunk.clean
    cend: int


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    start: int  # span in the document source
    end: int
    text: str  # source[start:end], exactly as in the file
    clean: str  # cleaned text (what is shown and tokenised)
    heading: str
    embed_text: str  # what the embedding model sees
    sentences: list[Sentence] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["sentences"] = [[s.start, s.end, s.cstart, s.cend] for s in self.sentences]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Chunk":
        data = dict(data)
        data["sentences"] = [Sentence(*s) for s in data.get("sentences", [])]
        return cls(**data)

    def sentence_texts(self) -> list[str]:
        return [self.clean[s.cstart : s.cend] for s in self.sentences]


def split_sentences(text: str, max_chars: int = 360) -> list[tuple[int, int]]:
    """Sentence spans of ``text``; over-long sentences are cut at commas, then hard."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENT_END.finditer(text):
        if match.end() > pos:
            spans.append((pos, match.end()))
            pos = match.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    out: list[tuple[int, int]] = []
    for start, end in spans:
        # leading whitespace belongs to no sentence
        while start < end and text[start].isspace():
            start += 1
        if start < end:
            out.extend(_cut_long(text, start, end, max_chars))
    return out


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    if end - start <= max_chars:
        return [(start, end)]
    pieces = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        breaks = [m.end() for m in _SOFT_BREAK.finditer(window) if m.end() > max_chars // 3]
        cut = start + (breaks[-1] if breaks else max_chars)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def chunk_document(doc: Document, config: ChunkerConfig | None = None) -> list[Chunk]:
    """Split one document into chunks. Deterministic, so ids are stable across rebuilds."""
    config = config or ChunkerConfig()
    units: list[tuple[int, int, str, bool]] = []  # clean span, heading, starts a section
    heading = ""
    for para in doc.paragraphs:
        if para.kind == "heading":
            heading = para.text(doc)
            units.append((para.start, para.end, heading, True))
            continue
        for s, e in split_sentences(para.text(doc), config.max_chars):
            units.append((para.start + s, para.start + e, heading, False))

    groups: list[list[tuple[int, int, str, bool]]] = []
    current: list[tuple[int, int, str, bool]] = []
    size = 0
    for unit in units:
        length = unit[1] - unit[0]
        new_section = unit[3] and current and not all(u[3] for u in current)
        if current and (new_section or size + length > config.target_chars):
            groups.append(current)
            keep = [u for u in current[-config.overlap_sentences :] if not u[3]] if (
                config.overlap_sentences and not new_section) else []
            current, size = list(keep), sum(u[1] - u[0] for u in keep)
        current.append(unit)
        size += length
    if current:
        groups.append(current)

    chunks = []
    for ordinal, group in enumerate(groups):
        chunks.append(_make_chunk(doc, ordinal, group, config))
    return chunks


def _make_chunk(doc: Document, ordinal: int, group, config: ChunkerConfig) -> Chunk:
    cstart, cend = group[0][0], group[-1][1]
    start, end = doc.source_span(cstart, cend)
    clean = doc.clean[cstart:cend]
    heading = next((u[2] for u in group if not u[3]), group[0][2])
    sentences = []
    for s, e, _, _ in group:
        src = doc.source_span(s, e)
        sentences.append(Sentence(src[0], src[1], s - cstart, e - cstart))
    # context the chunk does not already start with (a heading often repeats the title)
    context = [doc.title] if config.context and doc.title and not clean.startswith(doc.title) else []
    if config.context and heading and heading != doc.title and heading not in clean[: len(heading) + 2]:
        context.append(heading)
    embed_text = "\n".join(context + [clean])
    return Chunk(chunk_id=f"{doc.doc_id}#{ordinal:04d}", doc_id=doc.doc_id, ordinal=ordinal,
                 start=start, end=end, text=doc.source[start:end], clean=clean, heading=heading,
                 embed_text=embed_text, sentences=sentences)


def chunk_documents(docs: list[Document], config: ChunkerConfig | None = None) -> list[Chunk]:
    return [chunk for doc in docs for chunk in chunk_document(doc, config)]
