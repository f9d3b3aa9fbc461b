"""Does the evidence answer the question? The answerer's hard checks, and what they share with it.

A sentence can be close to a question and still not answer it: another year, the
other district, another measure, a quarter for a whole year, a company the
articles never name. :class:`Evidence` holds those checks; when one fails the
answerer refuses. The thresholds live in :class:`rag.answer.AnswerConfig`.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .crosslingual import english_phrases, synonyms
from .names import Names
from .places import (CITY_OF, DISTRICT_OF, OTHER_PLACES, PLACE_KEYS, PLACES, foreign_places, in_place_name,
                     question_places)
from .question import (COMPANY_Q, CORRIDORS, DATE_IN, DATE_Q, DAY_IN, DURATION, EXACT_DATE_Q, FULL_YEAR_Q, NAME_Q, NEW_ONLY,
                       NUM_UNIT, PART_OF_YEAR, TOTAL_IN, TOTAL_Q, YEAR, asked_event, asked_periods, counted_noun,
                       expected_unit, figure_pattern, has_org, has_person, in_order, named_measures, names_company,
                       question_years, relative_years, sub_questions)
from .rerank import Candidate, token_weight
from .retrieve import Retriever
from .tokenize import is_chinese, normalize, tokenize

if TYPE_CHECKING:
    from .answer import AnswerConfig


class Evidence:
    """The checks a set of chosen sentences must pass to be an answer."""

    def __init__(self, retriever: Retriever, config: AnswerConfig):
        self.retriever = retriever
        self.config = config
        self.names = Names(retriever)

    def accepts(self, query: str, chosen: list[Candidate], best: Candidate) -> bool:
        """The best sentence is close enough, and the chosen ones meet every hard constraint."""
        return self.confident(query, best) and self.phrases_found(query, chosen) and self.constraints_met(query, chosen)

    def confident(self, query: str, best: Candidate) -> bool:
        cfg = self.config
        zh = is_chinese(query)
        weights = {t: token_weight(t) for t in set(self.retriever.keyword_tokens(query))}
        # the passage with its title/heading and the article's district and year: a sentence of a
        # 青白江 article need not repeat "青白江 2025" to answer a question that names them
        doc = best.hit.doc
        in_passage = set(tokenize(" ".join((best.hit.chunk.embed_text, doc.get("district", ""),
                                            str(doc.get("date", ""))[:4]))))
        coverage = sum(w for t, w in weights.items() if t in in_passage) / (sum(weights.values()) or 1.0)
        return (best.dense >= (cfg.min_dense_zh if zh else cfg.min_dense_en)
                and coverage >= (cfg.min_coverage_zh if zh else cfg.min_coverage_en))

    def phrases_found(self, query: str, chosen: list[Candidate]) -> bool:
        """Half the things an English question names must be in the passages cited.

        Token coverage cannot tell for English (its words never match Chinese text): a
        question about "cross-border e-commerce orders" in Jiangjin was answered with a
        Jiangjin train count. Each glossary phrase or pinyin name counts once, found if
        one of its Chinese terms is in a cited passage; places and numbers are left to
        the place and year checks.
        """
        if is_chinese(query):
            return True
        phrases = [terms for phrase, terms in english_phrases(query)
                   if not re.fullmatch(r"[\d.]+", phrase) and not set(terms) & set(PLACES)
                   and phrase not in PLACE_KEYS]
        phrases += [[name] for name in self.retriever.pinyin_names().terms(query) if name not in PLACES]
        if not phrases:
            return True
        text = " ".join(f"{c.hit.chunk.embed_text} {c.hit.doc.get('district', '')}" for c in chosen)
        found = sum(any(t in text for t in terms) for terms in phrases)
        return found / len(phrases) >= self.config.min_phrase_coverage_en

    def constraints_met(self, query: str, chosen: list[Candidate]) -> bool:
        """Hard constraints of the question must hold in the evidence.

        A question about 2024 is not answered from 2025 figures, one about 江津 not
        from 青白江, one about 两江新区 not at all, and "多少列" needs a count of trains.
        """
        evidence = " ".join(c.text + " " + c.hit.chunk.clean for c in chosen)
        years = question_years(query)
        # "按2023年报道的说法", "the 2023 report": the year of the article, not of the fact
        reported = set(_REPORT_YEAR.findall(normalize(query)))
        if reported:
            if not any(str(c.hit.doc.get("date", ""))[:4] in reported for c in chosen):
                return False
            years -= reported
        if years:
            known = set(YEAR.findall(evidence))
            for c in chosen:
                known |= relative_years(c.text, c.hit.doc.get("date", ""))
            if not years & known:
                return False
        places = question_places(query)
        best = max(chosen, key=lambda c: c.score)
        # one district asked: the best evidence must be about it; a comparison needs either
        anchors = [best] if len(places) == 1 else chosen
        if places and not any(_about(c, p) for c in anchors for p in places):
            return False
        q_norm = normalize(query)
        texts = [normalize(c.text) for c in chosen]
        # in the sentences themselves: a chunk naming 出口 elsewhere does not make 进出口 an export figure
        named = named_measures(query)
        if not all(re.search(needed, " ".join(texts)) for needed in named):
            return False
        # "When the park launched construction, what path was set?" asks for the path, not a date
        if DATE_Q.search(query) and not re.match(r"\s*when\b[^?]*,\s*(?:what|which|how|who)\b", query, re.I):
            needed = asked_event(query)  # the event and a date in one sentence: that event's date
            if needed and not any(re.search(needed, t) and DATE_IN.search(t) for t in texts):
                return False
            # a date at all ("On what exact date was the first Q05 shipped?" is not answered by its caption),
            # and a day if a day is asked ("几月几号" by "2025年" alone)
            exact = bool(EXACT_DATE_Q.search(query))
            if not any(DAY_IN.search(t) if exact else DATE_IN.search(t) or YEAR.search(t) for t in texts):
                return False
        if not self._corridor_met(query, texts):
            return False
        if TOTAL_Q.search(query) and NEW_ONLY.search(best.text) and not TOTAL_IN.search(best.text):
            return False
        for place in foreign_places(query):  # ... in the passage; a company's home town in its article will do:
            # "Which Guangzhou company signed…" is answered from 江津's article that names 广州巨湾技研
            if place in evidence:
                continue
            home = re.search(rf"(?:{'|'.join(OTHER_PLACES[place])})\W*(?:\w+\s+)?(?:company|firm|企业|公司)", q_norm)
            if not (home and any(place in self.retriever.index.doc_text(c.hit.chunk.doc_id) for c in chosen)):
                return False
        if self.names.unknown(query):
            return False
        # a company the question names, in the passages cited: 东风小康's project is not 蜜雪冰城's
        companies = self.names.companies(query)
        if not all(name in evidence for name in companies):
            return False
        if companies and not self._owned(query, companies, chosen):
            return False
        for part in sub_questions(query):  # "多少家企业进驻？进口的占几成？": each asks its own figure
            if not self.figure_found(part, texts) or not period_found(part, texts, named):
                return False
            # the figure is of the year asked: "2025年一年开行多少列" is not answered by a 2023 article's
            # running total, cited next to a 2025 sentence that has no count
            part_years = (question_years(part) - reported) or years
            if expected_unit(part):  # ... and of the period asked, in one sentence: a 2025 quarter and
                # 2024's whole year together do not answer "2025年一整年", nor a first quarter's count next
                # to "第二季度重点项目集中开工" the second
                # (a quarter asked may be named once for its passage: "2023年第二季度…活动" then its figures)
                holders = [c for c, t in zip(chosen, texts) if self.figure_found(part, [t])
                           and (period_found(part, [t], named) or bool(asked_periods(part))
                                and period_found(part, [normalize(c.hit.chunk.clean)], named))]
                if not any(not part_years or part_years & self.years_of(c) for c in holders):
                    return False
                if not self._about_subject(part, chosen, holders):  # (of this part: "它…多少台" names no thing)
                    return False
            elif part_years and named:  # "the foreign trade value in 2024", "tax revenue in 2025":
                # a sentence with the measure and a figure must be of that year, not 2025's
                holders = [c for c, t in zip(chosen, texts) if NUM_UNIT.search(t) and all(re.search(n, t) for n in named)]
                if holders and not any(part_years & self.years_of(c) for c in holders):
                    return False
        # the name may be in the line after a quote ("…”\n物流经理张静萍说"), cited with it
        if NAME_Q.search(query) and not any(has_person(c.text) for c in chosen):
            return False
        # "which manufacturer supplied the cranes" is not answered by a sentence naming no company
        if COMPANY_Q.search(query) and not any(has_org(c.text) for c in chosen):
            return False
        return True

    def _owned(self, query: str, companies: list[str], chosen: list[Candidate]) -> bool:
        """The figure or person asked is the named company's: in a sentence naming it, or naming no other
        company and follows one that does. 玉湖冷链's investment is not the 50亿元 蜜雪冰城 invested next to it,
        nor is 积微物联's manager 蜜雪冰城's 孙建涛."""
        def owns(c: Candidate) -> bool:
            if any(n in c.text for n in companies):
                return True
            # "其在全球率先量产的XFC…": the name may be a chunk back, in the paragraph the sentence continues,
            # or just after a quote ("…节约了6天时间。”洪九果公司相关负责人表示")
            return not names_company(c.text) and any(n in self._around(c) for n in companies)
        for part in sub_questions(query):
            if expected_unit(part):
                holders = [c for c in chosen if self.figure_found(part, [normalize(c.text)])]
                if holders and not any(owns(c) for c in holders):
                    return False
        if NAME_Q.search(query):
            return any(owns(c) for c in chosen if has_person(c.text))
        return True

    def _corridor_met(self, query: str, texts: list[str]) -> bool:
        """A count of one corridor's trains is not answered by the other's alone ("China-Europe trains from
        Jiangjin in 2024" by 西部陆海新通道江津班列…1804列); a question naming both compares them."""
        q = normalize(query)
        asked = [needed for pattern, needed in CORRIDORS if re.search(pattern, q)]
        if len(asked) != 1 or not expected_unit(query):
            return True
        other = next(needed for _, needed in CORRIDORS if needed != asked[0])
        holders = [t for t in texts if self.figure_found(query, [t])]
        return not holders or not all(re.search(other, t) and not re.search(asked[0], t) for t in holders)

    def _about_subject(self, query: str, chosen: list[Candidate], holders: list[Candidate]) -> bool:
        """A figure must be of the thing the question names: "遗爱池口袋公园面积多少平方米" is not answered by
        another project's 总建筑面积 cited next to the 遗爱池 sentence. The thing is a word of the question
        found in one passage only; when a cited sentence has it, a figure's passage must have it too."""
        bm25 = self.retriever.index.bm25
        if bm25 is None or not holders:
            return True
        # (names as written in a Chinese question: an English one's glossary terms are generic, number → 数量)
        tokens = set(self.retriever.keyword_tokens(query)) if is_chinese(query) else set()
        rare = [t for t in tokens if len(t) >= 2 and not t.isascii() and not in_place_name(t)
                and bm25.doc_freq(t) == 1 and any(t in c.text for c in chosen)]
        return not rare or any(any(t in self._around(c) for t in rare) for c in holders)

    def _around(self, c: Candidate) -> str:
        """The sentence with what comes before it in its article (what it may refer to) and just after."""
        span = c.hit.chunk.sentences[c.index]
        return self.retriever.index.doc_text(c.hit.chunk.doc_id)[max(0, span.start - _AROUND) : span.end + 20]

    def years_of(self, cand: Candidate) -> set[str]:
        """The years a sentence is about: its own, else an earlier sentence's on the same line
        ("- 2024年工业税收43.5亿元；新增规模以上企业33家"), else its article's (今年/去年 resolved)."""
        date = cand.hit.doc.get("date", "")
        if YEAR.search(cand.text) or re.search(r"[今去前明]年", cand.text):  # "从2019年7月起…截至今年5月底"
            return set(YEAR.findall(cand.text)) | relative_years(cand.text, date)
        chunk = cand.hit.chunk
        source, texts = self.retriever.index.doc_text(chunk.doc_id), chunk.sentence_texts()
        for i in range(cand.index - 1, -1, -1):
            if "\n" in source[chunk.sentences[i].end : chunk.sentences[i + 1].start]:
                break
            if YEAR.search(texts[i]):
                return set(YEAR.findall(texts[i]))
        return relative_years(cand.text, date)

    @staticmethod
    def figure_found(question: str, texts: list[str]) -> bool:
        """A question asking "多少列" or "what percentage" needs that figure, by the measure it names."""
        unit = expected_unit(question)
        if not unit:
            return True
        # a duration is no measure's: "进口水果的企业…在时间上能省多少" asks how long, not how much was imported
        named = named_measures(question) if unit != DURATION else []
        figure = figure_pattern(unit)
        # a measure the question names must hold the figure itself, in the same clause: "地区生产总值
        # …多少亿元" is not answered by "批发业(规模超1500亿元…)…,地区生产总值增速跻身全市前列"
        # (or the clause after it: "进出口额192.6亿元，同比增长63.9%")
        spans = []
        for text in texts:
            clauses = _CLAUSE.split(text) if named else [text]
            spans += [(u, " ".join(clauses[i : i + 2])) for i, u in enumerate(clauses)]
        # ... after the measure or just before it ("30%为进口商品"): "投资50亿元建造的…出口基地" names
        # 出口 well after a figure that is no export
        def placed(u: str, near: str) -> bool:
            if not named:
                return bool(re.search(figure, near))
            after = max(re.search(n, u).start() for n in named)
            return bool(re.search(figure, near[after:]) or any(re.search(f"(?:{figure}).{{0,4}}(?:{n})", u)
                                                                for n in named))
        # "多少家汽摩企业": a count of that, not of 高新技术企业 (in the sentence holding the figure)
        noun = counted_noun(question)
        nouns = [noun, *synonyms([noun])] if noun else []
        return any(all(re.search(n, u) for n in named) and placed(u, near) for u, near in spans
                   if not noun or any(in_order(n, t) and u in t for t in texts for n in nouns))


_REPORT_YEAR = re.compile(r"((?:19|20)\d\d)\s*年?(?:的|那篇|那次)?\s*(?:[a-z-]+\s+){0,2}(?:报道|文章|稿子|调研|专版|report|article|"
                          r"feature|survey|piece|story)")
_AROUND = 300  # characters before a sentence that may name what it is about
_CLAUSE = re.compile(r"[,，;；:：]")  # a long summary sentence lists one measure per clause


def period_found(question: str, texts: list[str], named: list[str] | None = None) -> bool:
    """"上半年" asked needs 上半年 evidence; "全年" asked is not answered by a quarter's figure
    (of the measures ``named``, when the question names one)."""
    asked = asked_periods(question)
    if asked:  # ("上半年…和全年…各是多少" compares the two: the part asked is checked, not the whole year)
        return all(any(re.search(needed, t) for t in texts) for needed in asked)
    figures = [t for t in texts if NUM_UNIT.search(t) and all(re.search(n, t) for n in named or ())]
    return not (FULL_YEAR_Q.search(question) and figures and all(PART_OF_YEAR.search(t) for t in figures))


def on_topic(query: str, chosen: list[Candidate]) -> list[Candidate]:
    """For a question about one district, drop sentences about the other one."""
    # "成都国际铁路港" names 青白江 and 成都: still one side, and 江津's figures are off topic
    sides = {DISTRICT_OF[p] for p in question_places(query)}
    if len(sides) != 1:
        return chosen
    place = next(iter(sides))
    return [c for c in chosen if _about(c, place)]


def _about(c: Candidate, place: str) -> bool:
    """Is this evidence about ``place``? (青白江 is part of 成都, 江津 of 重庆.)"""
    district = c.hit.doc.get("district", "")
    return place == district or place == CITY_OF.get(district) or place in c.hit.chunk.clean
