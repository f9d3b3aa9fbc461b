"""Which sentences answer: the best ones, and what they miss added from close candidates.

The sentence scores (rag.rerank) pick the best sentence and those nearly as good.
A question often asks for more than the best sentence holds — a second figure, a
date, a company, the list a name stands for, a reason, the other district — and
the sentence that has it scores a little lower, sometimes in the passage next to
a hit. :class:`Selector` adds those, each only if it scores close to the best and
shares enough of the question's words.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .crosslingual import synonyms
from .evidence import Evidence, period_found
from .places import DISTRICT_OF, in_place_name, question_places
from .question import (ASKS, COMPANY_Q, COMPARE_Q, DATE_IN, DATE_Q, ENUMERATION, LIST_Q, NAME_Q, NUM_UNIT,
                       QUANTITY_Q, REASON, WHO_Q, WHY_Q, YEAR, asked_event, expected_unit, figure_pattern, has_org,
                       has_person, named_measures, names_company, question_years, sub_questions)
from .rerank import Candidate, sentence_tokens, token_weight
from .retrieve import Hit, Retriever
from .tokenize import normalize

if TYPE_CHECKING:
    from .answer import AnswerConfig


class Selector:
    """Chooses an answer's sentences among scored candidates (see the module docstring)."""

    def __init__(self, retriever: Retriever, evidence: Evidence, config: AnswerConfig):
        self.retriever = retriever
        self.evidence = evidence
        self.config = config

    def choose(self, query: str, candidates: list[Candidate], nearby: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus up to two more that score nearly as well (or cover another district),
        and who said a quote among them (from ``nearby`` passages too)."""
        if not candidates:
            return []
        best = candidates[0]
        chosen = [best] + self._neighbours(query, best, candidates)
        comparison = len(question_places(query) & {"青白江", "江津"}) >= 2
        for cand in candidates[1:]:
            if len(chosen) >= self.config.max_sentences:
                break
            if any(cand.text == c.text for c in chosen):
                continue
            close = cand.score >= best.score - self.config.margin and self._adds_coverage(query, chosen, cand)
            new_place = comparison and bool(_sentence_places(cand) - {p for c in chosen for p in _sentence_places(c)})
            if close or new_place:
                chosen.append(cand)
        chosen += self._attributions(chosen, candidates + nearby)
        chosen.sort(key=lambda c: (c.hit.rank, c.index))
        return chosen

    def _attributions(self, chosen: list[Candidate], candidates: list[Candidate]) -> list[Candidate]:
        """Who said a quoted sentence: “计划让大部分产品搭乘国际班列出口。” is followed by "…孙建涛表示。"
        (in the same chunk or at the start of the next one)."""
        starts = {(c.hit.chunk.doc_id, c.start): c for c in candidates}
        have = {(c.hit.chunk.doc_id, c.start) for c in chosen}
        found = []
        for c in chosen:
            if not c.text.lstrip().startswith(("“", '"')):
                continue
            source = self.retriever.index.doc_text(c.hit.chunk.doc_id)
            gap = len(source[c.end:]) - len(source[c.end:].lstrip(" \u3000"))  # the next sentence, same line
            key = (c.hit.chunk.doc_id, c.end + gap)
            nxt = starts.get(key)
            if nxt is not None and key not in have and len(nxt.text) <= 80 and _ATTRIBUTION.search(nxt.text):
                found.append(nxt)
                have.add(key)
        return found

    def _neighbours(self, query: str, best: Candidate, candidates: list[Candidate]) -> list[Candidate]:
        """Sentences next to the best one that it cannot stand without.

        A short caption or title line ("江津 三向发力…") needs the lines around it; a
        sentence that announces an event ("…举行集中开工竣工活动。") when the question
        asks for a figure is followed by the sentence that has the figure.
        """
        same_chunk = {c.index: c for c in candidates if c.hit.chunk.chunk_id == best.hit.chunk.chunk_id}
        wanted: list[int] = []
        if len(best.text) < 40 and not _is_sentence(best.text):
            wanted = [best.index - 1, best.index + 1]
        elif QUANTITY_Q.search(query) and not NUM_UNIT.search(best.text):
            wanted = [best.index + 1]
        elif WHO_Q.search(query) and not has_org(best.text):
            # "…基地项目签约落户德感组团。" then "…重庆厨大娘食品有限公司再投2亿元": the company is next door
            return [same_chunk[i] for i in (best.index + 1, best.index - 1)
                    if i in same_chunk and has_org(same_chunk[i].text)][:1]
        return [same_chunk[i] for i in wanted if i in same_chunk]

    def next_to(self, hits: list[Hit]) -> list[Hit]:
        """The chunks just before and after the top ``neighbour_depth`` hits that are not hits themselves."""
        index = self.retriever.index
        have = {h.chunk.chunk_id for h in hits}
        out: list[Hit] = []
        for hit in hits[: self.config.neighbour_depth]:
            row = index.row(hit.chunk.chunk_id)
            for r in (row - 1, row + 1):
                if not 0 <= r < len(index.chunks):
                    continue
                chunk = index.chunks[r]
                if chunk.doc_id == hit.chunk.doc_id and chunk.chunk_id not in have:
                    have.add(chunk.chunk_id)
                    out.append(Hit(len(hits) + len(out) + 1, hit.score, chunk, hit.doc, fused=hit.fused))
        return out

    def complete(self, query: str, chosen: list[Candidate], candidates: list[Candidate]) -> list[Candidate]:
        """Add, for a part of the question whose figure the chosen sentences miss, the best sentence that has it.

        "蜜雪冰城海外门店有多少家？基地出口量排第几？": the ranking sentence wins on the
        whole question; the store count is a lower-scoring sentence that shares the
        first part's words. It must score near the best and match that part's words.
        """
        if not chosen:
            return chosen
        chosen = self._answers_to_questions(chosen, candidates)
        floor = candidates[0].score - self.config.complete_margin
        for part in sub_questions(query):
            # the figure, of the period asked: "当年1到5月开了多少列" is not answered by the running total
            def has(texts: list[str], part: str = part) -> bool:
                return self.evidence.figure_found(part, texts) and period_found(part, texts)

            if not has([normalize(c.text) for c in chosen]):
                # the part's own words, else the whole question's: "它2025年卖出去多少台车" is about the
                # company the part before it asks for
                for words in (part, query):
                    before = len(chosen)
                    chosen = self._add_best(words, chosen, candidates, floor, lambda c, has=has: has([normalize(c.text)]))
                    if len(chosen) > before:
                        break
        if DATE_Q.search(query):  # a date, of the event asked ("开工" asks for 开工's date, not 签约's)
            event = asked_event(query)

            def dated(c: Candidate) -> bool:
                return bool(DATE_IN.search(c.text)) and (not event or bool(re.search(event, c.text)))

            if not any(dated(c) for c in chosen):
                chosen = self._add_best(query, chosen, candidates, floor, dated)
        if NAME_Q.search(query) and not any(has_person(c.text) for c in chosen):  # "哪位高管…": a person, named
            # in the passage of what the question is about (the byline over "一线思考")
            chosen = self._add_best(query, chosen, candidates, floor, lambda c: has_person(c.text), in_passage=True)
        if COMPANY_Q.search(query) and not any(names_company(c.text) for c in chosen):  # "哪家企业…": one named,
            # scoring nearly as well as the best (most sentences name some company)
            chosen = self._add_best(query, chosen, candidates, candidates[0].score - self.config.margin,
                                    lambda c: names_company(c.text), most_shared=True)
        # "…机制具体指什么" wants the sentence that lists ("即1个领导小组、…"), "为什么" the one with a reason
        for asks, gives in ((LIST_Q, ENUMERATION), (WHY_Q, REASON)):
            if asks.search(query) and not any(gives.search(c.text) for c in chosen):
                # ... first the answer to the article's own "为什么选择“中试产业”？", then any reason
                fits = [_answers_why, lambda c, g=gives: bool(g.search(c.text))] if asks is WHY_Q else \
                    [lambda c, g=gives: bool(g.search(c.text))]
                for fit in fits:
                    before = len(chosen)
                    chosen = self._add_best(query, chosen, candidates, floor, fit, in_passage=True)
                    if len(chosen) > before:
                        break
        return self._complete_sides(query, self._breakdowns(query, chosen, candidates), candidates, floor)

    def _breakdowns(self, query: str, chosen: list[Candidate], candidates: list[Candidate]) -> list[Candidate]:
        """A total is often broken down in the next sentence ("103个项目集中开工竣工…" then "其中,开工项目62个…;
        竣工项目41个…"): for a figure asked, the breakdown goes with it."""
        if not QUANTITY_Q.search(query):
            return chosen
        by_place = _by_place(candidates)
        index = self.retriever.index
        for c in list(chosen):
            after = by_place.get((c.hit.chunk.chunk_id, c.index + 1))
            row = index.row(c.hit.chunk.chunk_id) + 1
            if after is None and c.index == len(c.hit.chunk.sentences) - 1 and row < len(index.chunks):
                after = by_place.get((index.chunks[row].chunk_id, 0))  # (the paragraph after, its first sentence)
            if (after and after not in chosen and NUM_UNIT.search(c.text) and after.text.startswith("其中")
                    and NUM_UNIT.search(after.text)):
                chosen = sorted(chosen + [after], key=lambda x: (x.hit.rank, x.index))
                more = by_place.get((after.hit.chunk.chunk_id, after.index + 1))  # "…139.4亿元;" "竣工项目41个…"
                if after.text.rstrip().endswith(("；", ";")) and more and more not in chosen and NUM_UNIT.search(more.text):
                    chosen = sorted(chosen + [more], key=lambda x: (x.hit.rank, x.index))
        return chosen

    @staticmethod
    def _answers_to_questions(chosen: list[Candidate], candidates: list[Candidate]) -> list[Candidate]:
        """An article's own question ("为什么选择“中试产业”？") answers nothing; the sentence after it does."""
        by_place = _by_place(candidates)
        out: list[Candidate] = []
        for c in chosen:
            after = by_place.get((c.hit.chunk.chunk_id, c.index + 1))
            # (a short question; a long one with a "？" at its end may hold the answer: "…第六站走进…如何…？")
            if c.text.rstrip().endswith(("？", "?")) and len(c.text) <= 40 and after and _is_sentence(after.text):
                c = after
            if c not in out:
                out.append(c)
        return out

    def _complete_sides(self, query: str, chosen: list[Candidate], candidates: list[Candidate],
                        floor: float) -> list[Candidate]:
        """A comparison of figures needs a figure from each district: add the side's best sentence with one."""
        sides = {DISTRICT_OF[p] for p in question_places(query)}
        if len(sides) < 2 or not (QUANTITY_Q.search(query) or COMPARE_Q.search(query)):
            return chosen
        unit = expected_unit(query)
        figure = re.compile(figure_pattern(unit)) if unit else NUM_UNIT
        named = named_measures(query)
        years = question_years(query)

        def answers(c: Candidate, side: str) -> bool:  # the side's figure, of the measure and a year asked
            text = normalize(c.text)
            return (c.hit.doc.get("district") == side and bool(figure.search(text))
                    and all(re.search(n, text) for n in named)
                    and (not years or bool(years & self.evidence.years_of(c))))

        for side in sorted(sides):
            if not any(answers(c, side) for c in chosen):
                chosen = self._add_best(query, chosen, candidates, floor, lambda c, side=side: answers(c, side))
        return chosen

    def _add_best(self, question: str, chosen: list[Candidate], candidates: list[Candidate], floor: float,
                  fits: Callable[[Candidate], bool], in_passage: bool = False,
                  most_shared: bool = False) -> list[Candidate]:
        """``chosen`` plus the best candidate scoring at least ``floor`` that ``fits`` and shares enough of
        ``question``'s words (years and place names left out: the side is checked apart; an
        abbreviation's full form counts, 规上 = 规模以上) — ``in_passage``: words of its passage count
        (a quoted reason names no company; the line after it, "巨湾技研相关负责人介绍", does); ``most_shared``:
        of all that qualify, the one sharing most words (many sentences name some company; the one
        asked for names what the question names)."""
        bm25 = self.retriever.index.bm25
        weights = {t: token_weight(t) for t in self.retriever.keyword_tokens(question)
                   if not YEAR.fullmatch(t) and not in_place_name(t) and not ASKS.search(t)  # 哪家, 多少: no answer has them
                   # English words no article has ("why", "pick") could never be shared
                   and not (t.isascii() and t.isalpha() and bm25 is not None and bm25.term_id(t) is None)}
        total = sum(weights.values()) or 1.0
        qualified: list[tuple[float, Candidate]] = []
        for cand in candidates:
            if cand.score < floor:
                break
            if cand in chosen or not fits(cand):
                continue
            text = cand.hit.chunk.clean if in_passage else cand.text
            have = sentence_tokens(text)
            found = sum(w for t, w in weights.items() if t in have or any(f in text for f in synonyms([t])))
            tied = cand.score >= candidates[0].score - self.config.complete_tied
            if tied or found / total >= self.config.complete_overlap:
                if not most_shared:
                    return sorted(chosen + [cand], key=lambda c: (c.hit.rank, c.index))
                qualified.append((found, cand))
        if qualified:
            best = max(qualified, key=lambda fc: fc[0])[1]  # (max keeps the first, higher-scoring, of a tie)
            return sorted(chosen + [best], key=lambda c: (c.hit.rank, c.index))
        return chosen

    def _adds_coverage(self, query: str, chosen: list[Candidate], cand: Candidate) -> bool:
        """A further sentence earns its place by matching question words the others miss."""
        q_tokens = {t for t in self.retriever.keyword_tokens(query) if token_weight(t) >= 1.0}
        have = set().union(*(sentence_tokens(c.text) for c in chosen))
        return bool((q_tokens & sentence_tokens(cand.text)) - have)


_ATTRIBUTION = re.compile(r"(?:表示|说|介绍|称|指出|坦言|告诉记者|透露)[。！!.]?\s*$")


def _by_place(candidates: list[Candidate]) -> dict[tuple[str, int], Candidate]:
    """Candidates by (chunk, sentence index): to find the sentence after one."""
    return {(c.hit.chunk.chunk_id, c.index): c for c in candidates}


def _answers_why(c: Candidate) -> bool:
    """The sentence after the article asks itself why ("为什么选择“中试产业”？其基础是…")."""
    if c.index == 0:
        return False
    before = c.hit.chunk.sentence_texts()[c.index - 1].rstrip()
    return before.endswith(("？", "?")) and bool(WHY_Q.search(before))


def _is_sentence(text: str) -> bool:
    """Ends like a sentence (a caption or a title line does not)."""
    return text.rstrip("”’」』)） ").endswith(("。", "！", "？", "；", ".", "!", "?", ";"))


def _sentence_places(c: Candidate) -> set[str]:
    places = {p for p in ("青白江", "江津") if p in c.text or p in c.hit.chunk.clean}
    return places or ({c.hit.doc.get("district")} - {""})
