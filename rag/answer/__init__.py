"""Stage 4, answer: scored candidates → an :class:`~rag.answer.types.Answer` with cited spans, or a refusal.

- :mod:`rag.answer.types` — ``Answer`` and ``Citation`` (doc, span, quote), the answer contract.
- :mod:`rag.answer.answerer` — ``Answerer``: the extractive answer, evidence selection, citations,
  and the refusal with its reason.
- :mod:`rag.answer.llm` — the optional OpenAI-compatible LLM answer, verified against the passages.
- :mod:`rag.answer.engine` — ``open_engine``: an index directory ready for ``search`` and ``ask``.
"""
