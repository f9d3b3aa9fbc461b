"""Lugang RAG web chat: ``python app.py [--host 127.0.0.1] [--port 7860] [--corpus DIR] [--index DIR]``.

Also started by ``make run`` and ``rag serve``. Start-up (arguments, index, launch) is in
``rag/app/serve.py`` so the installed ``rag`` command finds it from any directory; the UI is in
``rag/app/web.py``.
"""
from __future__ import annotations

import sys

from rag.app.serve import main, parse_args  # noqa: F401  (app.main(argv) -> exit code)

if __name__ == "__main__":
    sys.exit(main())
