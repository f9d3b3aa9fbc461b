"""Beside the pipeline: speed, memory and growth (``rag bench``). Reads the stages, never imported by them.

- :mod:`rag.bench.run` — ``run_bench``: build throughput, warm and cold latency, thread sweep.
- :mod:`rag.bench.cost` — ``index_cost_ratio``: build seconds over one model pass over the chunk texts.
- :mod:`rag.bench.scale` — vector search and BM25 at 10k–1M rows.
- :mod:`rag.bench.data` — synthetic corpora and timing helpers; :mod:`rag.bench.report` — tables, plot.
"""
