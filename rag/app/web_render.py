"""HTML and Markdown for the web chat: answers, the sources panel, the article viewer.

Everything that comes from an article or a user goes through :func:`esc` (HTML)
or :func:`md_text` (Markdown) before it reaches the page, so an article holding
``<script>`` or ``<img onerror=…>`` shows those characters and runs nothing.
Cited spans are found by slicing the article source with the citation's
``start``/``end`` offsets, never by searching for the text.
"""
from __future__ import annotations

import html
import re

SOURCES_EMPTY = ('<div class="lg-sources lg-empty">来源会显示在这里。<br>'
                 'Sources of each answer appear here.</div>')
VIEWER_EMPTY = ('<div class="lg-article lg-empty">点击回答中的引用标记或右侧来源，查看原文。<br>'
                'Click a citation marker or a source to read the article.</div>')

# ASCII punctuation that Markdown may act on; a backslash makes each one literal.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")
_ANSWER_TOKENS = re.compile(r"\*\*(.+?)\*\*|\[(\d+)\]", re.S)


def esc(text: object) -> str:
    """Text -> HTML text (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def md_text(text: str) -> str:
    """Text -> Markdown that renders as exactly that text (no HTML, no formatting)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def cite_ref(turn: int, n: int, kind: str = "c") -> str:
    """The id a click sends back: turn index, citation number, 'c'ited or 'r'elated."""
    return f"{turn}-{n}-{kind}"


def parse_ref(ref: object) -> tuple[int, int, str] | None:
    match = re.fullmatch(r"(\d{1,6})-(\d{1,4})(?:-([cr]))?", str(ref or ""))
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3) or "c"


# --------------------------------------------------------------------------- chat messages


def answer_markdown(answer: dict, turn: int) -> str:
    """The assistant message: escaped answer text, **bold** kept, [n] turned into clickable markers."""
    cited = {c["n"] for c in answer.get("citations", [])}
    text = answer.get("answer", "")
    out: list[str] = []
    last = 0
    for m in _ANSWER_TOKENS.finditer(text):
        out.append(md_text(text[last:m.start()]))
        if m.group(1) is not None:
            out.append(f"**{md_text(m.group(1))}**")
        elif int(m.group(2)) in cited:
            n = int(m.group(2))
            out.append(f"[\\[{n}\\]](#cite-{cite_ref(turn, n)})")
        else:
            out.append(md_text(m.group(0)))
        last = m.end()
    out.append(md_text(text[last:]))
    body = "".join(out)
    short = answer.get("short_answer")
    if answer.get("answerable") and short and short.get("text"):
        n = short.get("citation", 1)
        ref = f" [\\[{n}\\]](#cite-{cite_ref(turn, n)})" if n in cited else ""
        english = f" — {md_text(short['en'])}" if short.get("en") and short["en"] != short["text"] else ""
        body = f"**{md_text(short['text'])}**{english}{ref}\n\n{body}"
    parts = []
    if answer.get("notice"):
        parts.append(f"*{md_text(answer['notice'])}*")
    if not answer.get("answerable", False):
        label = "未找到答案 · No answer in the articles"
        body = f"**{md_text(label)}**\n\n{body}"
        if answer.get("refusal_reason"):
            body += "\n\n" + md_text(f"原因 Reason: {answer['refusal_reason']}")
        if answer.get("related"):
            body += "\n\n" + md_text("相关段落见“来源”。Related passages are listed under Sources.")
    parts.append(body)
    return "\n\n".join(parts)


def error_markdown(message: str) -> str:
    return f"**{md_text('出错了 · Error')}**\n\n{md_text(message)}"


# --------------------------------------------------------------------------- sources panel


_BLANK_LINES = re.compile(r"\n[ \t\u3000]*(?:\n[ \t\u3000]*)+")


def _highlight(source: str, lo: int, hi: int, start: int, end: int, compact: bool = False) -> str:
    """Escaped ``source[lo:hi]`` with ``[start:end)`` wrapped in <mark>; ``compact`` folds blank lines."""
    def part(a: int, b: int) -> str:
        text = source[a:b]
        return esc(_BLANK_LINES.sub("\n", text) if compact else text)

    start, end = max(lo, min(start, hi)), max(lo, min(end, hi))
    if end <= start:
        return part(lo, hi)
    return part(lo, start) + '<mark class="lg-hl">' + part(start, end) + "</mark>" + part(end, hi)


