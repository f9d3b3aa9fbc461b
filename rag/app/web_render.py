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
_CITE_MARKER = re.compile(r"\[(\d+)\]")


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


def phrase_markdown(answer: dict, turn: int) -> str:
    """The answer phrase in bold, as one piece, with its citation marker; "" when there is none.

    ``short_answer.text`` is the exact span of the source (10-15万辆 stays one phrase); for an English
    question its exact English rendering ``short_answer.en`` comes first, the source span after it.
    """
    short = answer.get("short_answer")
    if not answer.get("answerable") or not isinstance(short, dict) or not short.get("text"):
        return ""
    text, en = str(short["text"]), short.get("en")
    shown = f"{en} ({text})" if en and en != text else text
    n = short.get("citation", 1)
    cited = {c["n"] for c in answer.get("citations", [])}
    ref = f" [\\[{n}\\]](#cite-{cite_ref(turn, n)})" if n in cited else ""
    return f"**{md_text(shown)}**{ref}"


def answer_markdown(answer: dict, turn: int) -> str:
    """The assistant message: the answer phrase first in bold, then the quoted sentences with clickable [n].

    Bold marks the answer phrase only: the emphasis the answer text carries (``**figures**``) is dropped,
    so no other figure is bold and no figure is split in two bold pieces. Everything else is escaped.
    """
    cited = {c["n"] for c in answer.get("citations", [])}
    text = answer.get("answer", "").replace("**", "")
    out: list[str] = []
    last = 0
    for m in _CITE_MARKER.finditer(text):
        out.append(md_text(text[last:m.start()]))
        n = int(m.group(1))
        out.append(f"[\\[{n}\\]](#cite-{cite_ref(turn, n)})" if n in cited else md_text(m.group(0)))
        last = m.end()
    out.append(md_text(text[last:]))
    body = "".join(out)
    phrase = phrase_markdown(answer, turn)
    if phrase:
        body = f"{phrase}\n\n{body}"
    parts = []
    if answer.get("notice"):
        parts.append(f"*{md_text(answer['notice'])}*")
    if not answer.get("answerable", False):
        label = "⚠️ 未找到答案 · No answer in the articles"  # not bold: bold is the answer phrase's
        body = f"{md_text(label)}\n\n{body}"
        if answer.get("refusal_reason"):
            body += "\n\n" + md_text(f"原因 Reason: {answer['refusal_reason']}")
        if answer.get("related"):
            body += "\n\n" + md_text("相关段落见“来源”。Related passages are listed under Sources.")
    parts.append(body)
    return "\n\n".join(parts)


def error_markdown(message: str) -> str:
    return f"{md_text('⚠️ 出错了 · Error')}\n\n{md_text(message)}"


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
    """Place, date and rank of the passage; never a raw retrieval score (its scale means nothing to a reader)."""
    bits = [b for b in (c.get("district", ""), c.get("date", "")) if b]
    return " · ".join(esc(b) for b in [*bits, f"排名 rank {int(c.get('n', 0))}"])


def confidence_label(confidence: object) -> str:
    """The answer model's calibrated probability that the articles answer the question, in words and %."""
    try:
        p = min(1.0, max(0.0, float(confidence)))
    except (TypeError, ValueError):
        return ""
    word = "高 high" if p >= 0.8 else "中 medium" if p >= 0.5 else "低 low"
    return f"可信度 Confidence: {word} ({p:.0%})"


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
        confidence = confidence_label(answer.get("confidence")) if answer.get("answerable") else ""
        head = f"来源 Sources ({len(cards)})" + (f" · {confidence}" if confidence else "")
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
