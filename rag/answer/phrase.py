"""The answer phrase: the exact span of a cited sentence that answers the question.

Found by general means from the question analysis (rag.search.analysis), in the first citation that holds a
span of the kind asked (for a name, only citations of the first one's article; for a date, the citation
whose date clause says what is asked, and a figure only when no citation dates):
- a rank (排第几, "where does it rank"): the ordinal (第18位, 第二大) nearest what is asked;
- a date: the date expression the question does not give, nearest what is asked (a day for 哪一天);
- a number (also a quantity asked in a part, amounts compared, a share): the figure (with its multiplier,
  unit, hedge 超过/约, range partner 10-15万辆 and 以上/左右/之间) that the question does not already write and
  that is not part of a date, ranked by: the unit asked; not being where a change starts (从4%上调至4.25%);
  the measure, then a focus word, in the figure's own stretch of text (from the previous figure or clause
  break to the next); how much of the question that stretch meets (places and names counting double); the
  distance to what is asked; with 分别, the figure in the place of the item asked. A count keeps the thing
  counted (56个国家);
- a person, an organisation or a place: rag.answer.phrase_names;
- a fact asked by name (主题是什么): the quotation after the word asked (主题是“……”); a name asked that is no
  person, organisation or place: the quotation right after a word of the question (海轮“某某”号).
Then, for a question asking why, the cause a citation gives (rag.answer.slot.cause); for a Chinese
question, the slot of its interrogative (rag.answer.slot: 种植了什么作物 → 种植高品质水稻); for "what does it
consist of / which ones", the explanation beside the clause naming it in any citation (after 即, an
enumerating bracket, a quoted list). Otherwise the first citation's clause that meets the most of the
question — the clauses it sums up (三项指标均…) for a which-ones question, the list it holds when it is too
long — when it is short enough; else no phrase, and the quoted sentence is the answer. The phrase is a span of
the source, so it is cited like any other text; ``en`` renders it (rag.answer.phrase_en) for an English
question.
"""
from __future__ import annotations

import re
from dataclasses import replace

from rag.answer.enumeration import DEFINE as _DEFINE
from rag.answer.enumeration import NAME_ASKED, enumeration
from rag.answer.enumeration import WHICH as _WHICH
from rag.answer.figures import COUNTERS as _COUNTERS
from rag.answer.figures import DATE as _DATE
from rag.answer.figures import HEDGE as _HEDGE
from rag.answer.figures import NOUN_MAX as _NOUN_MAX
from rag.answer.figures import ZH_DIGITS as _ZH_DIGITS
from rag.answer.figures import counted_noun as _counted_noun
from rag.answer.figures import zh_figures as _zh_figures
from rag.answer.phrase_en import phrase_en
from rag.answer.phrase_names import NAME_KINDS, asked_kind, name_spans
from rag.answer.slot import WHY, anchored, cause, clause_around, slot
from rag.answer.types import Citation
from rag.search.analysis import QuestionAnalysis
from rag.text.timeexpr import years_in
from rag.text.tokenize import normalize
from rag.text.units import FIGURE, MULTIPLIERS, RANGE_DASH

MAX_CHARS = 60
_RANGE = re.compile(rf"\s*{RANGE_DASH}\s*$")
_RANGE_AFTER = re.compile(rf"\s*{RANGE_DASH}\s*")
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")
_TIME_UNITS = ("年", "月", "日", "天", "小时", "分钟", "秒", "周")
_BREAK = re.compile(r"[，,；;。！？!?]")
_SENTENCE_END = re.compile(r"[。！？!?]")
_CLAUSE_BREAK = 12  # a figure in another clause is as far as one twelve characters away in the same clause
_SUBJECT = 2.0  # a place or name of the question beside a figure says whose figure it is: it counts double
_RANK_ZH = re.compile(r"排第几|排名|第几|位列|位居|名次")
_RANK_EN = re.compile(r"\brank(?:ed|s|ing)?\b|\bposition\b|\bplace[ds]?\b.{0,30}\b(?:nationally|nationwide|in china)", re.I)
# a part of the question asking a quantity (为什么……能新增多少产能): the figure answers it
_QUANTITY = re.compile(r"多少|多久|多长时间|几[个家项台次天年倍成]|\bhow (?:much|many|long|fast)\b|\bby how much\b|"
                       r"哪个(?:多|高|大|快|长|短|少|低)|哪边.{0,6}(?:多|高|大|快)|更(?:多|高|大|快|短)|"  # an amount compared
                       r"\b(?:more|fewer|larger|bigger|higher|faster|shorter)\b.{0,80}\bor\b|\bcompare\b", re.I)
