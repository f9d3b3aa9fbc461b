"""Names in a sentence for the answer phrase: organisations, people and places the question does not give.

General Chinese news grammar only: organisation suffixes (公司, 集团, 银行 …) with an optional branch (上海分行),
cut after words that cannot stand inside a name (企业, 由, 与 …); jieba's person and place tags; the speaker
is the last person named before a verb of speech in its clause; a name in brackets or after 记者 is a byline.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from rag.text.tokenize import posseg

NAME_KINDS = {"person": ("nr",), "org": ("nt",), "place": ("ns",)}
_ORG = re.compile(r"[\u4e00-\u9fffA-Za-z0-9（）()]{2,20}?(?:有限公司|股份公司|公司|集团|银行|协会|委员会|研究院|大学|"
                  r"管委会|中心|局|厅|署)(?:[\u4e00-\u9fff]{2,4}?(?:分行|支行|分公司|子公司|有限公司|公司))?")
_NOT_IN_NAME = re.compile(r"[，,、：:；;“”\"]|企业|项目|由|与|和|及|的|在|是|为|将|已|从|向|对|同|跟|被|让|把|经|据|标示|作为")
_BYLINE = re.compile(r"记者|通讯员|编辑|摄影?|责编")
_SPEECH = frozenset("表示 说 介绍 指出 认为 称 坦言 透露 告诉 强调 谈到".split())
# titles a person's name follows (总统普京, 副团长某某): general Chinese news usage
_TITLE = re.compile(r"(?:总统|主席|总理|首相|部长|省长|市长|县长|区长|书记|院长|局长|主任|董事长|总经理|总裁|经理|团长|队长|"
                    r"教练|发言人|大使|议长|秘书长|会长|校长|顾问|负责人)$")
_KIND_WORD = re.compile(r"(?:企业|公司|集团|厂商|车企|药企|品牌)$")  # what a company is called in the text
_BREAK = re.compile(r"[，,；;。！？!?]")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


# an English question typed as a fact may still name the kind of name it asks (which government body):
# general English answer-type words, no corpus terms; places are left to the analysis (which area of a
# country is as often a description as a name)
_EN_KINDS = (("org", re.compile(r"\b(?:which|what)\s+(?:[a-z-]+\s+){0,2}?(?:body|agency|ministry|department|bureau|"
                                r"authority|regulator|company|firm|group|bank|organi[sz]ation|institution|university|"
                                r"airline|carrier|enterprise|operator)\b", re.I)),)


def asked_kind(qtype: str, question: str) -> str | None:
    """The kind of name asked ("person", "org", "place"): the question type when it is one, else the kind an
    English question's which-phrase names; None when no name is asked."""
    if qtype in NAME_KINDS:
        return qtype
    if qtype == "fact":
        return next((kind for kind, pattern in _EN_KINDS if pattern.search(question)), None)
    return None


