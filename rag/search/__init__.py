"""Stage 3, search: a question → its analysis → ranked chunks and scored sentence candidates.

- :mod:`rag.search.analysis` — ``Analyser`` → ``QuestionAnalysis`` (language, places, years, period,
  measure, unit, answer type, entities), computed once per question and read by every later step.
- :mod:`rag.search.followup` — ``resolve_followup`` for short follow-ups in a chat.
- :mod:`rag.search.synonyms` — abbreviations and full forms for the keyword side.
- :mod:`rag.search.retrieve` — ``Retriever``: dense + BM25 fused; returns ``Hit`` (:mod:`rag.search.hits`).
- :mod:`rag.search.features` and :mod:`rag.search.scoring` — sentence candidates, their features and
  the learned, calibrated ``AnswerModel`` that says which sentence answers and whether any does.
- :mod:`rag.search.langchain` — ``LangChainRetriever``.
"""