_FROM = re.compile(r"从(?:之前的|原来的|原先的|此前的|过去的)?\s*$")
_CHANGE_TO = re.compile(r"[^，,。；;]{0,6}?(?:上调|下调|提高|降低|增加|减少|增长|下降|压缩|缩短|延长|扩大|升|降|增|减)(?:了)?(?:至|到)")
_SHARE = re.compile(r"比重|份额|所占|占[^，,。？?]{0,8}的?比例|\bshare of\b|\bproportion\b|\bpercentage\b", re.I)
_TIME_ASKED = re.compile(r"时间|时效|用时|耗时|多久|多长|快了?多少|\btime\b|\bfaster\b|\bquicker\b|how long|how quickly",
                         re.I)
_HOW_MUCH = re.compile(r"\bhow (?:much|many)\b", re.I)
_ORDINAL = re.compile(rf"第(?:\d+|[{_ZH_DIGITS}]+)(?:位|名|站|次|届|期|批|个|号|轮|家|季|大)?")
_EXPLAIN_START = re.compile(r"^\s*(?:即|也就是|也即|包括|主要包括|具体包括|分别是|分别为|涵盖)")
_SAID_IS = re.compile(r"\s*(?:是|为|叫|：|:)\s*[“\"「]([^”\"」]{2,40})[”\"」]")
_QUOTED = re.compile(r"[“\"「]([^”\"」]{3,60})[”\"」]")
# a clause summing up the clauses before it: 三项指标均居全市第一, 以上两者都
_SUMMED = re.compile(r"\s*(?:以上|上述|这|此)?([2-9]|[二两三四五六七八九])(?:项|个|家|者|类|条|方面)[\u4e00-\u9fff]{0,6}?(?:均|都|皆|全部|同时)")
_PAREN = re.compile(r"[（(]([^（）()]{2,60})[）)]")


def answer_phrase(analysis: QuestionAnalysis, citations: list[Citation]) -> dict | None:
    """``{"text", "citation", "doc_id", "start", "end", "en"}`` for the phrase, or None.

    The phrase comes from the first citation that holds a span of the kind asked (a figure with the unit
    asked, a date, a name); when none does, from the first citation's best clause. ``en`` is the exact English
    rendering (rag.text.english) for an English question, when there is one."""
    if not citations:
        return None
    if not analysis.unit and _SHARE.search(analysis.text):  # 所占比重: a rate, though the analysis reads no unit
        analysis = replace(analysis, unit=("%", "个百分点"))
    given = _given(analysis)
    typed = []
    for cite in citations:
        if analysis.type in NAME_KINDS and cite.doc_id != citations[0].doc_id:
            continue  # a name from another article is another story's name
        span = _typed(analysis, cite.text, given)
        if span is not None:
            typed.append((cite, span))
    if analysis.type == "date":  # a cited date, the one whose clause says what is asked first; a figure last
        dates = [f for f in typed if _DATE.search(f[0].text, *f[1])]
        best = max((anchored(analysis, c.text, sp) for c, sp in dates), default=0)
        typed = [f for f in dates if best and anchored(analysis, f[0].text, f[1]) == best] + dates + typed
    found = typed[0] if typed else _caused(analysis, citations) or _slot_span(analysis, citations) \
        or _explained(analysis, citations)
    if found is None:
        span = _find(analysis, citations[0].text)
        if span is None:
            return None
        found = citations[0], span
    cite, (s, e) = found
    text = cite.text[s:e].strip()
    if not text or len(text) > MAX_CHARS:
        return None
    s += cite.text[s:e].index(text)
    return {"text": text, "citation": cite.n, "doc_id": cite.doc_id, "start": cite.start + s,
            "end": cite.start + s + len(text), "en": phrase_en(analysis, text) if analysis.language == "en" else None}


