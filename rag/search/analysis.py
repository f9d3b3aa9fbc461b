"""A question analysed once: language, places, years, months and periods, measure, unit, answer type,
entities and weighted term groups. Retrieval, sentence scoring, selection and refusal all read it.

Places and names are recognised by the corpus' own gazetteer (rag.index.knowledge) and jieba's tags; an
English question is mapped to the corpus' Chinese words through the index's lexicon and pinyin. The
patterns below are general Chinese and English grammar (interrogatives, units, calendar words),
never names from one corpus.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.index.knowledge import Knowledge, posseg, tag_names
from rag.index.lexicon import lemma
from rag.text.timeexpr import MONTHS_EN, days_in, months_in, periods_in, years_in
from rag.text.tokenize import STOPWORDS, as_written, is_chinese, normalize, tokenize
from rag.text.units import ZH_UNITS, en_unit, zh_unit

# interrogatives and filler that carry no content (beyond jieba's stopwords)
QUESTION_WORDS = frozenset(
    "什么样 什么样的 怎么样 哪方面 哪家 哪位 哪里 哪儿 哪年 哪一年 哪天 哪一天 哪些 哪几 哪个 哪种 哪项 哪类 多少 多少钱 多大 多高 多长 多久 几个 几家 "
    "什么 为什么 为何 原因 是否 怎样 怎么 如何 谁 具体 分别 主要 请问 目前 大约 大概 左右 情况 有关 相关 方面 "
    "how many much what which who whom whose when where why does did do is are was were has have had "
    "according report reported article say said tell me please there their they about its it be been "
    "per by of the a an in on at to for from with as and or than that this these those into over under after before "
    "since around during between among across within up down out off all any each every some more most less other "
    "can could will would should may might must also just only still yet then there here while so such".split())
TYPES = ("number", "date", "person", "org", "place", "list", "reason", "fact")
_TYPE_ZH = [("reason", r"为什么|为何|为啥|什么原因|原因是|理由|怎么会"),
            ("date", r"什么时候|啥时候|何时|哪一?年|哪个月|哪一?天|几月|几号|具体日期|什么时间|哪个时间"),
            ("person", r"谁|哪位|哪个人|什么人|叫什么名字|姓名"),
            ("org", r"哪家|哪个(?:公司|企业|机构|单位|部门|银行)|什么(?:公司|企业|机构|单位|部门)|哪些(?:公司|企业|机构|单位)"),
            ("place", r"哪里|哪儿|什么地方|哪个(?:城市|省|国家|地区|港口|地方)|在哪"),
            ("number", r"多少|几[个家项列台辆人次名倍成天年月]?|多大|多高|多长|多久|比例|占比|百分之|增速|增幅|涨幅|规模"),
            ("list", r"哪些|哪几|包括什么|有什么|分别是")]
_TYPE_EN = [("reason", r"\bwhy\b|what (?:caused|led to|made)|\breasons?\b|how come"),
            ("date", r"\bwhen\b|what (?:exact |specific )?(?:year|month|day|date|time)|which (?:year|month|day|date)|"
                     r"on what (?:exact |specific )?date"),
            ("person", r"\bwho\b|whom|whose|which (?:person|official|executive)|name of the (?:person|head|chair)"),
            ("org", r"which (?:company|companies|firm|bank|enterprise|organi[sz]ation|institution|agency|department|"
                    r"manufacturer|carrier|airline|platform)"),
            ("place", r"\bwhere\b|which (?:city|province|country|region|port|place|district|county)"),
            ("number", r"how (?:many|much|long|big|large|far|fast|high)|what (?:percentage|share|proportion|rate|"
                       r"amount|number|value|volume|total|price|growth|cost|size|revenue|profit)|by how much|\bgrowth\b|\bincrease\b|"
                       r"^(?:what|which).{0,80}\b(?:value|price|amount|cost|revenue|profit|turnover|rate|volume|total|sales)\b"),
            ("list", r"what (?:are|were) the|which (?:two|three|four|five)|what (?:measures|steps|kinds|types)|"
                     r"\blist\b|\binclude\b")]
_LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z0-9&'\-]*(?:\s+[A-Z][A-Za-z0-9&'\-]*)*")
_ORG_SUFFIXES = frozenset("药业 集团 公司 银行 科技 股份 控股 证券 保险 基金会 协会 商会 研究院 医院 大学 航空 物流 电器 "
                          "汽车 能源 电子 传媒 地产 置业".split())
_DAY_Q = re.compile(r"哪一?天|几月几[号日]|几号|具体日期|哪个日子|what day|which day|what date|on what date|exact date", re.I)
_QUOTED = re.compile(r"[《“\"「『]([^》”\"」』]{2,30})[》”\"」』]")
_EN_WORD = re.compile(r"\b[QqHh][1-4]\b|[A-Za-z][A-Za-z\-]*(?:['’][A-Za-z]+)?|\d+(?:\.\d+)?%?")
_POSSESSIVE = re.compile(r"['’][sS]$")
_EN_TIME = frozenset(MONTHS_EN) | frozenset("monday tuesday wednesday thursday friday saturday sunday first second third "
                                            "fourth quarter half year month week day q1 q2 q3 q4 h1 h2".split())
_EN_MEASURE_END = frozenset("of in for on at by from during between among across within".split())


@dataclass(frozen=True)
class TermGroup:
    """One idea of the question and the corpus words that express it (one word for Chinese)."""

    source: str  # as written in the question
    words: tuple[str, ...]  # Chinese alternatives; empty when nothing in the corpus expresses it
    weight: float
    kind: str = "term"  # "term", "place", "entity", "time", "measure"
    near: tuple[str, ...] = ()  # words sharing a dictionary sense with one of ``words`` (a looser match)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str  # the question as analysed (years written in full, percentages in digits)
    language: str  # "zh" or "en"
    groups: tuple[TermGroup, ...]
    places: tuple[TermGroup, ...]
    entities: tuple[TermGroup, ...]
    years: frozenset[str] = frozenset()
    months: frozenset[int] = frozenset()
    periods: frozenset[tuple[int, int]] = frozenset()  # (first month, last month) ranges
    days: frozenset[tuple[int, int]] = frozenset()  # (month, day)
    measure: tuple[str, ...] = ()  # corpus words of the thing asked for
    unit: tuple[str, ...] = ()  # units the answer figure may carry
    type: str = "fact"
    numbers: frozenset[str] = frozenset()  # figures written in the question
    unmapped: tuple[str, ...] = field(default=())  # English words that no corpus word expresses
    wants_day: bool = False  # a date question asking for the day (哪一天, "on what date")
    focus: tuple[TermGroup, ...] = ()  # the term groups next to the interrogative: what the answer is about

    @property
    def keywords(self) -> list[str]:
        """Every corpus word of the question, for BM25."""
        return [w for g in self.groups for w in g.words]

    def to_json(self) -> dict:
        return {"language": self.language, "type": self.type, "places": [p.source for p in self.places],
                "entities": [e.source for e in self.entities], "years": sorted(self.years),
                "months": sorted(self.months), "periods": sorted(self.periods), "days": sorted(self.days), "measure": list(self.measure),
                "unit": list(self.unit), "focus": [g.source for g in self.focus], "terms": [[g.source, list(g.words), round(g.weight, 3)] for g in self.groups],
                "unmapped": list(self.unmapped)}


class Analyser:
    """Analyse questions against one index's knowledge; ``doc_freq`` and ``n_docs`` give term weights."""

    def __init__(self, knowledge: Knowledge, doc_freq: Callable[[str], int], n_docs: int):
        self.knowledge = knowledge
        self.doc_freq = doc_freq
        self.n_docs = max(n_docs, 1)
        self._places = sorted((n for n, k in knowledge.names.items() if k == "place"), key=len, reverse=True)
        self._named = sorted((n for n, k in knowledge.names.items() if k != "place" and len(n) >= 2),
                             key=len, reverse=True)

    def idf(self, word: str) -> float:
        df = self.doc_freq(word)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def weight(self, words: tuple[str, ...], source: str) -> float:
        if not words:  # a word the corpus never uses is as telling as its rarest
            return math.log(1 + (self.n_docs + 0.5) / 0.5) if not source.isdigit() else 1.0
        return max(self.idf(w) for w in words)

    def __call__(self, question: str) -> QuestionAnalysis:
        text = as_written(question.strip())
        zh = is_chinese(text)
        norm = normalize(text)
        years = frozenset(years_in(norm))
        periods = frozenset(periods_in(norm))
        months = frozenset(months_in(norm)) - {m for p in periods for m in (p[0],) if p[0] == p[1]}
        days = frozenset(days_in(norm))
        numbers = frozenset(re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?:19|20)\d\d", " ", norm)))
        if zh:
            groups, places, entities, measure, focus = self._chinese(text)
            qtype = _first_type(_TYPE_ZH, norm)
            unit = zh_unit(norm)
            unmapped: tuple[str, ...] = ()
        else:
            groups, places, entities, measure, unmapped = self._english(text)
            focus = tuple(g for g in groups if g.kind == "term" and g.words and g.words == tuple(measure))
            qtype = _first_type(_TYPE_EN, norm)
            unit = en_unit(norm)
        if unit and qtype == "fact":
            qtype = "number"
        wants_day = qtype == "date" and bool(_DAY_Q.search(norm))
        return QuestionAnalysis(text, "zh" if zh else "en", tuple(groups), tuple(places), tuple(entities),
                                years, months, periods, days, tuple(measure), tuple(unit), qtype, numbers, unmapped,
                                wants_day, tuple(focus))

    # ------------------------------------------------------------------ Chinese

    def _chinese(self, text: str):
        norm = normalize(text)
        places = self._find(norm, self._places)
        named = self._find(norm, self._named)
        tagged = posseg(text)
        for word, kind in tag_names(text, tagged):  # names jieba knows that the corpus may not
            w = normalize(word)
            if kind and len(w) >= 2 and not any(w in p for p in places + named):
                (places if kind == "place" else named).append(w)
        for prev, word in zip(tagged, tagged[1:]):  # 修正药业, 小米集团: a name word and an organisation suffix
            if (word[0] in _ORG_SUFFIXES and len(prev[0]) >= 2 and prev[1][:1] in "nj"
                    and prev[0] not in QUESTION_WORDS and not prev[0].startswith(("多少", "哪", "什么"))):
                w = normalize(prev[0] + word[0])
                if not any(w in n for n in named + places):
                    named.append(w)
        for m in _QUOTED.finditer(text):
            q = normalize(m.group(1))
            if not any(q in n for n in named):
                named.append(q)
        for m in _LATIN_NAME.finditer(text):
            w = normalize(m.group(0))
            if len(w) >= 2 and not re.fullmatch(r"[a-z]?\d+", w):
                named.append(w)
        covered = places + named
        groups: list[TermGroup] = []
        seen: set[str] = set()
        for name in covered:
            kind = "place" if name in places else "entity"
            groups.append(TermGroup(name, (name,), self.weight((name,) if self.doc_freq(name) else (), name), kind))
            seen.add(name)
        for tok in tokenize(text):
            if tok in seen or tok in QUESTION_WORDS or re.fullmatch(r"(?:19|20)\d\d", tok):
                continue
            if any(tok in c for c in covered):
                continue
            seen.add(tok)
            # a word the index never saw as a token may still stand inside the articles' text (jieba cuts
            # differently in context), so it is matched as a substring at the weight of a rare word
            df = self.doc_freq(tok)
            weight = self.idf(tok) if df else math.log(1 + (self.n_docs - 0.5) / 1.5)
            groups.append(TermGroup(tok, (tok,), weight, near=self.knowledge.near_words(tok)))
        place_groups = [g for g in groups if g.kind == "place"]
        entity_groups = [g for g in groups if g.kind == "entity"]
        terms = {g.source: g for g in groups if g.kind == "term"}
        measure = _zh_measure(tagged, set(terms))
        focus = tuple(terms[w] for w in _zh_focus(tagged, set(terms)))
        return groups, place_groups, entity_groups, measure, focus

    @staticmethod
    def _find(norm: str, names: list[str]) -> list[str]:
        found: list[str] = []
        for name in names:  # longest first: 钦州市 before 钦州
            if name in norm and not any(name in f for f in found):
                found.append(name)
        return found

    # ------------------------------------------------------------------ English

    def _lookup(self, words: list[str], lemmas: list[str], i: int, name_like: bool
                ) -> tuple[tuple[int, tuple[str, ...]] | None, bool]:
        """The corpus words for the English words from ``i``: ``((n words used, alternatives), from_names)``."""
        lex, pinyin = self.knowledge.lexicon, self.knowledge.pinyin
        hit = None
        for n in (3, 2, 1):  # the longest gloss first: "net profit" before "profit"
            if n > len(words) - i:
                continue
            for form in _forms(lemmas[i:i + n]):
                if form in lex:
                    hit = (n, tuple(lex[form]))
                    break
            if hit:
                break
        if hit is None or (name_like and words[i].lower() in pinyin):
            for n in (2, 1):  # a name in pinyin: "Qinzhou", "Xi an", "Jiwei Wulian"
                key = "".join(x.lower() for x in words[i:i + n])
                if n <= len(words) - i and key in pinyin:
                    return (n, tuple(pinyin[key])), True
        return hit, False

    def _english(self, text: str):
        lex = self.knowledge.lexicon
        words = []
        for w in _EN_WORD.findall(text):
            w = _POSSESSIVE.sub("", w)  # Wanglaoji's -> Wanglaoji (a lone "s" would be read as a word)
            # a hyphenated word the lexicon lacks is read as its parts ("Yangtze-to-Huaihe", "China-made")
            words += [p for p in w.split("-") if p] if "-" in w and lemma(w) not in lex else [w]
        lemmas = [lemma(w) for w in words]
        groups: list[TermGroup] = []
        unmapped: list[str] = []
        i = 0
        capital_first = True
        while i < len(words):
            w, low = words[i], lemmas[i]
            if low in QUESTION_WORDS or low in STOPWORDS or (w.lower() in QUESTION_WORDS):
                i += 1
                capital_first = False
                continue
            if re.fullmatch(r"(?:19|20)\d\d", w) or re.fullmatch(r"\d+(?:\.\d+)?%?", w):
                if not re.fullmatch(r"(?:19|20)\d\d", w):
                    groups.append(TermGroup(w, (w.lower(),), 1.0))
                i += 1
                continue
            if low in _EN_TIME:  # calendar words are read by rag.text.timeexpr
                i += 1
                continue
            name_like = (w[:1].isupper() and (i > 0 or not capital_first)) or (len(w) >= 2 and w.isupper())
            hit, from_names = self._lookup(words, lemmas, i, name_like)
            if hit is None:
                if name_like or (len(w) >= 2 and w.isupper()):
                    # a name no corpus word expresses: Chinese articles often print Latin names and
                    # acronyms as they are (GE, TechInsights), so it is looked for as written
                    unmapped.append(w)
                    latin = (w.lower(),)
                    groups.append(TermGroup(w, latin, self.weight(latin if self.doc_freq(w.lower()) else (), w),
                                            "entity"))
                elif len(w) > 2:
                    # a lower-case word the lexicon misses is more likely a verb form ("ran") than a concept
                    unmapped.append(w)
                    groups.append(TermGroup(w, (), math.log(1 + self.n_docs) / 2, "term"))
                i += 1
                continue
            n, alternatives = hit
            source = " ".join(words[i:i + n])
            kinds = {self.knowledge.kind(a) for a in alternatives}
            if "place" in kinds:
                kind = "place"
            elif from_names or (name_like and kinds & {"org", "person", "name"}):
                kind = "entity"
            else:
                kind = "term"
            near = tuple(dict.fromkeys(w for a_ in alternatives for w in self.knowledge.near_words(a_)))
            groups.append(TermGroup(source, alternatives, self.weight(alternatives, source), kind, near))
            i += n
        places = [g for g in groups if g.kind == "place"]
        entities = [g for g in groups if g.kind == "entity"]
        return groups, places, entities, _en_measure(words, groups), tuple(unmapped)


