"""Cleaning: source text → cleaned text with an offset map and its paragraphs.

Cleaning never edits files. :func:`clean_text` rejoins lines broken by extraction, drops page
furniture lines, and returns for every cleaned character its offset in the source, so any span
found later maps back to the exact characters of the article.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

# A line ending in one of these is a finished sentence or clause; a long line
# ending in anything else before a single blank line was broken by extraction.
_TERMINAL = set("。！？!?；;：:…")

_CLOSERS = set("”’」』)）】]》")

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")

_LIST_RE = re.compile(r"^([-*•]|\d{1,2}[.、)])\s*")

_CAPTION_HINT = re.compile(r"供图[)）]?$|^图为|图片由|图片来源")

_MID_SENTENCE = re.compile(r"[，,；;。]")


class _Cleaned(Protocol):
    clean: str


@dataclass
class Paragraph:
    kind: str  # "heading" | "list" | "caption" | "text"
    start: int  # offsets into Document.clean
    end: int

    def text(self, doc: _Cleaned) -> str:
        return doc.clean[self.start : self.end]


@dataclass
class _Line:
    text: str
    pos: list[int]
    blank_before: int = 0


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
