"""``rag feedback export``: the chat's 👍/👎 log (rag.app.feedback) as a question set for ``rag eval``."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_OUT = Path("eval") / "feedback.jsonl"


def cmd_feedback(args: argparse.Namespace) -> int:
    """Write the 👍 questions to ``--out`` and the 👎 ones to ``--review``; print what was written."""
    from rag.app.feedback import export_feedback, feedback_path, read_feedback
    from rag.app.kb import default_index
    from rag.evaluation.evalset import save_set

    source = Path(args.feedback) if args.feedback else feedback_path(args.index or default_index())
    rows = read_feedback(source)
    questions, review = export_feedback(rows)
    out = Path(args.out)
    review_path = Path(args.review) if args.review else out.with_name(out.stem + ".review.jsonl")
    save_set(questions, out)
    review_path.parent.mkdir(parents=True, exist_ok=True)
    with open(review_path, "w", encoding="utf-8") as fh:
        for row in review:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    answerable = sum(q.answerable for q in questions)
    print(f"{len(rows)} verdicts in {source}: {answerable} answerable and {len(questions) - answerable} "
          f"unanswerable questions (👍) → {out}; {len(review)} to review (👎) → {review_path}")
    if questions:
        print(f"Check them against the corpus with: rag eval --check {out}")
    return 0


def add_parser(sub) -> None:
    """The ``feedback`` subcommand of the ``rag`` parser (``sub``: its subparsers)."""
    p = sub.add_parser("feedback", help="turn the chat's 👍/👎 into a question set for rag eval")
    p.add_argument("action", choices=["export"], help="export: write the question set and the review file")
    p.add_argument("--index", help="index folder whose feedback log to read (default: $RAG_INDEX or index/)")
    p.add_argument("--feedback", metavar="FILE", help="the log (default: $RAG_FEEDBACK or feedback.jsonl "
                   "beside the index folder)")
    p.add_argument("-o", "--out", default=str(DEFAULT_OUT), metavar="FILE",
                   help=f"question set to write, eval JSON Lines (default: {DEFAULT_OUT})")
    p.add_argument("--review", metavar="FILE", help="👎 questions to review (default: OUT's name + .review.jsonl)")
    p.set_defaults(func=cmd_feedback)
