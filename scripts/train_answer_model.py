"""Fit the answer model (rag/data/answer_model.json) from labelled questions; see rag.evaluation.training.

    python scripts/train_answer_model.py [--crud DIR] [--crud-index DIR] [--report FILE]

Sources: the seed corpus (corpus/, index/) with eval/lugang.jsonl and eval/fresh*.jsonl, and,
when ../shared/data/crud-news exists, its articles (indexed into --crud-index if missing) with
its questions.jsonl plus our English twins and unanswerable questions (eval/crud-en.jsonl,
eval/crud-unanswerable*.jsonl). eval/offtopic.jsonl (questions no news collection answers: trivia, how-to,
programming, chat, invented companies) is asked of both corpora. eval/crud-holdout.jsonl is never trained on. The crud-news data is
read where it lies and never copied. Runs in a few minutes on 2 cores once the indexes exist.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.evaluation.training import Source, train, write_report  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crud", type=Path, default=ROOT.parent / "shared" / "data" / "crud-news")
    ap.add_argument("--crud-index", type=Path, default=ROOT / ".cache" / "crud-index")
    ap.add_argument("--seed-index", type=Path, default=ROOT / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "rag" / "data" / "answer_model.json")
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "answer-model-cv.json")
    ap.add_argument("--max-false-refusal", type=float, default=0.04)
    args = ap.parse_args()
    eval_dir = ROOT / "eval"
    offtopic = eval_dir / "offtopic.jsonl"  # questions no news collection answers, asked of each corpus
    sources = [Source("seed", ROOT / "corpus", args.seed_index,
                      [eval_dir / "lugang.jsonl"] + sorted(eval_dir.glob("fresh*.jsonl")) + [offtopic])]
    if (args.crud / "questions.jsonl").exists():
        sources.append(Source("crud", args.crud / "corpus", args.crud_index,
                              [args.crud / "questions.jsonl", eval_dir / "crud-en.jsonl"]
                              + sorted(eval_dir.glob("crud-unanswerable*.jsonl")) + [offtopic]))
    else:
        print(f"{args.crud} not found: training on the seed sets only", file=sys.stderr)
    model, report = train(sources, args.max_false_refusal, progress=lambda m: print(m, file=sys.stderr))
    model.save(args.out)
    write_report(report, args.report)
    print(f"thresholds {model.threshold}, extra_ratio {model.extra_ratio}, "
          f"{model.trained_on['questions']} questions, data {model.trained_on['data_hash']}")
    for key, m in report["by_set"].items():
        print(f"{key:32s} {m}")
    for key, m in report["by_lang"].items():
        print(f"{key:32s} {m}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