def _slot_span(a: QuestionAnalysis, citations: list[Citation]) -> tuple[Citation, tuple[int, int]] | None:
    """The filler of the question's slot (rag.answer.slot): one that meets the words on both sides of the
    interrogative before one that meets a side, then the one whose clause meets the most of the question."""
    found = [(fit, cite, span) for cite in citations for fit, span in [slot(a.text, cite.text)] if span]
    if not found:
        return None
    # max keeps the first of equals: citation order
    _, cite, span = max(found, key=lambda f: (f[0], _clause_score(a, clause_around(f[1].text, f[2]))))
    return cite, span


def _caused(a: QuestionAnalysis, citations: list[Citation]) -> tuple[Citation, tuple[int, int]] | None:
    """For a question asking why: the first citation's cause (rag.answer.slot.cause: 受益于…, 源于…)."""
    return next(((c, sp) for c in citations if (sp := cause(c.text))), None) if WHY.search(a.text) else None


def _explained(a: QuestionAnalysis, citations: list[Citation]) -> tuple[Citation, tuple[int, int]] | None:
    """The first citation's explanation of what the question asks to spell out (_explanation)."""
    return next(((c, sp) for c in citations if (sp := _explanation(a, c.text))), None)


def _find(a: QuestionAnalysis, sentence: str) -> tuple[int, int] | None:
    """The phrase's span in one sentence: the span of the kind asked, else the explanation or the best clause."""
    return _typed(a, sentence, _given(a)) or _explanation(a, sentence) or _clause(a, sentence)


def _given(a: QuestionAnalysis) -> tuple[str, frozenset[str]]:
    """What the question already says: its text and, for an English question, the corpus words it maps to."""
    words = {w for g in a.groups for w in g.words if len(w) >= 2} if a.language == "en" else set()
    return normalize(a.text), frozenset(words)


def _is_given(text: str, given: tuple[str, frozenset[str]]) -> bool:
    word = normalize(text)
    return word in given[0] or word in given[1]


def _typed(a: QuestionAnalysis, sentence: str, given) -> tuple[int, int] | None:
    """The span of the kind asked: a rank, a date, a figure with the unit asked, a name; None when there is none."""
    if _WHICH.search(a.text) and a.type != "date":
        return None  # 哪几家医院: the names, not their count
    if _RANK_ZH.search(a.text) or (a.language == "en" and _RANK_EN.search(a.text) and not _HOW_MUCH.search(a.text)):
        span = _nearest(a, sentence, [m.span() for m in _ORDINAL.finditer(sentence)])
        if span:
            return span
    if a.type == "date":
        dates = [m for m in _DATE.finditer(sentence) if not _is_given(m.group(0), given)
                 and not (re.fullmatch(r"\d{4}年", m.group(0)) and m.group(0)[:4] in a.years)]
        if a.wants_day and any(re.search(r"[日号]", m.group(0)) for m in dates):  # 哪一天: a day, not a month
            dates = [m for m in dates if re.search(r"[日号]", m.group(0))]
        span = _nearest(a, sentence, [m.span() for m in dates])
        if span:
            return span
    if a.type in ("number", "date") or (a.unit and a.type != "list") or (a.type not in NAME_KINDS and _QUANTITY.search(a.text)):
        return _figure(a, sentence)
    if a.type == "fact":  # 主题是“互联互通，共享繁荣”: what the word asked is called, in quotes after it
        for w in dict.fromkeys(list(a.measure) + [w for g in a.focus for w in g.words]):
            for m in re.finditer(re.escape(w), sentence) if len(w) > 1 else ():
                said = _SAID_IS.match(sentence, m.end())
                if said:
                    return said.start(1), said.end(1)
    if kind := asked_kind(a.type, a.text):
        return _name(a, kind, sentence, given)
    if a.type == "fact" and NAME_ASKED.search(a.text):  # 海轮“创新5”号: a name quoted right after what it names
        words = [w for g in a.groups for w in g.words if len(w) > 1]
        quotes = [q.span(1) for q in _QUOTED.finditer(sentence) if len(q.group(1)) <= 30
                  and not _is_given(q.group(1), given) and any(sentence.endswith(w, 0, q.start()) for w in words)]
        return _nearest(a, sentence, quotes)
    return None


