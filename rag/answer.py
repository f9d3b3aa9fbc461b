"""Cited answers: pick the sentences that answer the question, or refuse honestly.

The extractive answerer needs no LLM. It scores every sentence of the top
passages by embedding similarity (sentence vectors are in the index), lexical
overlap with the question and whether the sentence holds the kind of thing the
question asks for (a figure, a date, a name). It refuses when the best evidence
is weak or misses a hard constraint of the question (a year, a district).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from .credits import asks_for_credits, find_credits
from .evidence import Evidence, on_topic
from .places import DISTRICT_OF, question_places
from .question import DATE_Q, QUANTITY_Q, as_asked, has_content, question_years, resolve_followup
from .rerank import Candidate, SentenceWeights, score_sentences
from .retrieve import Hit, Retriever, clean_query
from .selection import Selector
from .tokenize import as_written, is_chinese, normalize, tokenize

# --------------------------------------------------------------------------- data


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    chunk_id: str
    text: str  # the supporting sentence(s), exactly as in the source
    start: int  # span of ``text`` in the source document
    end: int
    district: str = ""
    date: str = ""
    score: float = 0.0
    passage: str = ""  # the whole retrieved chunk, for context
    passage_start: int = 0
    passage_end: int = 0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    answer: str  # markdown, with [n] markers; key figures in **bold**
    answerable: bool
    mode: str = "extractive"
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # closest passages when refusing
    query: str = ""  # the question after follow-up resolution
    notice: str = ""  # e.g. "LLM unavailable, extractive answer shown"

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "answerable": self.answerable,
                "mode": self.mode, "citations": [c.to_json() for c in self.citations],
                "related": [c.to_json() for c in self.related], "query": self.query,
                "notice": self.notice}


@dataclass
class AnswerConfig:
    passages: int = 10  # retrieved passages whose sentences compete (6 → 10: the completion steps reach further)
    max_sentences: int = 3
    margin: float = 0.12  # further sentences must score within this of the best one
    # refusal thresholds on the best sentence, calibrated on eval/lugang.jsonl: similarity
    # (sentence cosine) and share of the question's weighted terms found in its passage
    min_dense_zh: float = 0.875  # 0.88 until session 5; twelve sets: 0.87–0.875 refuse nothing more, 0.86 does
    min_dense_en: float = 0.72  # 0.74 before the English phrase check; 0.70–0.72 refuse nothing more on 7 sets
    min_coverage_zh: float = 0.2  # 0.3 refused paraphrases ("三轮车" for "三蹦子"); the hard checks refuse instead
    min_coverage_en: float = 0.05
    # share of an English question's glossary phrases found in the cited passages (see _phrases_found):
    # on the five question sets every question under 0.5 was unanswerable (0.0–0.25), answerable ones 0.5+
    min_phrase_coverage_en: float = 0.5
    # sentence score weights, fitted on eval/lugang.jsonl (top-1 sentence holds the key fact); w_passage
    # refitted with the retrieval weights on both question sets
    w_dense: float = 1.0
    w_lexical: float = 0.2
    w_type: float = 0.05
    w_passage: float = 0.1
    # a part of the question whose figure the chosen sentences miss may take a sentence scoring within
    # this of the best, if it shares this share of the part's words (see Answerer._complete)
    complete_margin: float = 0.2
    complete_overlap: float = 0.3
    complete_tied: float = 0.02  # ... unless it scores this close to the best sentence
    # ... taken also from the passages just before and after the top ``neighbour_depth`` ones: a chunk
    # boundary can fall between "链主企业的带动作用…成都王牌…销量达2.7万台" and the hits around it
    neighbour_depth: int = 5

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- the answerer


class Answerer:
    def __init__(self, retriever: Retriever, config: AnswerConfig | None = None):
        self.retriever = retriever
        self.config = config or AnswerConfig()
        self.evidence = Evidence(retriever, self.config)
        self.selector = Selector(retriever, self.evidence, self.config)

    def ask(self, question: str, history: list | None = None, k: int | None = None,
            retrieval_mode: str | None = None, mode: str = "extractive") -> Answer:
        question = clean_query(question)
        query = as_asked(resolve_followup(question, history))  # "25年" → "2025年", "Jiangjing" → "jiangjin"
        if mode == "llm":
            from .llm import llm_answer  # optional extra: langchain-openai

            extractive = self.ask(question, history=history, k=k, retrieval_mode=retrieval_mode)
            hits = self.retriever.search(query, k=k or self.config.passages, mode=retrieval_mode)
            return llm_answer(question, query, hits, fallback=extractive)
        query_vec = self.retriever.embedder.embed_query(query)
        hits = self.retriever.search(query, k=k or self.config.passages, mode=retrieval_mode, query_vec=query_vec)
        if not hits or not has_content(self.retriever.keyword_tokens(query)):
            return self._refuse(question, query, hits)
        credit_kind = asks_for_credits(query)
        if credit_kind:
            return self._credits(question, query, hits, credit_kind)
        candidates = score_sentences(self.retriever, query, query_vec, hits, self._weights())
        select = self.selector
        nearby = score_sentences(self.retriever, query, query_vec, select.next_to(hits), self._weights())
        wider = sorted(candidates + nearby, key=lambda c: -c.score)
        chosen = on_topic(query, select.complete(query, select.choose(query, candidates, nearby), wider))
        if not chosen or not self.evidence.accepts(query, chosen, best=candidates[0]):
            return self._refuse(question, query, hits)
        citations = [self._cite(n, c) for n, c in enumerate(chosen, start=1)]
        text = self._compose(query, chosen)
        return Answer(question, text, True, "extractive", citations, [], query)

    def stream(self, question: str, history: list | None = None, mode: str = "extractive",
               **kwargs) -> Iterator[str | Answer]:
        """Yield text pieces as they come, then the final :class:`Answer` (always last).

        The extractive answer arrives whole; LLM answers stream token by token (see rag.llm).
        """
        if mode == "llm":
            from .llm import llm_stream

            question = clean_query(question)
            query = resolve_followup(question, history)
            extractive = self.ask(question, history=history, **kwargs)
            hits = self.retriever.search(query, k=kwargs.get("k") or self.config.passages,
                                         mode=kwargs.get("retrieval_mode"))
            yield from llm_stream(question, query, hits, fallback=extractive)
            return
        answer = self.ask(question, history=history, **kwargs)
        yield answer.answer
        yield answer

    # ----------------------------------------------------------------- scoring

    def _weights(self) -> SentenceWeights:
        cfg = self.config
        return SentenceWeights(cfg.w_dense, cfg.w_lexical, cfg.w_type, cfg.w_passage)

    # ----------------------------------------------------------------- output

    def _cite(self, n: int, cand: Candidate) -> Citation:
        chunk, doc = cand.hit.chunk, cand.hit.doc
        source = self.retriever.index.doc_text(chunk.doc_id)
        return Citation(n=n, doc_id=chunk.doc_id, title=doc.get("title", ""), chunk_id=chunk.chunk_id,
                        text=source[cand.start:cand.end], start=cand.start, end=cand.end,
                        district=doc.get("district", ""), date=doc.get("date", ""),
                        score=round(cand.score, 4), passage=chunk.text,
                        passage_start=chunk.start, passage_end=chunk.end)

    def _compose(self, query: str, chosen: list[Candidate]) -> str:
        parts = [f"{_emphasise(_display(c.text), query)}[{n}]" for n, c in enumerate(chosen, start=1)]
        if is_chinese(query):
            return "根据资料：" + "".join(parts)
        return "According to the articles (quoted in Chinese): " + " ".join(parts)

    def _credits(self, question: str, query: str, hits: list[Hit], kind: str) -> Answer:
        """Who wrote the article the question points at, or supplied its pictures: its credit lines."""
        years, places = question_years(query), question_places(query)
        places = places & {"青白江", "江津"} or places  # a district named beats cities ("Chengdu-Chongqing")
        q_tokens = set(self.retriever.keyword_tokens(query))
        votes: dict[str, float] = {}
        for hit in hits:  # the article: its best retrieval score, plus its title matching the question
            doc = hit.doc
            if years and str(doc.get("date", ""))[:4] not in years:
                continue
            if places and not any(DISTRICT_OF[p] == doc.get("district") for p in places):
                continue
            title = set(tokenize(doc.get("title", "")))
            # (its best, not the sum: an article with more chunks among the hits is not more likely the one)
            if hit.chunk.doc_id not in votes:
                votes[hit.chunk.doc_id] = hit.score + (len(q_tokens & title) / len(q_tokens) if q_tokens else 0.0)
        if not votes:
            return self._refuse(question, query, hits)
        doc_id = max(votes, key=votes.get)
        doc = next(h.doc for h in hits if h.chunk.doc_id == doc_id)
        index = self.retriever.index
        lines = [c for c in find_credits(index.doc_text(doc_id)) if kind in c.kinds][: self.config.max_sentences]
        if not lines:
            return self._refuse(question, query, hits)
        citations = []
        for n, line in enumerate(lines, start=1):
            row = index.row_at(doc_id, line.start)
            chunk = index.chunks[row] if row is not None else None
            citations.append(Citation(n=n, doc_id=doc_id, title=doc.get("title", ""),
                                      chunk_id=chunk.chunk_id if chunk else "", text=line.text, start=line.start,
                                      end=line.end, district=doc.get("district", ""), date=doc.get("date", ""),
                                      score=round(next((h.score for h in hits if chunk and h.chunk.chunk_id ==
                                                        chunk.chunk_id), 0.0), 4),
                                      passage=chunk.text if chunk else line.text,
                                      passage_start=chunk.start if chunk else line.start,
                                      passage_end=chunk.end if chunk else line.end))
        quoted = "；".join(f"{c.text}[{c.n}]" for c in citations)
        if is_chinese(query):
            what = "署名" if kind == "writer" else "图片来源"
            text = f"《{doc.get('title', '')}》的{what}：{quoted}"
        else:
            what = "is credited to" if kind == "writer" else "credits its pictures to"
            text = f"The article “{doc.get('title', '')}” {what} (quoted in Chinese): {quoted}"
        return Answer(question, text, True, "extractive", citations, [], query)

    def _refuse(self, question: str, query: str, hits: list[Hit]) -> Answer:
        related = []
        for n, hit in enumerate(hits[:3], start=1):
            c = hit.chunk
            related.append(Citation(n=n, doc_id=c.doc_id, title=hit.doc.get("title", ""), chunk_id=c.chunk_id,
                                    text=c.text, start=c.start, end=c.end, district=hit.doc.get("district", ""),
                                    date=hit.doc.get("date", ""), score=round(hit.score, 4), passage=c.text,
                                    passage_start=c.start, passage_end=c.end))
        if is_chinese(query):
            text = "资料中没有找到能回答这个问题的内容。"
        else:
            text = "The articles do not say this."
        return Answer(question, text, False, "extractive", [], related, query)


def _display(sentence: str) -> str:
    """A sentence as shown in the answer: no list bullet, no stray markdown."""
    return re.sub(r"^[-*•]\s*", "", sentence.strip()).replace("**", "")


_KEY = re.compile(r"(?:(?:19|20)\d\d年(?:\d{1,2}月)?(?:\d{1,2}日)?)|(?:\d{1,2}月\d{1,2}日)|"
                  r"(?:[近超约达逾]?\d+(?:\.\d+)?(?:%|万|亿|千|百)*(?:(?:多|余)?(?:元|吨|标箱|列|家|个|台|辆|项|亩|平方米|公里|倍|单|件|GWh|分钟|小时|天))?)")


def _emphasise(text: str, query: str) -> str:
    """Bold the figures that the question is after (numbers with units, dates)."""
    wants = QUANTITY_Q.search(query) or DATE_Q.search(query)
    if not wants:
        return text
    q_numbers = {n for m in re.findall(r"\d+(?:\.\d+)?%?", as_written(normalize(query)))
                 for n in (m, m.rstrip("%"))}
    out, last, bolded = [], 0, 0
    for m in _KEY.finditer(text):
        token = m.group(0)
        if not re.search(r"\d", token) or len(token) < 2 or token in q_numbers or bolded >= 3:
            continue
        if re.fullmatch(r"(?:19|20)\d\d年", token) and not DATE_Q.search(query):
            continue
        out.append(text[last:m.start()])
        out.append(f"**{token}**")
        last = m.end()
        bolded += 1
    out.append(text[last:])
    return "".join(out)
