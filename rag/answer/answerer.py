"""Cited answers: the sentences that answer the question, or an honest refusal with its reason.

The extractive answerer needs no LLM. The question is analysed once (rag.search.analysis); every
sentence of the retrieved passages and their neighbours is scored by the learned answer model
(rag.search.scoring) over general features; the question is answered when the model's probability
that the articles answer it reaches the cross-validated threshold, and refused otherwise, naming
the constraint the best evidence missed.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answer.phrase import MAX_CHARS, answer_phrase
from rag.answer.phrase_names import credit_span
from rag.answer.types import Answer, Citation
from rag.config import AnswerConfig
from rag.index.english_names import name_en
from rag.ingest.credits import asks_for_credits, find_credits
from rag.search.analysis import QuestionAnalysis
from rag.search.features import Candidate
from rag.search.followup import resolve_followup
from rag.search.hits import Hit, clean_query
from rag.search.retrieve import Retriever
from rag.search.scoring import AnswerModel, answerable, default_model, score
from rag.text.tokenize import as_written, normalize, tokenize

# --------------------------------------------------------------------------- the answerer


class Answerer:
    def __init__(self, retriever: Retriever, config: AnswerConfig | None = None, model: AnswerModel | None = None):
        self.retriever = retriever
        self.config = config or AnswerConfig()
        self._model = model

    @property
    def model(self) -> AnswerModel:
        """The answer model, loaded on first use (fitting a new one needs the engine without it)."""
        if self._model is None:
            self._model = default_model()
        return self._model

    def threshold(self, language: str) -> float:
        """The refusal threshold for questions in ``language`` (the config's, when it sets one)."""
        if self.config.threshold is not None:
            return self.config.threshold
        return self.model.threshold.get(language, max(self.model.threshold.values()))

    @property
    def extra_ratio(self) -> float:
        return self.model.extra_ratio if self.config.extra_ratio is None else self.config.extra_ratio

    def ask(self, question: str, history: list | None = None, k: int | None = None,
            retrieval_mode: str | None = None, mode: str = "extractive") -> Answer:
        question = clean_query(question)
        query = as_written(resolve_followup(question, history, self.retriever.analyse))
        if mode == "llm":
            from rag.answer.llm import llm_answer  # optional extra: langchain-openai

            extractive = self.ask(question, history=history, k=k, retrieval_mode=retrieval_mode)
            hits = self.retriever.search(query, k=k or self.config.passages, mode=retrieval_mode)
            return llm_answer(question, query, hits, fallback=extractive)
        analysis = self.retriever.analyse(query)
        query_vec = self.retriever.query_vector(query)
        hits = self.retriever.search(query, k=k or self.config.passages, mode=retrieval_mode, query_vec=query_vec,
                                     analysis=analysis, rerank=False)
        if not hits or not analysis.groups:
            return self._refuse(question, query, hits, analysis, "the question names nothing to look for")
        credit_kind = asks_for_credits(query)
        if credit_kind:
            return self._credits(question, query, hits, credit_kind, analysis)
        candidates = score(self.retriever.index, analysis, hits, query_vec, self.model, self.config.neighbour_depth)
        confidence = answerable(candidates, self.model)
        if not candidates or confidence < self.threshold(analysis.language):
            return self._refuse(question, query, hits, analysis, _reason(candidates), confidence)
        chosen = self._choose(candidates)
        citations = [self._cite(n, c) for n, c in enumerate(chosen, start=1)]
        short = answer_phrase(analysis, citations)
        return Answer(question, self._compose(analysis, citations, short), True, "extractive", citations, [], query,
                      confidence=confidence, analysis=analysis.to_json(), short_answer=short)

    def _choose(self, candidates: list[Candidate]) -> list[Candidate]:
        """The best sentence, and up to ``max_sentences`` - 1 more whose probability is ``extra_ratio`` of its
        own (in article order when they share an article)."""
        best = candidates[0]
        chosen = [best]
        for c in candidates[1:]:
            if len(chosen) >= self.config.max_sentences or c.p < self.extra_ratio * best.p:
                break
            if all((c.hit.chunk.doc_id, c.start) != (o.hit.chunk.doc_id, o.start) for o in chosen):
                chosen.append(c)
        return chosen

    def stream(self, question: str, history: list | None = None, mode: str = "extractive",
               **kwargs) -> Iterator[str | Answer]:
        """Yield text pieces as they come, then the final :class:`Answer` (always last).

        The extractive answer arrives whole; LLM answers stream token by token (see rag.answer.llm).
        """
        if mode == "llm":
            from rag.answer.llm import llm_stream

            question = clean_query(question)
            query = resolve_followup(question, history, self.retriever.analyse)
            extractive = self.ask(question, history=history, **kwargs)
            hits = self.retriever.search(query, k=kwargs.get("k") or self.config.passages,
                                         mode=kwargs.get("retrieval_mode"))
            yield from llm_stream(question, query, hits, fallback=extractive)
            return
        answer = self.ask(question, history=history, **kwargs)
        yield answer.answer
        yield answer

    # ----------------------------------------------------------------- output

    def _cite(self, n: int, cand: Candidate) -> Citation:
        chunk, doc = cand.hit.chunk, cand.hit.doc
        source = self.retriever.index.doc_text(chunk.doc_id)
        return Citation(n=n, doc_id=chunk.doc_id, title=doc.get("title", ""), chunk_id=chunk.chunk_id,
                        text=source[cand.start:cand.end], start=cand.start, end=cand.end,
                        district=doc.get("district", ""), date=doc.get("date", ""),
                        score=round(cand.p, 4), passage=chunk.text,
                        passage_start=chunk.start, passage_end=chunk.end)

    def _compose(self, analysis: QuestionAnalysis, citations: list[Citation], short: dict | None) -> str:
        """The quoted sentences with their citation marks; bold marks the answer phrase only."""
        parts = []
        for c in citations:
            text = c.text
            if short and short["citation"] == c.n:  # marked before _display moves the offsets
                s, e = short["start"] - c.start, short["end"] - c.start
                text = f"{text[:s]}\x00{text[s:e]}\x01{text[e:]}"
            parts.append(_display(text).replace("\x00", "**").replace("\x01", "**") + f"[{c.n}]")
        if analysis.language == "zh":
            return "根据资料：" + "".join(parts)
        return "According to the articles (quoted in Chinese): " + " ".join(parts)

    def _credits(self, question: str, query: str, hits: list[Hit], kind: str, analysis: QuestionAnalysis) -> Answer:
        """Who wrote the article the question points at, or supplied its pictures: its credit lines."""
        knowledge = self.retriever.index.knowledge
        q_tokens = set(self.retriever.keyword_tokens(query, analysis))
        votes: dict[str, float] = {}
        for hit in hits:  # the article: its best retrieval score, plus its title matching the question
            doc = hit.doc
            doc_id = hit.chunk.doc_id
            if analysis.years and knowledge.date_of(doc_id)[:4] not in analysis.years:
                continue
            text = normalize(self.retriever.index.doc_text(doc_id))
            if analysis.places and not all(any(w in text for w in g.words) for g in analysis.places):
                continue
            title = set(tokenize(doc.get("title", "")))
            # (its best, not the sum: an article with more chunks among the hits is not more likely the one)
            if hit.chunk.doc_id not in votes:
                votes[hit.chunk.doc_id] = hit.score + (len(q_tokens & title) / len(q_tokens) if q_tokens else 0.0)
        if not votes:
            return self._refuse(question, query, hits, analysis, "no article of that place and year")
        doc_id = max(votes, key=votes.get)
        doc = next(h.doc for h in hits if h.chunk.doc_id == doc_id)
        index = self.retriever.index
        lines = [c for c in find_credits(index.doc_text(doc_id)) if kind in c.kinds][: self.config.max_sentences]
        if not lines:
            return self._refuse(question, query, hits, analysis, "the article has no credit line")
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
        if analysis.language == "zh":
            what = "署名" if kind == "writer" else "图片来源"
            text = f"《{doc.get('title', '')}》的{what}：{quoted}"
        else:
            what = "is credited to" if kind == "writer" else "credits its pictures to"
            text = f"The article “{doc.get('title', '')}” {what} (quoted in Chinese): {quoted}"
        return Answer(question, text, True, "extractive", citations, [], query, confidence=1.0,
                      analysis=analysis.to_json(), short_answer=_credit_phrase(analysis, citations))

    def _refuse(self, question: str, query: str, hits: list[Hit], analysis: QuestionAnalysis, reason: str,
                confidence: float = 0.0) -> Answer:
        related = []
        for n, hit in enumerate(hits[:3], start=1):
            c = hit.chunk
            related.append(Citation(n=n, doc_id=c.doc_id, title=hit.doc.get("title", ""), chunk_id=c.chunk_id,
                                    text=c.text, start=c.start, end=c.end, district=hit.doc.get("district", ""),
                                    date=hit.doc.get("date", ""), score=round(hit.score, 4), passage=c.text,
                                    passage_start=c.start, passage_end=c.end))
        if analysis.language == "zh":
            text = "资料中没有找到能回答这个问题的内容。"
        else:
            text = "The articles do not say this."
        return Answer(question, text, False, "extractive", [], related, query, refusal_reason=reason,
                      confidence=confidence, analysis=analysis.to_json())


def _reason(candidates: list[Candidate]) -> str:
    """Why the best evidence does not answer: the constraint it misses, else weak evidence."""
    if not candidates:
        return "no passage matches the question"
    problems = candidates[0].problems
    if problems:
        return "; ".join(problems)
    return "the closest passages do not state what is asked"


def _display(sentence: str) -> str:
    """A sentence as shown in the answer: no list bullet, no stray markdown."""
    return re.sub(r"^[-*•]\s*", "", sentence.strip()).replace("**", "")


def _credit_phrase(analysis: QuestionAnalysis, citations: list[Citation]) -> dict | None:
    """The answer phrase of a credits answer: the names of the credit line that meets the most of the question
    (the first of equals), in the shape of rag.answer.phrase.answer_phrase."""
    scored = [(c, sp) for c in citations if (sp := credit_span(c.text)) and sp[1] - sp[0] <= MAX_CHARS]
    if not scored:
        return None
    cite, (s, e) = max(scored, key=lambda f: sum(g.weight for g in analysis.groups
                                                  if any(w in normalize(f[0].text) for w in g.words)))
    text = cite.text[s:e]
    en = None
    if analysis.language == "en":  # each name in English: a person's (two to four characters) or a body's
        names = [n for n in re.split(r"[\s、，,和]+", text) if n]
        rendered = [name_en(n, "person" if len(n) <= 4 else "org") for n in names]
        en = ", ".join(rendered) if rendered and all(rendered) else None
    return {"text": text, "citation": cite.n, "doc_id": cite.doc_id, "start": cite.start + s,
            "end": cite.start + e, "en": en}