def _nearest(a: QuestionAnalysis, sentence: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    if not spans:
        return None
    gap = _gap_to(a, sentence)
    return min(spans, key=lambda sp: (gap(*sp), sp[0]))


def _gap_to(a: QuestionAnalysis, sentence: str):
    words = set(a.measure) | {w for g in a.focus for w in g.words}
    anchors = [m.span() for w in words if w for m in re.finditer(re.escape(w), sentence)]

    def gap(s: int, e: int) -> float:
        """Characters between a span and the nearest word of what is asked; a clause break counts extra."""
        best = float(len(sentence))
        for ws, we in anchors:
            lo, hi = (we, s) if ws < s else (e, ws)
            between = sentence[lo:hi] if lo < hi else ""
            best = min(best, max(hi - lo, 0) + _CLAUSE_BREAK * len(_BREAK.findall(between)))
        return best
    return gap


def _clause_score(a: QuestionAnalysis, text: str, min_len: int = 1, names: float = 1.0) -> float:
    """The weight of the question's term groups met in ``text`` (words shorter than ``min_len`` ignored, places
    and names counted ``names`` times)."""
    text = normalize(text)
    return sum(g.weight * (names if g.kind in ("place", "entity") else 1.0) for g in a.groups
               if any(len(w) >= min_len and w in text for w in g.words))


def _best_clause(a: QuestionAnalysis, sentence: str) -> tuple[list[re.Match], int] | None:
    """The clauses (between commas) of ``sentence`` and the index of the one that meets the most of the
    question's weighted terms; for a list question, a clause that enumerates (两个以上顿号) outranks one that
    only repeats the question."""
    clauses = list(_CLAUSE.finditer(sentence))
    best, best_score = None, 0.0
    top = max((g.weight for g in a.groups), default=1.0)
    for i, m in enumerate(clauses):
        score = _clause_score(a, m.group(0))
        if a.type == "list" and m.group(0).count("、") >= 2:
            score += 2 * top
        if score > best_score:
            best, best_score = i, score
    return None if best is None else (clauses, best)


def _clause(a: QuestionAnalysis, sentence: str) -> tuple[int, int] | None:
    """The best clause, when it is short enough to be a phrase: for facts, lists and reasons the answer is
    usually the clause naming its subject."""
    best = _best_clause(a, sentence)
    if best is None:
        return None
    m = best[0][best[1]]
    summed = _SUMMED.match(m.group(0))
    if summed and (a.type == "list" or _WHICH.search(a.text) or _DEFINE.search(a.text)):
        n = int(summed.group(1)) if summed.group(1).isdigit() else "零一二三四五六七八九".find(summed.group(1).replace("两", "二"))
        before = best[0][best[1] - n:best[1]] if 2 <= n <= best[1] else []
        if before and before[-1].end() - before[0].start() <= MAX_CHARS:
            return before[0].start(), before[-1].end()  # 三项指标均居第一: the three clauses before it
    if m.end() - m.start() > MAX_CHARS and (run := enumeration(m.group(0))):
        return m.start() + run[0], m.start() + run[1]  # a clause too long to quote: the list it holds
    if not 4 <= m.end() - m.start() <= MAX_CHARS:
        return None
    return m.start(), m.end()


def _explanation(a: QuestionAnalysis, sentence: str) -> tuple[int, int] | None:
    """For a question asking what something consists of or which ones: the explanation written beside what it
    names — an enumerating parenthesis in a clause that meets the question (“4+1”片区（四个街道和一个镇）), the
    best meeting one first; else the clause after the best clause when that starts with 即/包括/分别是."""
    if a.type != "list" and not _DEFINE.search(a.text):
        return None
    best = _best_clause(a, sentence)
    if best is None:
        return None
    clauses, i = best
    parens = [(_clause_score(a, m.group(0)), m.start() + p.start(1), m.start() + p.end(1))
              for m in clauses for p in _PAREN.finditer(m.group(0)) if re.search(r"[、和及与]", p.group(1))]
    words = [w for g in a.groups for w in g.words if len(w) > 1]
    # “工业强基、营商聚势”三向发力: a quoted list written right before or after the name it spells out
    parens += [(_clause_score(a, m.group(0)), m.start() + q.start(1), m.start() + q.end(1))
               for m in clauses for q in _QUOTED.finditer(m.group(0)) if "、" in q.group(1)
               and not _is_given(q.group(1), _given(a))
               and any(m.group(0).startswith(w, q.end()) or m.group(0).endswith(w, 0, q.start()) for w in words)]
    parens = [p for p in parens if p[0] > 0]
    if parens:
        _, s, e = max(parens, key=lambda p: (p[0], -p[1]))
        return s, e
    if i + 1 < len(clauses) and (lead := _EXPLAIN_START.match(clauses[i + 1].group(0))):
        nxt = clauses[i + 1]
        if nxt.end() - nxt.start() - lead.end() <= MAX_CHARS:
            return nxt.start() + lead.end(), nxt.end()
    return None


def _given_figure(a: QuestionAnalysis, num: str, mult: str) -> bool:
    """The question already writes this figure (10 in 10亿 is not the 10 of 10个)."""
    if a.language != "zh":
        return num in a.numbers
    after = "" if mult else rf"(?!\s*(?:{'|'.join(MULTIPLIERS)}))"
    return re.search(rf"(?<![\d.]){re.escape(num)}\s*{re.escape(mult)}{after}(?![\d.])", normalize(a.text)) is not None


def _stretch(sentence: str, found: list, i: int) -> str:
    """The figure's own stretch of text: from the previous figure or clause break to the next one."""
    s, e = found[i][0], found[i][1]
    lo = max([found[i - 1][1]] if i else [0])
    hi = found[i + 1][0] if i + 1 < len(found) else len(sentence)
    left = sentence[lo:s]
    right = sentence[e:hi]
    return _BREAK.split(left)[-1] + "|" + _BREAK.split(right)[0]


def _figure(a: QuestionAnalysis, sentence: str) -> tuple[int, int] | None:
    years = years_in(sentence)
    time_asked = any(u in _TIME_UNITS for u in a.unit) or bool(_TIME_ASKED.search(a.text))
    # a length of time may be written like a date's part (15天, 3年); a day of a month (6月15日) never is one
    dates = [m.span() for m in _DATE.finditer(sentence) if not time_asked or "月" in m.group(0)]
    every = _zh_figures(sentence)
    found = [(s, e, num, mult, unit) for s, e, num, mult, unit in every
             if not (num in years and (not unit or unit == "年")) and not _given_figure(a, num, mult)
             and (time_asked or unit not in _TIME_UNITS) and not any(ds <= s < de for ds, de in dates)
             and (num[0].isdigit() or (a.unit and unit in a.unit))]
    if any(f[2][0].isdigit() and _unit_ok(a, f[4]) for f in found):  # 两个, 数十家 only when no digits answer
        found = [f for f in found if f[2][0].isdigit()]
    if not found:
        return None
    if a.unit and not any(_unit_ok(a, f[4]) for f in found) and a.type not in ("number", "date"):
        return None
    gap = _gap_to(a, sentence)
    asked = {w for g in a.focus for w in g.words}
    stretch = {f[0]: normalize(_stretch(sentence, found, i)) for i, f in enumerate(found)}
    # the question's own figures beside a figure say which one it is (20亿到80亿元之间的项目 → 20亿元以上、80亿元以下项目20个)
    written = {m.group(1) + (m.group(2) or "") for m in FIGURE.finditer(normalize(a.text))
               if a.language == "zh" and not (m.group(1) in a.years and not m.group(2))}

    def rank(f: tuple) -> tuple:
        """The unit asked; a word of what is asked in the figure's own stretch (新增15万吨年产能 for 产能); then how
        much of the question that stretch meets (新增规模以上工业企业12家，新增小微企业40家: 12家 for
        规上工业企业); then the nearest to what is asked."""
        s, e, _, _, unit = f
        own = stretch[s]
        measured = any(w and w in own for w in a.measure)
        # with no unit asked, the measure beside a bare figure (出生人口数量为77.18万) outranks a unit elsewhere
        # 从5%上调至5.25%: the figure a change starts from is not where it stands
        start = bool(_FROM.search(sentence, 0, s)) and bool(_CHANGE_TO.match(sentence, e))
        return (not _unit_ok(a, unit), start, not (unit or (measured and not a.unit)), not measured,
                not any(len(w) > 1 and w in own for w in asked), -sum(f in own for f in written),
                -_clause_score(a, own, 2, _SUBJECT), gap(s, e), s)

    s, e, _, _, unit = _respective(a, sentence, found, min(found, key=rank))
    figure = s, e
    # a range written as two figures (10-15万辆) is one answer
    before = sentence[:s]
    m = _RANGE.search(before)
    if m:
        prev = [f for f in every if f[1] == m.start()]
        if prev:
            s = prev[0][0]
    after = _RANGE_AFTER.match(sentence, e)
    if after:  # ... and so is 12亿元-17亿元 when the first figure was the one chosen
        nxt = [f for f in every if f[0] == after.end()]
        if nxt:
            e = nxt[0][1]
    ranged = (s, e) != figure
    if s and sentence[s - 1] == "第":  # an ordinal: 第18位
        s -= 1
    hedge = _HEDGE.search(sentence[:s])
    if hedge:  # 超过150家 is the claim, not 150家
        s = hedge.start()
    tail = re.match(r"以上|以下|左右|以内" + ("|之间" if ranged else ""), sentence[e:])
    if tail:  # 200公里以上, 10万至15万辆之间 is the claim
        e += tail.end()
    elif unit in _COUNTERS:
        e += _counted_noun(sentence[e:e + _NOUN_MAX + 4])
    return s, e


def _respective(a: QuestionAnalysis, sentence: str, found: list, best: tuple) -> tuple:
    """With 分别 (respectively), the figure in the place of the item the question names: 接待3.24亿人次、
    收入3735亿元，分别增长26.6%和29.3% gives 29.3% for 收入; else ``best``."""
    for m in re.finditer("分别", sentence):
        stop = _BREAK.search(sentence, m.end())
        after = [f for f in found if m.end() <= f[0] < (stop.start() if stop else len(sentence))]
        if best not in after or len(after) < 2 or any(re.search(r"[^、和及与\s]", sentence[x[1]:y[0]])
                                                     for x, y in zip(after, after[1:])):
            continue
        start = max((x.end() for x in _SENTENCE_END.finditer(sentence, 0, m.start())), default=0)
        items = [p for p in re.split(r"[、，,和及与]", sentence[start:m.start()]) if p.strip()][-len(after):]
        scores = [_clause_score(a, p, 2, _SUBJECT) for p in items]
        if len(items) == len(after) and max(scores) > 0 and scores.count(max(scores)) == 1:
            return after[scores.index(max(scores))]
    return best


def _unit_ok(a: QuestionAnalysis, unit: str) -> bool:
    return bool(a.unit) and bool(unit) and any(unit == u or unit.endswith(u) for u in a.unit)


def _name(a: QuestionAnalysis, kind: str, sentence: str, given) -> tuple[int, int] | None:
    """The name of the kind asked that the question does not give: the speaker for a person, the one nearest
    what is asked for an organisation or a place."""
    spans = name_spans(kind, sentence, lambda w: _is_given(w, given))
    if not spans:
        return None
    return spans[0] if kind == "person" else _nearest(a, sentence, spans)
