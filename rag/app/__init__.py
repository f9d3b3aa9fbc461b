"""Stage 5, app: what a user runs — the ``rag`` CLI, the knowledge base and the Gradio chat.

- :mod:`rag.app.kb` — ``KnowledgeBase``: a corpus folder and its index, swapped atomically (also when
  another process writes a newer generation); ``check_upload``.
- :mod:`rag.app.jobs` — ``JobQueue``: uploads and rebuilds as background jobs that can be cancelled and
  survive a restart.
- :mod:`rag.app.cli` — ``rag index|search|ask|serve|eval|bench|feedback``; errors become messages here
  (:mod:`rag.app.cli_feedback` — ``rag feedback export``).
- :mod:`rag.app.feedback` — the chat's append-only 👍/👎 log (``append_feedback``) and ``export_feedback``
  to an eval question set.
- :mod:`rag.app.fairqueue` — ``FairQueue``: the server's answer workers, short questions first, pastes one
  at a time; :mod:`rag.app.api` — ``AnswerService`` (the queue plus an optional exact-question cache per
  index generation) and ``POST /api/ask``.
- :mod:`rag.app.web`, :mod:`rag.app.web_kb`, :mod:`rag.app.web_render` — the chat, the KB tab and
  their HTML; :mod:`rag.app.web_history` — conversations kept in the browser; :mod:`rag.app.web_intro` —
  the page's title, description and examples from the corpus; :mod:`rag.app.serve` starts it.
"""