def _forms(lemmas: list[str]) -> list[str]:
    """Keys to look up for English words: as they are, then with -ing/-ed taken off the last one."""
    key = " ".join(lemmas)
    last = lemmas[-1]
    out = [key]
    for suffix, repl in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", "")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            out.append(" ".join(lemmas[:-1] + [last[: -len(suffix)] + repl]))
    return out


def _en_measure(words: list[str], groups: list[TermGroup]) -> tuple[str, ...]:
    """The thing asked: the term group right after "how many/much", else the last term group before the
    first preposition after the interrogative ("the contract value of …" → value)."""
    lower = [w.lower() for w in words]
    terms = [g for g in groups if g.kind == "term" and g.words]
    if not terms:
        return ()
    position = {g.source.split()[0].lower(): g for g in terms}
    for i, w in enumerate(lower[:-1]):
        if w == "how" and lower[i + 1] in ("many", "much"):
            for nxt in lower[i + 2:i + 5]:
                if nxt in position:
                    return position[nxt].words
    last = None
    for w in lower[1:]:
        if w in _EN_MEASURE_END and last is not None:
            break
        if w in position:
            last = position[w]
    return (last or terms[0]).words


def _first_type(patterns: list[tuple[str, str]], text: str) -> str:
    return next((t for t, p in patterns if re.search(p, text, re.I)), "fact")


