"""Showing an evaluation: terminal tables, report.md, metrics.json, per-question results, PNG charts."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from rag.errors import MissingDependencyError, require
from rag.evaluation.evaluate import EvalRun

log = logging.getLogger(__name__)

RETRIEVAL_COLUMNS = (("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("hit@10", "hit@10"),
                     ("mrr@10", "MRR"), ("ndcg@10", "nDCG"), ("recall@5", "R@5"), ("recall@10", "R@10"))
ANSWER_COLUMNS = (("answer_accuracy", "answer acc"), ("answer_all_keys", "all keys"), ("answer_phrase", "phrase"),
                  ("answer_phrase_en", "phrase en"),
                  ("refusal_rate", "refusal (unans.)"), ("false_refusal_rate", "false refusal"),
                  ("citation_precision", "citation prec."), ("twin_agreement", "twins alike"))
LOWER_IS_BETTER = {"false_refusal_rate"}


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _best(metrics: dict, key: str) -> float | None:
    values = [e["overall"].get(key) for e in metrics["retrievers"].values()]
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    return min(values) if key in LOWER_IS_BETTER else max(values)


def primary(metrics: dict) -> str:
    names = list(metrics["retrievers"])
    return "hybrid" if "hybrid" in names else names[-1]


def _cell(entry: dict, part: str = "all") -> str:
    """hit@5 / MRR@10 and/or answer accuracy of a group; the refusal rate for unanswerable ones."""
    parts = []
    if part in ("all", "retrieval") and entry.get("hit@5") is not None:
        parts.append(f"{entry['hit@5']:.2f} / {entry['mrr@10']:.2f}")
    if part in ("all", "answers") and entry.get("answer_accuracy") is not None:
        parts.append(f"{'ans ' if part == 'all' else ''}{entry['answer_accuracy']:.2f}")
    if part in ("all", "answers") and entry.get("refusal_rate") is not None:
        parts.append(f"refused {entry['refusal_rate']:.2f}")
    return " · ".join(parts) or "–"


def _has_answers(metrics: dict) -> bool:
    return any(e["latency_ms"].get("ask_p50") is not None for e in metrics["retrievers"].values())


def _rows(metrics: dict, columns) -> list[list[str]]:
    out = []
    for name, entry in metrics["retrievers"].items():
        out.append([name] + [_fmt(entry["overall"].get(key)) for key, _ in columns])
    return out


def _group_rows(metrics: dict, key: str, part: str = "all") -> tuple[list[str], list[list[str]]]:
    names = list(metrics["retrievers"])
    groups = sorted({g for e in metrics["retrievers"].values() for g in e.get(f"by_{key}", {})})
    rows = []
    for g in groups:
        first = metrics["retrievers"][names[0]][f"by_{key}"].get(g, {})
        n = first.get("n", first.get("n_unanswerable", ""))
        cells = [_cell(metrics["retrievers"][n_].get(f"by_{key}", {}).get(g, {}), part) for n_ in names]
        if any(c != "–" for c in cells):
            rows.append([f"{g} ({n})"] + cells)
    return names, rows


def _latency_rows(metrics: dict) -> list[list[str]]:
    keys = ("search_p50", "search_p95", "ask_p50", "ask_p95")
    return [[name] + ["–" if e["latency_ms"][k] is None else f"{e['latency_ms'][k]:.0f}" for k in keys]
            for name, e in metrics["retrievers"].items()]


# --------------------------------------------------------------------------- terminal


def print_summary(run: EvalRun, console, max_failures: int = 10) -> None:
    from rich.table import Table

    m = run.metrics
    console.print(f"[bold]{m['questions']} questions[/bold] ({m['answerable']} answerable, "
                  f"{m['unanswerable']} unanswerable) from {', '.join(m['sets'])}; index {m['index']['path']} "
                  f"({m['index']['documents']} documents, {m['index']['chunks']} chunks, {m['index']['model']})")

    def table(title: str, head: list[str], rows: list[list[str]]) -> None:
        t = Table(title=title, title_justify="left")
        for i, h in enumerate(head):
            t.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
        for row in rows:
            t.add_row(*row)
        console.print(t)

    table("Retrieval (answerable questions; MRR and nDCG at 10)", ["retriever"] + [h for _, h in RETRIEVAL_COLUMNS],
          _rows(m, RETRIEVAL_COLUMNS))
    if _has_answers(m):
        table("Answers", ["retriever"] + [h for _, h in ANSWER_COLUMNS], _rows(m, ANSWER_COLUMNS))
    table("Latency per question (ms)", ["retriever", "search p50", "search p95", "ask p50", "ask p95"],
          _latency_rows(m))
    for key in ("lang", "type", "set"):
        if any(f"by_{key}" in e for e in m["retrievers"].values()):
            names, rows = _group_rows(m, key, "retrieval")
            table(f"By {key}: hit@5 / MRR@10", [key] + names, rows)
            if _has_answers(m):
                names, rows = _group_rows(m, key, "answers")
                table(f"By {key}: answer accuracy (refusal rate when unanswerable)", [key] + names, rows)
    name = primary(m)
    failures = run.failures.get(name, [])
    misses = [f for f in failures if f["kind"] == "retrieval"]
    wrong = len(failures) - len(misses)
    console.print(f"\n[bold]{name}: {len(misses)} questions without evidence in the top 5"
                  f"{f', {wrong} answer failures' if wrong else ''}[/bold]")
    for f in failures[:max_failures]:
        console.print(f"- {f['id']} [{f['kind']}] {f['question']}", markup=False)
        console.print(f"    expected: {' | '.join(f['expected'])[:120]}", markup=False)
        if f["kind"] == "retrieval":
            top = (f["rank1"] or {}).get("text", "(nothing)").replace("\n", " ")
            console.print(f"    rank 1:   {top[:120]}  (first relevant at rank {f['first_relevant'] or '>10'})",
                          markup=False)
        else:
            console.print(f"    answer:   {f['answer'].replace(chr(10), ' ')[:120]}", markup=False)
    if len(failures) > max_failures:
        console.print(f"  … {len(failures) - max_failures} more in the report")


# --------------------------------------------------------------------------- markdown


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    esc = [[str(c).replace("|", "\\|").replace("\n", " ") for c in row] for row in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc])


def _md_metric_rows(m: dict, columns) -> list[list[str]]:
    rows = []
    for name, entry in m["retrievers"].items():
        row = [name]
        for key, _ in columns:
            value = entry["overall"].get(key)
            row.append(f"**{_fmt(value)}**" if value is not None and value == _best(m, key) else _fmt(value))
        rows.append(row)
    return rows


def markdown_report(run: EvalRun, charts: list[str], max_failures: int = 60) -> str:
    m = run.metrics
    idx = m["index"]
    out = [f"# Retrieval evaluation — {m['created']}", "",
           f"- Sets: {', '.join(m['sets'])} — {m['questions']} questions ({m['answerable']} answerable, "
           f"{m['unanswerable']} unanswerable)",
           f"- Index: `{idx['path']}` ({idx['generation']}, {idx['model']}, {idx['documents']} documents, "
           f"{idx['chunks']} chunks)",
           "- hit@k counts a cross-article comparison only when every evidence group is in the top k; "
           "MRR@10, nDCG@10 and recall (ranx) use the union of the groups. Best value per column in bold.", "",
           "## Retrieval", "",
           _md_table(["retriever"] + [h for _, h in RETRIEVAL_COLUMNS], _md_metric_rows(m, RETRIEVAL_COLUMNS))]
    if _has_answers(m):
        out += ["", "## Answers", "",
                "Accuracy: share of answerable questions whose answer contains a key string (all keys: every "
                "one). Refusal: share of unanswerable questions refused. Citation precision: share of citations "
                "whose cited span contains a key string.", "",
                _md_table(["retriever"] + [h for _, h in ANSWER_COLUMNS], _md_metric_rows(m, ANSWER_COLUMNS))]
    out += ["", "## Latency per question (ms)", "",
            _md_table(["retriever", "search p50", "search p95", "ask p50", "ask p95"], _latency_rows(m))]
    for key in ("lang", "type", "set"):
        if any(f"by_{key}" in e for e in m["retrievers"].values()):
            names, rows = _group_rows(m, key)
            out += ["", f"## By {key} (hit@5 / MRR@10, answer accuracy, refusal rate)", "",
                    _md_table([key] + names, rows)]
    out += ["", "## Charts", ""] + [f"![{c}]({c})" for c in charts] if charts else []
    for name, failures in run.failures.items():
        misses = [f for f in failures if f["kind"] == "retrieval"]
        wrong = [f for f in failures if f["kind"] != "retrieval"]
        out += ["", f"## Failures: {name}", "", f"{len(misses)} questions without evidence in the top 5.", ""]
        if misses:
            out.append(_md_table(["id", "question", "expected evidence", "first relevant", "rank 1"],
                                 [[f["id"], f["question"], " / ".join(f["expected"]),
                                   str(f["first_relevant"] or ">10"),
                                   ((f["rank1"] or {}).get("text") or "(nothing)")[:140]]
                                  for f in misses[:max_failures]]))
        if wrong:
            out += ["", f"{len(wrong)} answer failures.", "",
                    _md_table(["id", "kind", "question", "expected", "answer"],
                              [[f["id"], f["kind"], f["question"], " / ".join(f["expected"]), f["answer"][:160]]
                               for f in wrong[:max_failures]])]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- charts


def write_charts(run: EvalRun, out_dir: Path) -> list[str]:
    """metrics.png (metric per retriever) and by_type.png (hit@5 per question type)."""
    matplotlib = require("matplotlib", extra="eval", purpose="evaluation charts")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = run.metrics
    names = list(m["retrievers"])
    keys = [k for k, _ in RETRIEVAL_COLUMNS[:6]] + [k for k, _ in ANSWER_COLUMNS if k != "answer_all_keys"]
    keys = [k for k in keys if any(m["retrievers"][n]["overall"].get(k) is not None for n in names)]
    types = sorted({t for n in names for t, e in m["retrievers"][n].get("by_type", {}).items() if "hit@5" in e})
    written = []
    for file, labels, value in (
            ("metrics.png", keys, lambda n, k: m["retrievers"][n]["overall"].get(k)),
            ("by_type.png", types, lambda n, t: m["retrievers"][n].get("by_type", {}).get(t, {}).get("hit@5"))):
        if not labels:
            continue
        fig, ax = plt.subplots(figsize=(min(12.0, max(6.0, 0.45 * len(labels) * (len(names) + 1))), 4.2))
        x = np.arange(len(labels))
        width = 0.8 / len(names)
        for i, n in enumerate(names):
            ax.bar(x + i * width - 0.4 + width / 2, [value(n, lab) or 0.0 for lab in labels], width, label=n)
        ax.set_xticks(x, labels, rotation=20, ha="right")
        ax.set_ylim(0, 1.18)  # head room for the legend
        ax.set_ylabel("hit@5" if file == "by_type.png" else "score")
        ax.set_title("hit@5 by question type" if file == "by_type.png" else "Metrics per retriever")
        ax.legend(fontsize="small", ncol=len(names), loc="upper center")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_dir / file, dpi=110)
        plt.close(fig)
        written.append(file)
    return written


# --------------------------------------------------------------------------- files


def write_report(run: EvalRun, out_dir: str | Path) -> Path:
    """report.md, metrics.json, results.jsonl (one row per question and retriever), failures.json, PNGs."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(run.metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "failures.json").write_text(json.dumps(run.failures, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as fh:
        for row in run.results:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    try:
        charts = write_charts(run, out_dir)
    except MissingDependencyError as exc:
        log.warning("charts skipped: %s", exc)
        charts = []
    (out_dir / "report.md").write_text(markdown_report(run, charts), encoding="utf-8")
    return out_dir
