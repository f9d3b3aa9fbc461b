"""Beside the pipeline: measuring it. Reads the stages, never imported by them.

- :mod:`rag.evaluation.evalset` — question sets (``load_sets``, ``Question``), relevance against an
  index, BEIR import.
- :mod:`rag.evaluation.evaluate` — ``run_eval``: every question through every retriever (ranx
  qrels/runs) and the answer checks.
- :mod:`rag.evaluation.report` — terminal tables, report.md, metrics.json, charts.
- :mod:`rag.evaluation.training` — fitting the answer model, cross-validated by article.
"""
