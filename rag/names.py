"""Names a question uses that the articles never mention, and companies it names that they do.

"How much has Foxconn invested in Jiangjin?" retrieves the closest investment
sentence, 巨湾技研's 72亿元, and a figure-and-place check passes it. The name is
the constraint: no article, glossary entry or pinyin spelling knows "Foxconn", so
the question is about something the articles do not cover. The same holds for
"比亚迪在江津…" in Chinese, and for a company the articles do name but in another
place ("Dongfeng Xiaokang … in Qingbaijiang": 东风小康 is a 江津 company), whose
answer must come from a passage that names it.
"""
from __future__ import annotations

import re
from functools import cached_property

from .crosslingual import _stem, english_phrases, glossary_words
from .places import PLACE_KEYS, PLACES
from .question import dictionary_companies
from .retrieve import Retriever
from .tokenize import STOPWORDS, normalize

# capitalised, but no name: the reader's world, not the articles'
_COMMON = frozenset("china chinese asia asian southeast europe european eurasia america american africa african sino "
                    "belt road express party communist sme smes hq ceo gm gdp i ok q1 q2 q3 q4 h1 h2 "
                    "mr ms mrs dr".split())
# lower-case words that stand where a subject would ("is being invested", "what was their combined investment")
_FUNCTION = frozenset("their its his her our your my they them he she we you being been having this that these "
                      "those some any all each both there here one ones also already still".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’&-][A-Za-z0-9]+)*")
# "How much has foxconn invested…", "How many cars did BYD export…": the subject of an action on money or goods
_SUBJECT = re.compile(r"\b(?:has|have|is|was|are|were|did|does|do|will)\s+([a-z][\w'’&-]*(?:\s+[a-z][\w'’&-]*)?)\s+"
                      r"(?:invest|spen[dt]|put|pour|sell|sold|build|built|open|export|employ|produc|make|made|pay|paid|"
                      r"sign)", re.I)
_ZH_PLACES = "|".join(sorted((k for keys in PLACES.values() for k in keys if not k.isascii()), key=len, reverse=True))
# "比亚迪在江津投资建厂花了多少钱？": a name, then 在 and one of the districts
_ZH_SUBJECT = re.compile(r"^(?:请问)?[,，\s]*([\u4e00-\u9fffA-Za-z]{2,8}?)在(?:" + _ZH_PLACES + ")")
_ZH_NOT_NAME = re.compile(r"[这那该哪谁啥和与跟都说里想要拿的了把被从落]|什么|公司|企业|集团|项目|基地")


class Names:
    """Name checks against one index: its text, its BM25 vocabulary and its pinyin spellings."""

    def __init__(self, retriever: Retriever):
        self.retriever = retriever

    @cached_property
    def _text(self) -> str:
        index = self.retriever.index
        return normalize("\n".join(index.doc_text(d) for d in index.docs))

    def unknown(self, query: str) -> str | None:
        """The first name in ``query`` that nothing in the articles, the glossary or pinyin accounts for."""
        if re.search(r"[\u4e00-\u9fff]", query):
            m = _ZH_SUBJECT.search(query)
            if m and not _ZH_NOT_NAME.search(m.group(1)) and normalize(m.group(1)) not in self._text:
                return m.group(1)
        words = list(_WORD.finditer(query))
        for i, m in enumerate(words):
            before = query[: m.start()].rstrip()
            capital = m.group(0)[0].isupper() and before and before[-1] not in ".?!:;\"'“‘(（-—"
            if capital and not self._explained(query, m) and not self._grounded(words, i):
                return m.group(0)
        for m in _SUBJECT.finditer(query):
            subject = [w for w in _WORD.finditer(m.group(1))]
            if subject and not any(self._grounded(subject, i) for i in range(len(subject))):
                return m.group(1)
        return None

    def _grounded(self, words: list[re.Match], i: int) -> bool:
        """Is the i-th word known: glossary, corpus word, place, pinyin alone or with a neighbour?"""
        written = re.sub(r"['’]s$", "", words[i].group(0).replace("’", "'"))
        word = written.lower()
        # of "AI-enabled", the name is "AI": a lower-case part is an ordinary word
        parts = [p for p in re.split(r"['&-]", written) if p]
        named = [p for p in parts if p[0].isupper()] or parts
        if self._known(word) or all(self._known(p.lower()) for p in named):
            return True
        pinyin = self.retriever.pinyin_names()
        names = [w.group(0).replace("’", "'").lower() for w in words]
        names = [re.sub(r"'s$", "", n).replace("'", "").replace("-", "") for n in names]
        return any(pinyin.spells(names[a:b]) for a in range(max(0, i - 2), i + 1)
                   for b in range(i + 1, min(len(names), a + 3) + 1))

    def _known(self, word: str) -> bool:
        if len(word) <= 1 or word.isdigit() or word in _COMMON or word in _FUNCTION or word in STOPWORDS:
            return True
        vocab = glossary_words()
        if word in vocab or _stem(word, vocab) in vocab or word in PLACE_KEYS or word in self._text:
            return True
        if self.retriever.pinyin_names().spells([word]):
            return True
        bm25 = self.retriever.index.bm25
        return bm25 is not None and bm25.term_id(word) is not None

    @staticmethod
    def _explained(query: str, m: re.Match) -> bool:
        """An alias in brackets explains a name: "Jiwei IoT (积微物联)", "Greater Bay Technology (GBT)"."""
        after, before = query[m.end() : m.end() + 3], query[: m.start()]
        inside = before.count("(") + before.count("（") > before.count(")") + before.count("）")
        return "(" in after or "（" in after or inside

    def companies(self, query: str) -> list[str]:
        """The article companies ``query`` names, in Chinese or through the glossary or pinyin (巨湾技研…)."""
        known = dictionary_companies()
        text = normalize(query)
        found = [name for name in known if name in text]
        if not re.search(r"[\u4e00-\u9fff]", query):
            terms = [t for _, ts in english_phrases(query) for t in ts] + self.retriever.pinyin_names().terms(query)
            found += [t for t in terms if t in known and t not in found]
        # one company, not its parts: 枢纽港 in 重庆枢纽港产业园 is the park again
        return [n for n in found if not any(n != m and n in m for m in found)]
