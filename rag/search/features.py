"""Sentence candidates and their features: what the learned scorer (rag.search.scoring) reads.

Every sentence of the retrieved passages (and of the passages just before and after the best
ones) becomes a :class:`Candidate`. Its features are general: similarity (dense, BM25, fused),
how much of the question it covers (in the sentence, its neighbourhood, its article), whether
the question's places, years, months, periods, entities, measure and unit are met *by this
sentence* or only by its article, whether it holds the kind of answer asked for, and whether it
looks like page furniture (a caption, a byline, a line repeated across articles).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from rag.index.lexicon import made_of_words
from rag.ingest.credits import is_credit_line
from rag.search.analysis import QuestionAnalysis, TermGroup
from rag.text.timeexpr import days_in, months_in, periods_in, relative_years, years_in
from rag.text.tokenize import normalize
from rag.text.units import HEDGE, figures, has_unit

if TYPE_CHECKING:
    from rag.index.knowledge import Knowledge
    from rag.search.hits import Hit

FEATURES = ("dense", "dense_gap", "fused_rel", "bm25_rel", "hit_rank", "cov_sent", "cov_ctx", "cov_doc", "cov_gap",
            "miss_corpus", "miss_retrieved", "miss_retrieved_max", "name_absent", "latin_absent", "miss_ctx_max", "miss_doc_max", "ent_sent",
            "ent_doc", "has_ent", "place_sent", "place_doc", "place_other", "has_place", "time_ok", "time_bad",
            "time_doc", "has_time", "type_ok", "unit_ok", "has_unit_q", "new_figure", "measure_sent", "furniture",
            "hedge", "length", "lang_en", "en_dense", "en_cov", "top_doc", "neighbour", "focus_sent", "focus_fig",
            "fig_ok", "q_number", "q_date", "q_name")
# The direction each feature can only push "this text answers the question" (+1 up, -1 down, 0 either way:
# ranks, gaps, lengths and the question's own kind, whose effect depends on the rest). A fitted model that
# respects these cannot answer an unrelated question because some other feature happens to be extreme.
_UP = ("dense cov_sent cov_ctx cov_doc ent_sent ent_doc place_sent place_doc time_ok time_doc type_ok unit_ok "
       "measure_sent en_dense en_cov focus_sent focus_fig fig_ok").split()
_DOWN = ("miss_corpus miss_retrieved miss_retrieved_max name_absent latin_absent miss_ctx_max miss_doc_max "
         "place_other time_bad furniture").split()
FEATURE_SIGNS = {f: 1 if f in _UP else -1 if f in _DOWN else 0 for f in FEATURES}

_SENT_END = re.compile(r"[。！？!?；;…”\"）)]$")
_REASON = re.compile(r"因为|由于|得益于|凭借|依托|源于|在于|因此|所以|从而|为了|主要系|主要是|导致|原因")
_LIST = re.compile(r"、|以及|及其|分别|包括|等(?:措施|方面|领域|国家|城市|企业)")
_DATE = re.compile(r"(?:19|20)\d\d年|\d{1,2}月(?:\d{1,2}[日号])?|\d{1,2}日|上旬|中旬|下旬|今年|去年|近日|日前")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DAY = re.compile(r"\d{1,2}月\d{1,2}[日号]|\d{1,2}[日号]")
_NEAR = 24  # characters between a focus word and the figure that answers it, at most
_ORG_SUFFIX = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,}(?:公司|集团|银行|协会|委员会|部|局|院|所|中心|组织|机构|平台|大学|厅|办|署|会)")


@dataclass
class Candidate:
    """A sentence of a retrieved (or neighbouring) passage, scored as an answer."""

    hit: Hit
    index: int  # sentence index in its chunk
    text: str
    start: int  # span in the article source
    end: int
    dense: float = 0.0
    x: np.ndarray | None = field(default=None, repr=False)
    p: float = 0.0  # probability that this sentence answers the question
    problems: list[str] = field(default_factory=list)  # constraints of the question it misses


@lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    """normalize(), once per distinct text: the same articles and sentences come back question after question."""
    return normalize(text)


def covered(group: TermGroup, text: str | frozenset[str]) -> bool:
    return any(w in text for w in group.words)


def coverage(groups: tuple[TermGroup, ...], text: str) -> float:
    total = sum(g.weight for g in groups)
    return sum(g.weight for g in groups if covered(g, text)) / total if total else 0.0


def share(groups: tuple[TermGroup, ...], text: str) -> float:
    return sum(covered(g, text) for g in groups) / len(groups) if groups else 1.0


def missing_weight(groups: tuple[TermGroup, ...], text: str, top: float) -> float:
    """The weight of the rarest question idea ``text`` does not express, even loosely, as a share of ``top``."""
    return max((g.weight for g in groups if not covered(g, text) and not any(w in text for w in g.near)),
               default=0.0) / top


def _time_match(a: QuestionAnalysis, text: str, doc_year: str) -> tuple[float, float]:
    """(ok, bad) for the time the question asks: years, months, parts of a year and days named in ``text``."""
    if not (a.years or a.months or a.periods or a.days):
        return 0.0, 0.0
    ok = bad = 0.0
    parts = 0
    if a.years:
        parts += 1
        found = years_in(text) | relative_years(text, doc_year)
        if found & a.years:
            ok += 1
        elif found:
            bad += 1
    if a.periods or a.months:
        parts += 1
        periods, months = periods_in(text), months_in(text)
        if (periods & a.periods) or (months & a.months) or any(
                p[0] == p[1] and p[0] in months for p in a.periods):
            ok += 1
        elif periods or months:
            bad += 1
    if a.days:
        parts += 1
        days = days_in(text)
        if days & a.days:
            ok += 1
        elif days:
            bad += 1
    return ok / parts, bad / parts


@dataclass
class _Retrieved:
    """What the candidate set as a whole says about the question: the same for every candidate."""
    vocab: tuple[str, ...]
    in_docs: dict[str, frozenset[str]]
    max_dense: float
    max_fused: float
    max_bm25: float
    top_weight: float
    shared: dict[str, float]  # features equal for every candidate
    unmentioned: list[str]


def _retrieved(a: QuestionAnalysis, cands: list[Candidate], doc_text) -> _Retrieved:
    hits = {id(c.hit): c.hit for c in cands}.values()
    unknown = set(a.unmapped)
    total = sum(g.weight for g in a.groups) or 1.0
    top_weight = max((g.weight for g in a.groups), default=1.0) or 1.0
    # every corpus word the question can be met by: each text is searched for them once, and coverage is
    # then read from the set of those present (covered() takes a text or such a set alike)
    vocab = tuple(dict.fromkeys(w for g in a.groups for w in g.words + g.near))
    in_docs = {d: frozenset(w for w in vocab if w in _norm(doc_text(d)))
               for d in dict.fromkeys(c.hit.chunk.doc_id for c in cands)}
    articles = frozenset().union(*in_docs.values())
    # what no retrieved article says at all, even loosely: 火星 in a question about container throughput
    absent = [g for g in a.groups if not covered(g, articles) and not any(w in articles for w in g.near)]
    named = [g.source for g in absent if g.weight >= 0.8 * top_weight]
    # a name the question gives (written in Chinese, or mapped to Chinese) that no retrieved article holds;
    # a Latin spelling looked for as written is weaker evidence (articles may translate it)
    # (common words run together, 龙头公司 or 冷藏柜, describe something rather than name it)
    names_absent = [g for g in a.entities + a.places if g.words and not any(w in articles for w in g.words)
                    and not made_of_words(g.words[0])]
    en = float(a.language == "en")
    shared = {"miss_corpus": sum(g.weight for g in a.groups if not g.words or g.source in unknown) / total,
              "miss_retrieved": sum(g.weight for g in absent) / total,
              "miss_retrieved_max": max((g.weight for g in absent), default=0.0) / top_weight,
              "name_absent": float(any(_CJK.search(g.words[0]) for g in names_absent)),
              "latin_absent": float(any(not _CJK.search(g.words[0]) for g in names_absent)),
              "has_ent": float(bool(a.entities)), "has_place": float(bool(a.places)),
              "has_time": float(bool(a.years or a.months or a.periods or a.days)),
              "has_unit_q": float(bool(a.unit)), "lang_en": en, "q_number": float(a.type == "number"),
              "q_date": float(a.type == "date"), "q_name": float(a.type in ("person", "org", "place"))}
    return _Retrieved(
        vocab=vocab, in_docs=in_docs, max_dense=max(c.dense for c in cands),
        max_fused=max((h.fused if h.fused is not None else h.score) for h in hits) or 1.0,
        max_bm25=max((h.bm25 or 0.0) for h in hits) or 1.0, top_weight=top_weight, shared=shared,
        unmentioned=[f"no retrieved article mentions {s}" for s in named
                     if not any(s != o and s in o for o in named)])


def candidate_features(a: QuestionAnalysis, cands: list[Candidate], knowledge: Knowledge, doc_text,
                       top_doc: str) -> None:
    """Fill ``x`` (in the order of :data:`FEATURES`) and ``problems`` of every candidate."""
    if not cands:
        return
    r = _retrieved(a, cands, doc_text)
    per_doc: dict[str, tuple] = {}
    rows = []
    for c in cands:
        doc_id = c.hit.chunk.doc_id
        if doc_id not in per_doc:
            per_doc[doc_id] = _article_values(a, _norm(doc_text(doc_id)), r.in_docs[doc_id], doc_id, c, knowledge,
                                              r.top_weight)
        rows.append(_sentence_features(a, c, r, per_doc[doc_id], knowledge, top_doc))
    best_cov = max(x["cov_sent"] for x in rows)
    for c, x in zip(cands, rows):
        x["cov_gap"] = x["cov_sent"] - best_cov
        c.x = np.asarray([x[name] for name in FEATURES], dtype=np.float64)


def _sentence_features(a: QuestionAnalysis, c: Candidate, r: _Retrieved, article: tuple, knowledge: Knowledge,
                       top_doc: str) -> dict[str, float]:
    """The features of one candidate sentence (``cov_gap`` is filled in once all are known); sets its problems."""
    doc_year, doc_places, ent_doc, place_doc, t_doc, cov_doc, miss_doc = article
    sent = _norm(c.text)
    before = _norm(_previous_sentence(c))
    in_sent = frozenset(w for w in r.vocab if w in sent)
    around = f"{before}{_norm(c.hit.doc.get('title', ''))}{_norm(c.hit.chunk.heading)}"
    in_ctx = in_sent | frozenset(w for w in r.vocab if w in around)
    cov_sent = coverage(a.groups, in_sent)
    place_sent = share(a.places, in_sent)
    other = 0.0
    if a.places and place_sent < 1.0:
        asked = {w for g in a.places for w in g.words}
        other = float(any(p in sent and not any(p in w or w in p for w in asked)
                          for p in doc_places + _sentence_places(sent, knowledge)))
    t_ok, t_bad = _time_match(a, sent, doc_year)
    nums = {f[2] for f in figures(sent)} - {y for y in years_in(sent)}
    unit_ok = float(bool(a.unit) and has_unit(c.text, a.unit))
    en = r.shared["lang_en"]
    fused = c.hit.fused if c.hit.fused is not None else c.hit.score
    c.problems = r.unmentioned + _problems(a, place_doc, other, t_ok, t_bad, unit_ok)
    return {**r.shared,
            "dense": c.dense, "dense_gap": c.dense - r.max_dense,
            "fused_rel": fused / r.max_fused if c.hit.rank > 0 else 0.0, "bm25_rel": (c.hit.bm25 or 0.0) / r.max_bm25,
            "hit_rank": 1.0 / c.hit.rank if c.hit.rank > 0 else 0.0, "cov_sent": cov_sent,
            "cov_ctx": coverage(a.groups, in_ctx), "cov_doc": cov_doc, "cov_gap": 0.0,
            "miss_ctx_max": missing_weight(a.groups, in_ctx, r.top_weight), "miss_doc_max": miss_doc,
            "ent_sent": share(a.entities, in_sent), "ent_doc": ent_doc, "place_sent": place_sent,
            "place_doc": place_doc, "place_other": other, "time_ok": t_ok, "time_bad": t_bad, "time_doc": t_doc,
            "type_ok": _type_ok(a, c.text, sent, knowledge), "unit_ok": unit_ok,
            "new_figure": float(bool(nums - a.numbers)),
            "measure_sent": float(any(m in sent for m in a.measure)) if a.measure else 0.5,
            "furniture": float(knowledge.is_boilerplate(c.text) or is_credit_line(c.text)
                               or (len(c.text.strip()) < 16 and not _SENT_END.search(c.text.strip()))),
            "hedge": float(bool(HEDGE.search(c.text))), "length": math.log1p(len(c.text)),
            "en_dense": c.dense * en, "en_cov": cov_sent * en, "top_doc": float(c.hit.chunk.doc_id == top_doc),
            "neighbour": float(c.hit.rank <= 0), **_focus(a, c.text, sent, nums, knowledge)}


def _article_values(a: QuestionAnalysis, article: str, in_doc: frozenset[str], doc_id: str, c: Candidate,
                    knowledge: Knowledge, top_weight: float) -> tuple:
    """What depends only on the article: its year and places, and how it meets the question (``in_doc``: the
    question's words the article holds)."""
    doc_year = (knowledge.date_of(doc_id) or str(c.hit.doc.get("date", "")))[:4]
    doc_places = knowledge.places_of(doc_id)
    t_doc = 0.0
    if a.years or a.months or a.periods or a.days:
        t_doc = _time_match(a, article[:400] + (knowledge.date_of(doc_id) and f" {doc_year}年 "), doc_year)[0]
    places = "".join(doc_places)
    in_places = in_doc | frozenset(w for g in a.places for w in g.words if w in places)
    return (doc_year, doc_places, share(a.entities, in_doc), share(a.places, in_places),
            t_doc, coverage(a.groups, in_doc), missing_weight(a.groups, in_doc, top_weight))


def _previous_sentence(c: Candidate) -> str:
    texts = c.hit.chunk.sentence_texts()
    return texts[c.index - 1] if c.index > 0 else ""


def _sentence_places(sent: str, knowledge: Knowledge) -> list[str]:
    return [w for w in _words(sent) if knowledge.kind(w) == "place"]


@lru_cache(maxsize=65536)
def _words(sent: str) -> tuple[str, ...]:
    from rag.text.tokenize import tokenize

    return tuple(tokenize(sent))


_NAME_TYPES = ("person", "org", "place")


def _answer_spans(a: QuestionAnalysis, text: str, asked: set[str], sent: str = "",
                  knowledge: Knowledge | None = None) -> list[tuple[int, int]]:
    """Where ``text`` holds the kind of answer asked: a figure that is not a date nor a figure of the question
    (number), a date (date), a name of the kind asked that the question does not give (person, organisation,
    place; needs ``knowledge`` and the normalised sentence ``sent``); nothing for other types."""
    dates = [(m.start(), m.end()) for m in _DATE.finditer(text)]
    if a.type == "date":
        return dates
    if a.type in _NAME_TYPES and knowledge is not None:
        given = {w for g in a.groups for w in g.words}
        names = {w for w in _words(sent) if knowledge.kind(w) == a.type and not any(w in g or g in w for g in given)}
        return [(m.start(), m.end()) for w in names for m in re.finditer(re.escape(w), text)]
    if a.type != "number":
        return []
    return [(s, e) for s, e, number, unit in figures(text)
            if number not in asked and not any(ds <= s < de for ds, de in dates)
            and not (unit == "年" and re.fullmatch(r"(?:19|20)\d\d", number))]


def _focus(a: QuestionAnalysis, text: str, sent: str, nums: set[str],
           knowledge: Knowledge | None = None) -> dict[str, float]:
    """Whether the sentence speaks of what the question asks about (its focus words), and holds an answer of
    the kind asked close to them (a figure for how-many questions, a date for when-questions, a name of the
    kind asked for who/which questions when ``knowledge`` is given)."""
    spans = _answer_spans(a, text, set(a.numbers) | set(a.years), sent, knowledge)
    typed = a.type in ("number", "date") or (a.type in _NAME_TYPES and knowledge is not None)
    fig_ok = float(bool(spans)) if typed else 0.5
    if not a.focus:
        return {"focus_sent": 0.5, "focus_fig": fig_ok, "fig_ok": fig_ok}
    found = [g for g in a.focus if covered(g, sent)]
    near = 0.5
    if typed:
        at = [m.start() for g in found for w in g.words for m in re.finditer(re.escape(w), text)]
        near = float(any(abs(p - s) <= _NEAR or abs(p - e) <= _NEAR for p in at for s, e in spans))
    return {"focus_sent": len(found) / len(a.focus), "focus_fig": near, "fig_ok": fig_ok}


def _type_ok(a: QuestionAnalysis, text: str, sent: str, knowledge: Knowledge) -> float:
    t = a.type
    if t == "number":
        return float(any(re.search(r"\d", f[2]) for f in figures(text)) or bool(re.search(r"[一二三四五六七八九十百千万两]+[个家项倍成]", text)))
    if t == "date":
        if a.wants_day:
            return float(bool(_DAY.search(text)))
        return float(bool(_DATE.search(text)))
    if t == "reason":
        return float(bool(_REASON.search(text)))
    if t == "list":
        return float(bool(_LIST.search(text)))
    kinds = {knowledge.kind(w) for w in _words(sent)}
    if t == "person":
        return float("person" in kinds)
    if t == "org":
        return float("org" in kinds or bool(_ORG_SUFFIX.search(text)))
    if t == "place":
        return float("place" in kinds)
    return 0.5


def _problems(a: QuestionAnalysis, place_doc: float, other: float, t_ok: float, t_bad: float,
              unit_ok: float) -> list[str]:
    """The question's constraints this sentence does not meet, in words a user can read."""
    out = []
    for g in a.entities:
        if not g.words:
            out.append(f"the articles never name {g.source}")
    if a.places and place_doc < 1.0:
        out.append("the passage is about another place than " + "/".join(g.source for g in a.places))
    elif other:
        out.append("the sentence gives another place's figure")
    if t_bad and not t_ok:
        out.append("the passage gives another time than the one asked")
    if a.unit and not unit_ok and a.type == "number":
        out.append("no figure of the kind asked")
    return out
