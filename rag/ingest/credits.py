"""Who wrote an article or supplied its pictures: credit lines, and questions that ask for them.

News pages end with bylines ("罗晶 王琳琳 马菱涛"), picture credits
("图片由某区委宣传部提供", "本版图文由…提供") and report credits ("【报告执笔：…】").
They are facts about the article, not about the economy, so passage retrieval
ranks them poorly; a question that asks for them is answered from the article's
own credit lines, cited at their exact span.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_CJK_NAME = r"[\u4e00-\u9fff]{2,3}"
_SP = r"[ \t\u3000]"
# a line of nothing but two to seven 2-3 character words: a byline, if jieba sees a person in it
_NAMES_LINE = re.compile(rf"^{_SP}*({_CJK_NAME}(?:{_SP}+{_CJK_NAME}){{1,6}}){_SP}*$")
# a name and a party or government post: the author line of a commentary ("池勇 中共…副书记")
_AUTHOR_POST = re.compile(rf"^{_SP}*({_CJK_NAME}){_SP}+(?:中共|中国|[\u4e00-\u9fff]{{0,6}}(?:市|区|县|省))\S{{2,30}}"
                          rf"(?:书记|主任|部长|院长|教授|研究员|局长|区长|市长){_SP}*$")
_WRITER_LINE = re.compile(r"(?:记者|通讯员|执笔|作者|撰稿|撰文|文字|采写|^文[/／:：])")
_PICTURE_LINE = re.compile(r"(?:图文由|图片由|照片由|摄影|制图|供图|图片来源|^图[/／:：])")

_WHO = r"(?:谁|哪几位|哪位|哪些人|名字|姓名|叫什么|署名|提供|who|whose|\bname)"
_WRITER_Q = re.compile(r"署名|记者|作者|执笔|撰稿|谁写|写的|byline|reporter|journalist|author|who wrote|written by",
                       re.I)
_PICTURE_Q = re.compile(r"图文|图片|照片|摄影|配图|制图|photo|picture|image", re.I)
_WHO_Q = re.compile(_WHO, re.I)


@dataclass
class Credit:
    kinds: frozenset[str]  # "writer", "picture" or both ("【报告执笔：…】制图：…")
    text: str  # the line, exactly as in the source
    start: int
    end: int


def asks_for_credits(question: str) -> str | None:
    """"writer" or "picture" when the question asks who wrote the article or supplied its pictures."""
    if not _WHO_Q.search(question):
        return None
    if _WRITER_Q.search(question):
        return "writer"
    if _PICTURE_Q.search(question) and re.search(r"提供|谁|who|credit|by\b", question, re.I):
        return "picture"
    return None


def find_credits(source: str) -> list[Credit]:
    """Credit lines of an article, in order, with their spans in ``source``."""
    out: list[Credit] = []
    pos = 0
    for line in source.splitlines(keepends=True):
        start, text = pos, line.rstrip("\r\n")
        pos += len(line)
        stripped = text.strip()
        if not stripped or len(stripped) > 120:
            continue
        if len(stripped) <= 4:  # a bare "图片来源" names nobody
            continue
        offset = start + text.index(stripped)
        kinds = set()
        if _PICTURE_LINE.search(stripped):
            kinds.add("picture")
        if _WRITER_LINE.search(stripped) or _AUTHOR_POST.match(stripped) or (
                _NAMES_LINE.match(stripped) and _names_a_person(stripped)):
            kinds.add("writer")
        if kinds:
            out.append(Credit(frozenset(kinds), stripped, offset, offset + len(stripped)))
    return out


def _names_a_person(line: str) -> bool:
    from rag.text.tokenize import posseg

    words = line.split()
    tagged = sum(any(flag == "nr" for _, flag in posseg(w)) for w in words)
    return tagged * 2 >= len(words)  # most words are names: "工业强基 营商聚势" is not a byline


_EDITOR_LINE = re.compile(r"责任编辑|编辑[:：]|来源[:：]|记者\s*[\u4e00-\u9fff]{2,3}\s*摄|^\s*[(（]?完[)）]?\s*$")


def is_credit_line(sentence: str) -> bool:
    """A sentence that credits people or sources rather than stating a fact (a byline, a picture or
    editor credit); short sentences only, so a fact that mentions a reporter is not one."""
    s = sentence.strip()
    if len(s) > 60:
        return False
    return bool(_PICTURE_LINE.search(s) or _EDITOR_LINE.search(s) or (_WRITER_LINE.search(s) and len(s) <= 30))
