"""Stage 1, ingest: files in ``corpus/`` → :class:`~rag.ingest.documents.Document` → chunks.

- :mod:`rag.ingest.loaders` — ``read_source``: txt/md/html/pdf/docx to source text, ``decode_bytes``.
- :mod:`rag.ingest.cleaning` — ``clean_text``: cleaned text, offset map back to the source, paragraphs.
- :mod:`rag.ingest.documents` — ``Document``, ``load_corpus``/``load_document``, ``articles.toml``
  metadata, title and date guesses.
- :mod:`rag.ingest.credits` — bylines and picture credits (``is_credit_line``, ``find_credits``).
- :mod:`rag.ingest.chunking` — ``chunk_documents``: Chinese-aware ``Chunk``/``Sentence`` with spans.
- :mod:`rag.ingest.scan` — ``scan_corpus``: which files changed since the last build.
"""
