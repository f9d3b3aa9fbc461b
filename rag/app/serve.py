"""Start the web chat: load (or build) the index once, then serve the UI.

``python app.py``, ``rag serve`` and ``make run`` all end here; the UI itself is in
:mod:`rag.app.web`. Living in the package, it works from any working directory.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

from rag.config import ServeConfig


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="Lugang RAG (陆港问答) web chat.")
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    parser.add_argument("--corpus", help="corpus folder (default: $RAG_CORPUS or corpus/)")
    parser.add_argument("--index", help="index folder (default: $RAG_INDEX or index/)")
    parser.add_argument("--concurrency", type=int, default=8, help="chat events handled at the same time")
    parser.add_argument("--workers", type=int, default=ServeConfig.workers,
                        help="answers computed at the same time (the fair queue's workers)")
    parser.add_argument("--answer-cache", type=int, default=ServeConfig.cache_size, metavar="N",
                        help="keep answers to N exact questions per index generation (0: off)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry, no version check
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from rag.app.kb import KnowledgeBase
    from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, RagError

    try:
        kb = KnowledgeBase(args.corpus, args.index)
        try:
            kb.engine  # load index and model once, before the first request
        except IndexNotFoundError:
            print(f"No index in {kb.index_dir}/ yet; building it from {kb.corpus_dir}/ …", flush=True)
            kb.update()
        except (IndexMismatchError, IndexCorruptError) as exc:  # e.g. built by an older version
            print(f"{exc.message} Rebuilding it from {kb.corpus_dir}/ …", flush=True)
            kb.update(rebuild=True)
        from rag.app.web import build_ui, launch, warm_up

        serve = ServeConfig(workers=max(1, args.workers), cache_size=max(0, args.answer_cache))
        demo = build_ui(kb, concurrency=args.concurrency, serve=serve)
    except RagError as exc:
        print(f"app: {exc}", file=sys.stderr)
        return exc.exit_code
    threading.Thread(target=warm_up, args=(kb,), daemon=True).start()
    print(f"Lugang RAG: http://{args.host}:{args.port}  ({len(kb.documents())} articles; Ctrl-C stops)",
          flush=True)
    try:
        launch(demo, args.host, args.port, quiet=True)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"app: cannot start the server on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