def _zh_measure(tagged: list[tuple[str, str]], terms: set[str]) -> tuple[str, ...]:
    """The noun asked about: the last content noun before the interrogative (出口额是多少 → 出口额), else the
    first after it (有多少家企业 → 企业)."""
    words = [w for w, _ in tagged]
    flags = [f for _, f in tagged]
    ask = _interrogative(tagged)
    if ask is None:
        return ()
    before = [w for w, f in zip(words[:ask], flags[:ask])
              if f[:1] in "nv" and normalize(w) in terms and normalize(w) not in _FOCUS_SKIP]
    after = [w for w, f in zip(words[ask + 1:], flags[ask + 1:]) if f[:1] == "n" and normalize(w) in terms]
    pick = before[-1:] or after[:1]
    return tuple(normalize(w) for w in pick)


_FOCUS_SKIP = frozenset("是 有 为 达 达到 实现 了 的 在 共 一共 总共 累计 约 到底 究竟 大概 大约 分别 各 其 该 这 那 "
                        "那个 这个 预计 计划 将 能 可 可以 需要 要 会 部分 具体 一 个 年 月 日 当年 全年 今年 去年"
                        .split())


def _interrogative(tagged: list[tuple[str, str]]) -> int | None:
    """The position of the question word (多少, 几, 哪一年, 什么, 谁 …); a name that starts like one (几江) is not."""
    return next((i for i, (w, f) in enumerate(tagged) if w in QUESTION_WORDS or (
        w.startswith(("多少", "几", "哪", "什么")) and not f.startswith(("ns", "nr", "nt", "nz")))), None)


def _zh_focus(tagged: list[tuple[str, str]], terms: set[str]) -> list[str]:
    """The question's words next to its interrogative: up to two content words (nouns or verbs) just before
    it and the first noun after it (占地多少平方米 → 占地, 哪一年投产 → 投产, 董事长是谁 → 董事长)."""
    words = [w for w, _ in tagged]
    flags = [f for _, f in tagged]
    ask = _interrogative(tagged)
    if ask is None:
        return []

    def content(i: int) -> bool:
        w = normalize(words[i])
        return (flags[i][:1] in "nv" and w in terms and w not in _FOCUS_SKIP and not flags[i].startswith("ns")
                and flags[i] != "q" and w not in ZH_UNITS)

    before = [normalize(words[i]) for i in range(ask - 1, max(ask - 5, -1), -1) if content(i)][:2]
    after = [normalize(words[i]) for i in range(ask + 1, min(ask + 4, len(words))) if content(i)][:1]
    return list(dict.fromkeys(before + after))
