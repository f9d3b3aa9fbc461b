"""Chinese names written in pinyin: "Jiwei Wulian" in an English question is 积微物联 in the article.

No glossary can list every company, village and person in a corpus, but an
English question spells them in toneless pinyin. The index's own BM25
vocabulary is read back in pinyin once; runs of one to three question words
that spell a vocabulary word exactly ("xiaonanya", "jiwei wulian") are replaced
by it. Matching whole vocabulary words keeps ordinary English out: "change" or
"panda" would only match if the corpus had a word pronounced so.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,8}")
_LATIN = re.compile(r"[a-z]+")
_MAX_WORDS = 3  # "mixue bingcheng", "chi yong", "zhuan jing te xin" is rarer


class PinyinNames:
    """Toneless pinyin → the corpus words spelled so (homophones keep every spelling)."""

    def __init__(self, vocabulary: Iterable[str]):
        from pypinyin import lazy_pinyin  # a core dependency; imported here to keep `import rag` light

        self._table: dict[str, list[str]] = {}
        for word in vocabulary:
            if _CJK_WORD.fullmatch(word):
                self._table.setdefault("".join(lazy_pinyin(word)), []).append(word)

    def __len__(self) -> int:
        return len(self._table)

    def spells(self, words: list[str]) -> bool:
        """Do ``words`` together spell a corpus word ("Chi Yong" → 池勇)?"""
        return "".join(w.lower() for w in words) in self._table

    def terms(self, text: str) -> list[str]:
        """Chinese words for the pinyin in ``text``, longest run of words first, each word used once."""
        text = re.sub(r"['’]s\b", " ", text.lower())  # "Jiwei Wulian's", but "Xi'an" is xian
        words = _LATIN.findall(text.replace("'", "").replace("’", ""))
        found: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
                spelled = self._table.get("".join(words[i : i + n]))
                if spelled:
                    found.extend(w for w in spelled if w not in found)
                    i += n
                    break
            else:
                i += 1
        return found
