"""The slot of a Chinese question: the span of a sentence that stands where the interrogative stands.

A Chinese question keeps the word order of its answer: 种植了什么作物 is answered by 种植高品质水稻, 加大什么力度 by
加大减排力度, 由谁开发建设 by 由某某集团开发建设. The words on the two sides of the interrogative are found in
the sentence, and what lies between them, in one clause, is the answer. A determiner (什么, 哪些, 哪家 …)
heads a noun that belongs to the answer (哪些措施 → 信用监管等措施); a pronoun (谁, 哪里) is followed by what
happens, which does not. Also here: the cause a sentence gives, for a question asking why (受益于…, 源于…), and
the clause around a span, with how many words of what is asked it holds, to choose between citations.
"""
from __future__ import annotations

import re

from rag.search.analysis import QuestionAnalysis
from rag.text.tokenize import posseg

MAX_CHARS = 60
_DETERMINER = re.compile(r"什么样?的?|哪(?:些|个|家|种|类|项|位|座|所|国|条|款|几[个家项种类位]?)|何种|哪一[个家种类项位]")
_PRONOUN = re.compile(r"谁|哪里|哪儿|何处|何地")
# words that carry no content of their own beside an interrogative: skipped when looking for its neighbour
_LIGHT = frozenset("了 的 是 为 会 要 将 能 可以 可能 都 也 还 又 已 已经 主要 具体 分别 一些".split())
# one-character neighbours are prepositions (由谁, 向哪些): found only with the other side in the same clause
_COPULA = frozenset("是 为 叫 指 即".split())
_CLAUSE = re.compile(r"[^，,；;。！？!?：:\n]+")
_BREAK = re.compile(r"[，,；;。！？!?]")
_TRAIL = re.compile(r"的?(?:同时|时候|过程中|情况下|基础上)$")


def slot(question: str, sentence: str) -> tuple[int, tuple[int, int] | None]:
    """(sides met, span) of the filler of ``question``'s interrogative in ``sentence``: sides met is 2 when
    the words on both sides of it stand around the span in one clause, 1 when one side does; (0, None) when
    the question has no interrogative with a neighbour, or the sentence does not hold one."""
    tagged = posseg(question)
    words = [w for w, _ in tagged]
    at = next((i for i, w in enumerate(words) if _DETERMINER.fullmatch(w) or _PRONOUN.fullmatch(w)), None)
    if at is None:
        return 0, None
    if at and words[at - 1] in _COPULA:
        return 0, None  # 目标是什么: the subject is no neighbour of the answer in the sentence
    determiner = bool(_DETERMINER.fullmatch(words[at]))
    left = next((w for w in reversed(words[:at]) if w not in _LIGHT), "")
    left = left if re.fullmatch(r"[\u4e00-\u9fff]+", left) else ""
    right = _head(tagged[at + 1:]) if determiner else next((w for w in words[at + 1:] if w not in _LIGHT), "")
    right = right if re.fullmatch(r"[\u4e00-\u9fff]{2,}", right) else ""
    best: tuple[int, tuple[int, int] | None] = (0, None)
    for clause in _CLAUSE.finditer(sentence):
        text, base = clause.group(0), clause.start()
        for m in re.finditer(re.escape(left), text) if left else ():
            r = text.find(right, m.end() + 1) if right else -1
            if r >= 0:
                end = r + len(right) if determiner else r
                return 2, _trimmed(sentence, base + m.end(), base + end)
            if len(left) >= 2 and best[0] < 1:
                best = 1, _trimmed(sentence, base + m.end(), clause.end())
        if right and determiner and best[0] < 1 and not (left and left in text):
            r = text.find(right)
            if r >= 2:
                best = 1, _trimmed(sentence, base, base + r + len(right))
    return best if best[1] else (0, None)


def _head(tagged: list[tuple[str, str]]) -> str:
    """The last noun of the noun phrase a determiner opens (什么意识和能力 → 能力, 什么样的水运大动脉 → 大动脉):
    where the answer ends."""
    head = ""
    for word, flag in tagged:
        if flag.startswith("n") or flag == "vn":
            head = word
        elif word not in ("的", "和", "与", "及", "、") or not head and word != "的":
            break
    return head


def _trimmed(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without what only joins it to the clause (的同时); None when nothing or too much is left."""
    text = sentence[start:end]
    cut = _TRAIL.search(text)
    if cut:
        end -= len(cut.group(0))
    while start < end and sentence[start] in " 了的是为":
        start += 1
    return (start, end) if 2 <= end - start <= MAX_CHARS else None


# a question asking why, and the words that introduce a cause in a Chinese sentence
WHY = re.compile(r"为什么|为何|为啥|凭什么|原因|怎么会|\bwhy\b|\breasons?\b|what (?:made|helped|enabled|allowed|led)|"
                 r"\bhow (?:was|were|did|could) .{0,60}\bable\b", re.I)
_CAUSE = re.compile(r"(?:受益于|得益于|归功于|源于|源自|由于|因为|原因是|是因为|凭借|依托于?)\s*")


def cause(sentence: str) -> tuple[int, int] | None:
    """The span of the cause a sentence gives (受益于精准供地与优质服务 → 精准供地与优质服务): from the first word
    introducing a cause to the end of its clause; None when there is none or it is too long."""
    for m in _CAUSE.finditer(sentence):
        stop = _CLAUSE.match(sentence, m.end())
        if stop:
            span = _trimmed(sentence, m.end(), stop.end())
            if span:
                return span
    return None


def anchored(a: QuestionAnalysis, sentence: str, span: tuple[int, int]) -> int:
    """How many words of what is asked stand in the span's clause, or in the next one when the span is all its
    clause holds (a date heading: 2019年7月，某某班列开行)."""
    words = [w for w in dict.fromkeys(list(a.measure) + [w for g in a.focus for w in g.words]) if len(w) > 1]
    lo = max((m.end() for m in _BREAK.finditer(sentence, 0, span[0])), default=0)
    stop = _BREAK.search(sentence, span[1])
    hi = stop.start() if stop else len(sentence)
    if stop and not re.search(r"[\u4e00-\u9fff\w]", sentence[lo:span[0]] + sentence[span[1]:hi]):
        nxt = _BREAK.search(sentence, stop.end())
        hi = nxt.start() if nxt else len(sentence)
    return sum(w in sentence[lo:hi] for w in words)


def clause_around(sentence: str, span: tuple[int, int]) -> str:
    """The clause (between breaks) that holds ``span``."""
    lo = max((m.end() for m in _BREAK.finditer(sentence, 0, span[0])), default=0)
    stop = _BREAK.search(sentence, span[1])
    return sentence[lo:stop.start() if stop else len(sentence)]
