"""What the chat page says about its corpus: title, one-line description and example questions.

They come from ``corpus/articles.toml`` when it has a ``[chat]`` table::

    [chat]
    title = "…"
    description = "…"
    examples = ["…", "…"]

and otherwise from the index's derived knowledge (rag.index.knowledge): the places the articles are most
about (each article's first place; ties go to the place of the most recent article), the names (of kinds
``name``/``org``) that two or more articles share as topics, and the places' pinyin for an English example.
Nothing is typed in for a particular corpus; with no index yet the page says what the app does in general.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import tomllib

from rag.ingest.documents import METADATA_FILE

log = logging.getLogger(__name__)

PRODUCT = "陆港问答 · Lugang RAG"
GENERIC = "基于新闻的可溯源问答。Answers with citations from news articles."
MAX_EXAMPLES = 4


@dataclass
class Intro:
    title: str = PRODUCT
    description: str = GENERIC
    examples: list[str] = field(default_factory=list)

    def markdown(self, md_text) -> str:
        """The page header (``md_text`` escapes the corpus' words for Markdown)."""
        return f"## {md_text(self.title)}\n{md_text(self.description)}"


def chat_table(corpus_dir) -> dict:
    """The ``[chat]`` table of the corpus' articles.toml ({} when absent or unreadable)."""
    path = corpus_dir / METADATA_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("%s cannot be read for the chat title (%s)", path, exc)
        return {}
    table = data.get("chat")
    return table if isinstance(table, dict) else {}


def top_places(index) -> list[str]:
    """Places the articles are most about: counts of each article's first place, recent articles first on ties."""
    counts: Counter[str] = Counter()
    latest: dict[str, str] = {}
    for facts in index.knowledge.docs.values():
        for place in facts.places[:1]:
            counts[place] += 1
            latest[place] = max(latest.get(place, ""), facts.date)
    return sorted(counts, key=lambda p: (-counts[p], _neg(latest[p]), p))


def _neg(date: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in date)


def topics(index, min_articles: int = 2) -> list[str]:
    """Names (not places or people) that ``min_articles`` or more articles share, the most shared first."""
    counts: Counter[str] = Counter()
    for facts in index.knowledge.docs.values():
        counts.update(n for n, kind in facts.names.items() if kind in ("name", "org") and len(n) >= 3)
    return [n for n, c in sorted(counts.items(), key=lambda x: (-x[1], -len(x[0]), x[0])) if c >= min_articles]


def english_name(index, place: str) -> str:
    """The place's pinyin from the knowledge (Huoerguosi), or the place itself."""
    for key, words in index.knowledge.pinyin.items():
        if place in words and key.isascii():
            return key.capitalize()
    return ""


def derived_examples(index, n: int = MAX_EXAMPLES) -> list[str]:
    """Example questions from the knowledge: a shared topic's size, the top places' highlights and figures,
    and one English question about a top place (templates the answer model answers, not corpus facts)."""
    places, shared = top_places(index), topics(index)
    out: list[str] = []
    if shared:
        out.append(f"{shared[0]}的规模有多大？")
    if places:
        out.append(f"{places[0]}的发展有哪些亮点？")
    if len(places) > 1:
        out.append(f"{places[1]}有哪些主要经济数据？")
    for place in places[2:] + places[:2]:
        name = english_name(index, place)
        if name:
            out.append(f"What are the highlights of {name}'s development?")
            break
    return out[:n]


def corpus_intro(kb) -> Intro:
    """The page's title, description and examples for ``kb`` (articles.toml's ``[chat]`` first)."""
    table = chat_table(kb.corpus_dir)
    intro = Intro()
    try:
        index = kb.engine.index
    except Exception:  # noqa: BLE001 - no index yet: the general intro
        index = None
    if index is not None:
        places = top_places(index)[:3]
        count = len(index.docs)
        if places:
            intro.title = f"{'、'.join(places)}新闻问答 · {PRODUCT}"
        about = f"（{'、'.join(top_places(index)[:4])}等）" if places else ""
        intro.description = f"基于 {count} 篇新闻{about}的可溯源问答。Answers with citations from {count} news articles."
        intro.examples = derived_examples(index)
    if isinstance(table.get("title"), str) and table["title"].strip():
        intro.title = table["title"].strip()
    if isinstance(table.get("description"), str) and table["description"].strip():
        intro.description = table["description"].strip()
    examples = table.get("examples")
    if isinstance(examples, list) and any(isinstance(e, str) and e.strip() for e in examples):
        intro.examples = [e.strip() for e in examples if isinstance(e, str) and e.strip()][:8]
    return intro