def name_spans(kind: str, sentence: str, given: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Spans of the names of ``kind`` ("person", "org", "place") in ``sentence`` that ``given`` does not
    reject, in sentence order; for a person the speaker alone when there is one."""
    if kind == "org":
        orgs = []
        for m in _ORG.finditer(sentence):
            # the name starts after the last word that cannot be inside one (存量企业重庆某某有限公司, 与某某公司)
            cut = max((c.end() for c in _NOT_IN_NAME.finditer(m.group(0)[:-2])), default=0)
            if len(m.group(0)) - cut >= 4 and not given(m.group(0)[cut:]):
                orgs.append((m.start() + cut, m.end()))
        orgs = orgs or [sp for sp in _short_names(sentence) if not given(sentence[sp[0]:sp[1]])]
        if orgs:
            return orgs
    spans, pos = [], 0
    for word, flag in posseg(sentence):
        start = sentence.find(word, pos)
        pos = start + len(word) if start >= 0 else pos
        spans.append((start, word, flag))
    if kind == "person":
        spans = [sp for sp in _people(spans) if not byline(sentence, sp[0])]
        # 总经理孙某表示, 普京当天在某地表示: the last name before a verb of speech in its clause is the speaker
        last = None
        for start, word, flag in spans:
            if _BREAK.fullmatch(word or " "):
                last = None
            elif start >= 0 and flag == "nr" and (2 <= len(word) <= 4 or "·" in word) and not given(word):
                last = (start, start + len(word))
            elif word in _SPEECH and last:
                return [last]
    # a place just before a place the question names qualifies it (广州 in 广州南沙港), it does not answer
    return [(start, start + len(word)) for i, (start, word, flag) in enumerate(spans)
            if start >= 0 and flag in NAME_KINDS[kind] and len(word) >= 2 and not given(word)
            and not (kind == "place" and i + 1 < len(spans) and _CJK_WORD.fullmatch(spans[i + 1][1])
                     and given(spans[i + 1][1]))]


def _short_names(sentence: str) -> list[tuple[int, int]]:
    """Companies named without a suffix, by where news writing puts them: right after the word for what they
    are (龙头企业某某物联凭借…: up to the first verb or preposition of two characters), and before 等 + that
    word (依托某为、某某等头部企业, 某某精密等8家企业: the items back to a verb or a break)."""
    words, pos = [], 0
    for word, flag in posseg(sentence):
        start = sentence.find(word, pos)
        pos = start + len(word)
        words.append((start, word, flag))
    out = []
    for i, (start, word, flag) in enumerate(words):
        if _KIND_WORD.search(word) and i + 1 < len(words) and words[i + 1][2][:1] in ("n", "e", "j"):
            j = i + 1
            while j < len(words) and not (len(words[j][1]) >= 2 and words[j][2][:1] in ("v", "p", "d", "a")) \
                    and not _BREAK.fullmatch(words[j][1]) and words[j][1] not in "“”、的":
                j += 1
            end = words[j][0] if j < len(words) else len(sentence)
            if 2 <= end - words[i + 1][0] <= 6:
                out.append((words[i + 1][0], end))
        if word == "等" and any(_KIND_WORD.search(w) for _, w, _ in words[i + 1:i + 4]):
            j = i
            while j > 0 and (words[j - 1][1] == "、" or words[j - 1][2][:1] in ("n", "e", "j", "a")) \
                    and not _BREAK.fullmatch(words[j - 1][1]):
                j -= 1
            run = sentence[words[j][0]:start] if j < i else ""
            cursor = words[j][0] if j < i else start
            for item in run.split("、"):
                if 2 <= len(item) <= 8:
                    out.append((cursor, cursor + len(item)))
                cursor += len(item) + 1
    return sorted(set(out))


def _people(spans: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """jieba's words with the person names it misses joined and tagged nr: a name written with a middle dot
    (阿卜杜勒·拉希德), and the name right after a title (总统普京, 副团长亚力桑德罗)."""
    out: list[tuple[int, str, str]] = []
    i = 0
    while i < len(spans):
        start, word, flag = spans[i]
        nxt = spans[i + 1] if i + 1 < len(spans) else (0, "", "")
        titled = bool(out) and _TITLE.search(out[-1][1]) is not None and (
            flag.startswith(("nr", "ns", "nz")) or flag == "n" and nxt[2].startswith("nr") and not _TITLE.search(nxt[1]))
        if _TITLE.search(word):
            out.append((start, word, "n"))  # 顾问 is no one's name
            i += 1
            continue
        if flag.startswith(("nr", "ns", "nz", "n")) and (titled or nxt[1] == "·"):
            j, name = i + 1, word
            # jieba cuts a transliterated name into pieces (阿列克 桑): a short piece or a lone character joins it
            while j < len(spans) and (spans[j][1] == "·" or (spans[j][2].startswith(("nr", "nz", "n")) and (
                    len(name.rsplit("·", 1)[-1]) < 3 or len(spans[j][1]) == 1 and spans[j][2] != "n"))):
                name += spans[j][1]
                j += 1
            if len(name) <= 12 and not name.endswith("·") and (titled or "·" in name):
                out.append((start, name, "nr"))
                i = j
                continue
        out.append(spans[i])
        i += 1
    return out


def byline(sentence: str, start: int) -> bool:
    """A name in brackets or after 记者/通讯员 (（记者 王某）, (郭某 朱某)) signs the article; it answers nothing."""
    before = sentence[max(0, start - 12):start]
    opened = before.rfind("（") > before.rfind("）") or before.rfind("(") > before.rfind(")")
    return opened or bool(_BYLINE.search(sentence[max(0, start - 4):start]))


_CREDIT_LABEL = re.compile(r"^[\s（(【\[]*(?:本版图文由|图文由|图片由|报告执笔[:：]|执笔[:：]|文[/／]图[:：]?|文[:：]|图[:：]|"
                           r"记者|通讯员|摄影?[:：]?|编辑[:：]?|责编[:：]?|制图[:：]?)?\s*")
_CREDIT_TAIL = re.compile(r"\s*(?:提供|供图|摄|报道|整理)?\s*[）)】\]]*\s*$")


def credit_span(line: str) -> tuple[int, int] | None:
    """The names of a credit line, without its label and brackets: （记者 某甲 某乙） → 某甲 某乙, 本版图文由某甲、某乙
    提供 → 某甲、某乙, 某甲 某某研究院研究员 → 某甲 (a name before its title), 执笔：某甲；成员：… → 某甲 (the first of
    several roles); None when nothing is left."""
    start = _CREDIT_LABEL.match(line).end()
    end = _CREDIT_TAIL.search(line, start).start()
    end = min(end, *(i for i in (line.find("；", start), line.find(";", start)) if i > 0), end)  # 执笔：某甲；成员：…
    reporter = line.rfind("记者", start, end)
    if reporter >= 0:  # 某某日报记者某甲: the reporter, not the paper
        start = reporter + 2 + len(line[reporter + 2:end]) - len(line[reporter + 2:end].lstrip())
    text = line[start:end]
    words = text.split()
    if len(words) > 1 and len(words[0]) <= 4 and any(len(w) > 5 for w in words[1:]):
        end = start + len(words[0])  # 某甲 中共某区委副书记: the name, not the title after it
    return (start, end) if end - start >= 2 else None

