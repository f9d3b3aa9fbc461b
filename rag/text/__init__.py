"""Text utilities every stage shares: no corpus, no index, only strings.

- :mod:`rag.text.tokenize` — ``tokenize`` (jieba + domain terms, for BM25 and overlap), ``normalize``,
  ``is_chinese``/``cjk_ratio``, ``posseg``.
- :mod:`rag.text.timeexpr` — years, months, quarters and halves as month ranges (``years_in``,
  ``months_in``, ``periods_in``, ``relative_years``).
- :mod:`rag.text.units` — the one table of units: ``zh_unit``/``en_unit`` for a question, ``figures``
  with their units in a sentence.
"""
