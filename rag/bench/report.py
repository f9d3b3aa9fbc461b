"""Turn a ``rag bench`` result into a terminal summary, Markdown tables and a log-log plot."""
from __future__ import annotations

import json
from pathlib import Path

from rag.errors import MissingDependencyError


def _mb(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def summary_lines(r: dict) -> list[str]:
    key = r["key"]
    lines = [f"rag bench ({'quick' if r['quick'] else 'full'}, {r['seconds']:.0f} s) on {r['machine']['cpu']}, "
             f"{r['machine']['cores']} cores",
             f"  query embedding p50   {key['query_embed_ms']:.1f} ms",
             f"  search p50            {key['search_p50_ms']:.1f} ms  (ratio {key['search_ratio']:.2f}, target <= 1.5)",
             f"  ask p50 (extractive)  {key['ask_p50_ms']:.1f} ms  (target <= 60)",
             f"  index build           {key['index_chunks_per_s']:.2f} chunks/s vs raw model "
             f"{key['raw_chunks_per_s']:.2f} chunks/s  (ratio {key['index_ratio']:.3f}, target >= 0.9)"]
    if "cost" in r:
        cost = r["cost"]
        lines.append(f"  index cost            build {cost['build_s']:.1f} s / embedding every chunk text once "
                     f"{cost['chunk_embed_s']:.1f} s = {cost['index_cost_ratio']:.3f}  ({cost['vectors']} vectors, "
                     f"target <= {cost['target']})")
    for row in r.get("vector_search", []):
        lines.append(f"  vectors {row['n']:>9,}: exact {row['flat']['p50_ms']:.2f} ms, IVF {row['ivf']['p50_ms']:.3f} ms "
                     f"recall@10 {row['ivf']['recall_at_10']:.3f}")
    if "large_index" in r:
        big = r["large_index"]
        lines.append(f"  {big['chunks']:,}-chunk index: add one article = embedding {big['add']['embed_s']:.2f} s + "
                     f"{big['add']['overhead_s']:.2f} s; delete {big['delete']['seconds']:.2f} s")
    return lines


def tables(r: dict) -> str:
    """Markdown tables of one run."""
    out = []
    m = r["machine"]
    out.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, Python {m['python']}, "
               f"{m['os']}; faiss {m['versions'].get('faiss')}, numpy {m['versions'].get('numpy')}; "
               f"load average at start {m['load_avg_at_start']}; {m['date']}; total {r['seconds']:.0f} s.\n")
    out.append("| input | chunks | texts embedded | raw model s | raw chunks/s | raw tokens/s | index build s "
               "| index chunks/s | ratio |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for b in r["build"]:
        raw = b["raw"]
        out.append(f"| {b['label']} | {b['chunks']} | {b['texts']} | {raw['seconds']:.2f} | {raw['chunks_per_s']:.2f} "
                   f"| {raw['tokens_per_s']:.0f} | {b['build_s']:.2f} | {b['index_chunks_per_s']:.2f} "
                   f"| {b['index_ratio']:.3f} |")
    if "cost" in r:
        cost = r["cost"]
        out.append(f"\nIndex cost ({cost['vectors']} vectors): build {cost['build_s']:.2f} s / embedding the "
                   f"{cost['chunk_texts']} chunk texts once {cost['chunk_embed_s']:.2f} s = index_cost_ratio "
                   f"{cost['index_cost_ratio']:.3f} (target <= {cost['target']}).")
    lat = r["latency"]
    out.append(f"\nWarm latency over {lat['search']['n']} questions ({lat['chunks']} chunks):\n")
    out.append("| step | p50 ms | p95 ms |")
    out.append("|---|---:|---:|")
    for label, k in (("query embedding (model alone)", "query_embed"), ("search (hybrid, incl. embedding)", "search"),
                     ("search without embedding", "search_without_embedding"), ("ask, extractive", "ask")):
        out.append(f"| {label} | {lat[k]['p50_ms']:.2f} | {lat[k]['p95_ms']:.2f} |")
    cold = r["cold"]
    out.append(f"\nCold start: `rag search` process {cold['search']['p50_s']:.2f} s"
               + (f"; web app until the page is served {cold['app'].get('page_s', cold['app'])} s" if "app" in cold
                  else "") + ".\n")
    if "vector_search" in r:
        out.append("| vectors | exact p50 ms | IVF lists | IVF build s | IVF p50 ms | IVF recall@10 | HNSW32 build s "
                   "| HNSW p50 ms | HNSW recall@10 | BM25 p50 ms |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        bm25 = {b["n"]: b for b in r.get("bm25", [])}
        for row in r["vector_search"]:
            h = row.get("hnsw")
            hb = f"{h['build_s']:.1f}" if h else f"~{row.get('hnsw_build_s_extrapolated', '?')} (extrapolated)"
            hcells = f"{h['p50_ms']:.3f} (ef {h['ef_search']}) | {h['recall_at_10']:.3f}" if h else "– | –"
            bcell = f"{bm25[row['n']]['p50_ms']:.2f}" if row["n"] in bm25 else "–"
            ivf = row["ivf"]
            out.append(f"| {row['n']:,} | {row['flat']['p50_ms']:.2f} | {ivf['nlist']} | {ivf['build_s']:.1f} "
                       f"| {ivf['p50_ms']:.3f} | {ivf['recall_at_10']:.3f} | {hb} | {hcells} | {bcell} |")
        out.append("\nIVF nprobe sweep (p50 ms / recall@10):\n")
        probes = sorted({int(p) for row in r["vector_search"] for p in row["ivf"]["nprobe"]})
        out.append("| vectors | " + " | ".join(f"nprobe {p}" for p in probes) + " |")
        out.append("|---:|" + "---:|" * len(probes))
        for row in r["vector_search"]:
            cells = [row["ivf"]["nprobe"].get(str(p)) or row["ivf"]["nprobe"].get(p) for p in probes]
            out.append(f"| {row['n']:,} | " + " | ".join(f"{c['p50_ms']:.3f} / {c['recall_at_10']:.3f}" for c in cells) + " |")
        hn = [row for row in r["vector_search"] if "hnsw" in row]
        if hn:
            efs = sorted({int(e) for row in hn for e in row["hnsw"]["ef"]})
            out.append("\nHNSW32 efSearch sweep (p50 ms / recall@10):\n")
            out.append("| vectors | " + " | ".join(f"ef {e}" for e in efs) + " |")
            out.append("|---:|" + "---:|" * len(efs))
            for row in hn:
                cells = [row["hnsw"]["ef"].get(str(e)) or row["hnsw"]["ef"].get(e) for e in efs]
                out.append(f"| {row['n']:,} | " + " | ".join(f"{c['p50_ms']:.3f} / {c['recall_at_10']:.3f}"
                                                          for c in cells) + " |")
    if "large_index" in r:
        out.append(_large_table(r))
    if r.get("milvus"):
        from rag.bench.milvus import table

        out.append("\nFAISS vs Milvus (milvus-lite), same vectors and queries:\n\n" + table(r["milvus"]))
    if "threads" in r:
        out.append("\n| OMP threads | batch | wait policy | passages/s | query ms |")
        out.append("|---:|---:|---|---:|---:|")
        for t in r["threads"]:
            out.append(f"| {t['threads']} | {t['batch']} | {t.get('wait_policy', '')} | {t['texts_per_s']:.2f} "
                       f"| {t['query_ms']:.2f} |")
    return "\n".join(out) + "\n"


def _large_table(r: dict) -> str:
    big, small = r["large_index"], r.get("small_probe", {})
    p = big["process"]
    per = 100_000 / big["chunks"]
    lines = [f"\nA {big['chunks']:,}-chunk index ({big['documents']:,} synthetic articles, {big['sentences']:,} "
             f"sentences; chunk index {big['kinds']['faiss_type']}, sentence index {big['kinds']['sentence_faiss_type']}):\n",
             "| measure | value |", "|---|---:|",
             f"| first build with synthetic vectors, s | {big['build_s']:.1f} |",
             f"| no-op update, s | {big['noop_update_s']:.2f} |",
             f"| on disk, MB per 100k chunks | {_mb(big['disk_total'] * per)} |"]
    for name, size in big["disk"].items():
        lines.append(f"| … {name}, MB | {_mb(size * per)} |")
    lines += [f"| load (open) in a fresh process, s | {p['load_s']:.3f} |",
              f"| first search after load, s | {p['first_search_s']:.3f} |",
              f"| search p50 / p95 ms | {p['search']['p50_ms']:.1f} / {p['search']['p95_ms']:.1f} |",
              f"| search without embedding p50 ms | {p['search_without_embedding']['p50_ms']:.2f} |",
              f"| ask p50 / p95 ms | {p['ask']['p50_ms']:.1f} / {p['ask']['p95_ms']:.1f} |",
              f"| peak RSS of that process, MB | {p['peak_rss_mb']:.0f} |",
              f"| … at the end: private (anonymous) / file pages (index files mapped), MB "
              f"| {p['rss_mb'].get('RssAnon', 0):.0f} / {p['rss_mb'].get('RssFile', 0):.0f} |"]
    if small:
        lines.append(f"| … same process over corpus/ ({r['latency']['chunks']} chunks), MB | {small['peak_rss_mb']:.0f} |")
        lines.append(f"| peak RSS per 100k chunks (difference), MB | {(p['peak_rss_mb'] - small['peak_rss_mb']) * per:.0f} |")
        anon = p["rss_mb"].get("RssAnon", 0) - small.get("rss_mb", {}).get("RssAnon", 0)
        lines.append(f"| private memory per 100k chunks (RssAnon difference), MB | {anon * per:.0f} |")
    add = big["add"]
    lines += [f"| add one article ({add['embedded_chunks']} chunks): total s | {add['seconds']:.2f} |",
              f"| … of which embedding s | {add['embed_s']:.2f} |",
              f"| … everything else s | {add['overhead_s']:.2f} |",
              f"| delete one article, s | {big['delete']['seconds']:.2f} |"]
    if "cli" in big:
        lines += [f"| `rag index` in a fresh process (imports, model, jieba): add / delete, s | "
                  f"{big['cli']['add_s']:.2f} / {big['cli']['delete_s']:.2f} |"]
    stages = sorted(set(big["build_timings"]) | set(add["timings"]))
    lines += ["\n| build stage (s) | first build | add one | delete one |", "|---|---:|---:|---:|"]
    for s in stages:
        lines.append(f"| {s} | {big['build_timings'].get(s, 0):.2f} | {add['timings'].get(s, 0):.2f} "
                     f"| {big['delete']['timings'].get(s, 0):.2f} |")
    return "\n".join(lines)


def plot(r: dict, path: Path) -> None:
    """Log-log: query latency and build time against corpus size (chunks)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", extra="eval", purpose="the benchmark plot") from exc
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    vs = r["vector_search"]
    ns = [row["n"] for row in vs]
    left.plot(ns, [row["flat"]["p50_ms"] for row in vs], "o-", label="exact vector search (flat)")
    left.plot(ns, [row["ivf"]["p50_ms"] for row in vs], "s-", label="IVF vector search (chosen)")
    hn = [row for row in vs if "hnsw" in row]
    left.plot([row["n"] for row in hn], [row["hnsw"]["p50_ms"] for row in hn], "^-", label="HNSW32 vector search")
    if r.get("bm25"):
        left.plot([b["n"] for b in r["bm25"]], [b["p50_ms"] for b in r["bm25"]], "d-", label="BM25 (scores + top 60)")
    lat, big = r["latency"], r.get("large_index")
    xs = [lat["chunks"]] + ([big["chunks"]] if big else [])
    left.plot(xs, [lat["search"]["p50_ms"]] + ([big["process"]["search"]["p50_ms"]] if big else []), "*-",
              ms=12, label="rag search, whole (hybrid, incl. embedding)")
    left.plot(xs, [lat["search_without_embedding"]["p50_ms"]]
              + ([big["process"]["search_without_embedding"]["p50_ms"]] if big else []), "x--",
              label="rag search without embedding")
    left.axhline(lat["query_embed"]["p50_ms"], color="grey", ls=":", label="query embedding (model)")
    left.set(xscale="log", yscale="log", xlabel="chunks (vectors)", ylabel="p50 latency, ms",
             title="Query latency vs corpus size")
    left.legend(fontsize=7)
    build = r["build"]
    right.plot([b["chunks"] for b in build], [b["build_s"] for b in build], "o", ms=8, label="index build, real model")
    rate = build[0]["index_chunks_per_s"]
    grid = [100, 1_000, 10_000, 100_000, 1_000_000]
    right.plot(grid, [n / rate for n in grid], ":", color="C0", label=f"projected: {rate:.1f} chunks/s")
    if big:
        right.plot([big["chunks"]], [big["build_s"]], "P", ms=10, label="index build, synthetic vectors (no model)")
        right.plot([big["chunks"]], [big["add"]["overhead_s"]], "v", ms=9, label="add one article, minus embedding")
    right.plot(ns, [row["ivf"]["build_s"] for row in vs], "s-", label="IVF build (vectors given)")
    right.plot([row["n"] for row in hn], [row["hnsw"]["build_s"] for row in hn], "^-", label="HNSW32 build")
    ext = [row for row in vs if "hnsw_build_s_extrapolated" in row]
    if ext and hn:
        right.plot([hn[-1]["n"]] + [row["n"] for row in ext],
                   [hn[-1]["hnsw"]["build_s"]] + [row["hnsw_build_s_extrapolated"] for row in ext], "^:",
                   color="C4", label="HNSW32 build, extrapolated")
    right.set(xscale="log", yscale="log", xlabel="chunks (vectors)", ylabel="seconds", title="Build time vs corpus size")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(r: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "tables.md").write_text(tables(r), encoding="utf-8")
    if "vector_search" in r:
        plot(r, folder / "scale.png")