def _meta_line(c: dict) -> str:
    bits = [b for b in (c.get("district", ""), c.get("date", "")) if b]
    bits.append(f"相关度 relevance {float(c.get('score', 0.0)):.3f}")
    return " · ".join(esc(b) for b in bits)


def _card(c: dict, turn: int, kind: str, sources: dict[str, str]) -> str:
    ref = cite_ref(turn, int(c["n"]), kind)
    source = sources.get(c["doc_id"])
    if source is not None and 0 <= c["start"] <= c["end"] <= len(source):
        lo = max(0, min(c.get("passage_start", c["start"]), c["start"]))
        hi = min(len(source), max(c.get("passage_end", c["end"]), c["end"]))
        passage = _highlight(source, lo, hi, c["start"], c["end"] if kind == "c" else c["start"], compact=True)
    else:
        passage = esc(c.get("passage") or c.get("text", ""))
    label = f"[{c['n']}]" if kind == "c" else f"#{c['n']}"
    return (f'<div class="lg-card" data-cite="{esc(ref)}" role="button" tabindex="0" '
            f'title="查看原文 · open the article">'
            f'<div class="lg-card-head"><span class="lg-n">{esc(label)}</span> '
            f'<span class="lg-title">{esc(c.get("title") or c["doc_id"])}</span></div>'
            f'<div class="lg-meta">{_meta_line(c)}</div>'
            f'<div class="lg-passage">{passage}</div></div>')


def sources_html(answer: dict | None, turn: int, sources: dict[str, str]) -> str:
    """Every cited passage (or, for a refusal, the related ones) with the supporting span marked."""
    if not answer:
        return SOURCES_EMPTY
    cards = [_card(c, turn, "c", sources) for c in answer.get("citations", [])]
    if cards:
        head = f"来源 Sources ({len(cards)})"
    else:
        cards = [_card(c, turn, "r", sources) for c in answer.get("related", [])]
        if not cards:
            return ('<div class="lg-sources lg-empty">没有找到相关段落。<br>'
                    'No related passages were found.</div>')
        head = "相关段落（不构成答案）· Related passages, not an answer"
    return f'<div class="lg-sources"><div class="lg-head">{esc(head)}</div>{"".join(cards)}</div>'


# --------------------------------------------------------------------------- article viewer


def article_html(citation: dict, source: str | None, kind: str = "c") -> str:
    """The whole article, escaped, with the cited span marked (the viewer scrolls to it)."""
    title = citation.get("title") or citation.get("doc_id", "")
    meta = " · ".join(esc(b) for b in (citation.get("district", ""), citation.get("date", ""),
                                        citation.get("doc_id", "")) if b)
    if source is None:
        body = esc(citation.get("passage") or citation.get("text", ""))
        note = '<div class="lg-note">原文已不在知识库中，仅显示引用段落。The article is no longer in the knowledge base.</div>'
    else:
        start, end = citation["start"], citation["end"]
        body = _highlight(source, 0, len(source), start, end)
        note = ""
    label = f"[{citation.get('n')}] " if kind == "c" else ""
    return (f'<div class="lg-article"><div class="lg-article-head"><b>{esc(label)}{esc(title)}</b>'
            f'<div class="lg-meta">{meta}</div></div>{note}'
            f'<div class="lg-article-body">{body}</div></div>')


# --------------------------------------------------------------------------- knowledge base


def document_rows(docs: list[dict]) -> list[list]:
    """Rows for the knowledge-base table (plain strings; the table shows them as text)."""
    rows = []
    for d in sorted(docs, key=lambda d: d.get("path", "")):
        rows.append([d.get("title", ""), d.get("district", ""), d.get("date", ""), int(d.get("chunks", 0)),
                     str(d.get("indexed_at", "")).replace("T", " ")[:19], d.get("path", ""),
                     d.get("doc_id", "")])
    return rows


DOC_HEADERS = ["标题 Title", "区县 District", "日期 Date", "段落 Chunks", "索引时间 Indexed", "文件 File", "ID"]
