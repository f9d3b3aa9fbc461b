"""rag eval: the question set, relevance by evidence strings, the validator, BEIR import, metrics floors."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.app.cli import main
from rag.evaluation.evalset import Locator, Question, check_set, default_set, import_beir, load_set, relevance
from rag.evaluation.evaluate import hit_at, run_eval, twin_agreement
from rag.ingest.documents import load_corpus

ROOT = Path(__file__).resolve().parents[2]

# Regression floors for eval/lugang.jsonl on the bundled corpus (hybrid retriever, extractive answers),
# a little under the measured level. Raise them when quality improves. "false_refusal_rate" is a ceiling.
FLOORS = {  # measured 2026-12-06 (second refit of the day; in-sample: lugang is in the training data): 0.978,
    # 0.951, 0.963, 0.643, 0.433, 0.000 (the refusal of these 30 questions moves by ±0.2 between refits: it was
    # 0.333-0.700 in the day's; docs/answer-model.md has the cross-validated numbers)
    "hit@5": 0.95,
    "mrr@10": 0.92,
    "answer_accuracy": 0.93,
    "citation_precision": 0.63,
    "refusal_rate": 0.40,  # 30 questions: one is 0.033
    "false_refusal_rate": 0.03,
}
LOWER_IS_BETTER = {"false_refusal_rate"}


@pytest.fixture(scope="module")
def lugang():
    return load_set(default_set())


@pytest.fixture(scope="module")
def lugang_run(corpus_kb, lugang):
    return run_eval(corpus_kb, lugang, ["hybrid"], answers=True)


# --------------------------------------------------------------------------- the set


def test_lugang_set_shape(lugang):
    assert default_set().resolve() == (ROOT / "eval" / "lugang.jsonl").resolve()
    assert len(lugang) == 166
    assert len({q.id for q in lugang}) == 166
    assert {q.lang for q in lugang} == {"zh", "en"}
    unanswerable = [q for q in lugang if not q.answerable]
    assert len(unanswerable) == 30 and all(not q.answer and q.type == "unanswerable" for q in unanswerable)
    comparisons = [q for q in lugang if q.evidence_groups]
    assert len(comparisons) == 14 and all(len(q.groups) >= 2 and len(q.docs) >= 2 for q in comparisons)
    assert all(q.answer for q in lugang if q.answerable)


def test_lugang_set_passes_the_validator(lugang, corpus_kb):
    docs, _ = load_corpus(ROOT / "corpus")
    report = check_set(lugang, {d.doc_id: d.source for d in docs}, corpus_kb.engine.index.chunks)
    assert report.errors == []
    assert not [w for w in report.warnings if "articles" in w]  # every evidence string points at one article


def test_validator_reports_bad_questions():
    sources = {"a": "绥芬河2025年规上工业增加值预计增长9.6%、位列第一。" + "无关内容。" * 60 + "服务业增长6.5%。",
               "b": "凭祥市63家企业入选。绥芬河2025年规上工业增加值预计增长9.6%。"}
    rows = [
        Question("ok", "增长多少", evidence=["预计增长９．６％、位列第一"], answer=["第 一"], docs=["a"]),
        Question("missing", "q", evidence=["这句话不存在"], answer=["x"]),
        Question("far", "q", evidence=["位列第一"], answer=["6.5%"]),
        Question("twice", "q", evidence=["规上工业增加值预计增长9.6%"], answer=["9.6%"]),
        Question("wrongdoc", "q", evidence=["63家企业入选"], answer=["63家"], docs=["a"]),
        Question("ok", "duplicate id", evidence=["63家企业入选"], answer=["63家"]),
        Question("unans", "q", answer=["something"]),
        Question("lang", "How many firms?", lang="zh", evidence=["63家企业入选"], answer=["63家"]),
        Question("beir", "q", relevant_docs={"nope": 1}),
    ]
    chunks = [SimpleNamespace(chunk_id="b#0", doc_id="b", start=0, end=6),
              SimpleNamespace(chunk_id="b#1", doc_id="b", start=6, end=len(sources["b"]))]
    report = check_set(rows, sources, chunks)
    errors = "\n".join(report.errors)
    warnings = "\n".join(report.warnings)
    assert not any(e.startswith("ok:") and "duplicate" not in e for e in report.errors)
    assert "missing: evidence not in the corpus" in errors
    assert "far: answer '6.5%' is not within" in errors
    assert "wrongdoc: evidence is in b, not in a" in errors
    assert "ok: duplicate id" in errors
    assert "unans: an unanswerable question" in errors
    assert "beir: relevant document 'nope'" in errors
    assert "twice: evidence occurs in 2 articles (a, b)" in warnings
    assert "straddles a chunk boundary" in warnings  # 凭祥市63家企业入选 crosses b#0 / b#1
    assert "lang: lang is 'zh' but the question looks English" in warnings
    assert not report.ok


def test_cli_check_exit_codes(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("凭祥市63家企业入选2023年自治区级创新型中小企业名单。\n", encoding="utf-8")
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(json.dumps({"id": "1", "question": "多少家？", "evidence": ["63家企业入选"],
                                "answer": ["63家"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    bad.write_text(json.dumps({"id": "1", "question": "多少家？", "evidence": ["64家企业入选"],
                               "answer": ["64家"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "no-index")]
    assert main(["eval", "--check", str(good), *args]) == 0
    assert "1 questions: 0 errors" in capsys.readouterr().out
    assert main(["eval", "--check", str(bad), *args]) == 1
    assert "error: 1: evidence not in the corpus: 64家企业入选" in capsys.readouterr().out
    (tmp_path / "broken.jsonl").write_text('{"id": "1", "question": \n', encoding="utf-8")
    assert main(["eval", "--check", str(tmp_path / "broken.jsonl"), *args]) == 1
    assert "broken.jsonl:1: not valid JSON" in capsys.readouterr().err


# --------------------------------------------------------------------------- relevance and metrics


def test_locator_normalises_and_maps_to_chunks():
    source = "凭祥 市今年1月-4月已累计发运\n３１５列，同比增长。另一句话。"
    chunks = [SimpleNamespace(chunk_id="c0", doc_id="d", start=0, end=12),
              SimpleNamespace(chunk_id="c1", doc_id="d", start=12, end=len(source))]
    loc = Locator({"d": source}, chunks)
    [(doc, _, _, start, end)] = loc.find("已累计发运315列")  # full-width digits, line break in between
    assert doc == "d" and source[start:end] == "已累计发运\n３１５列"
    assert loc.chunk_ids("d", start, end) == (["c0", "c1"], False)  # straddles: both chunks count
    [(_, _, _, s2, e2)] = loc.find("另一句话")
    assert loc.chunk_ids("d", s2, e2) == (["c1"], True)
    assert loc.find("凭祥市") and not loc.find("不存在")


def test_relevance_against_the_real_index(corpus_kb, lugang):
    from rag.evaluation.evalset import norm

    index = corpus_kb.engine.index
    rels = relevance(index, lugang)
    chunks = {c.chunk_id: c for c in index.chunks}
    for q in lugang:
        if not q.answerable:
            assert q.id not in rels or not rels[q.id].grades
            continue
        rel = rels[q.id]
        assert rel.missing == [] and len(rel.groups) == len(q.groups) and all(rel.groups)
        for group, found in zip(q.groups, rel.groups):
            holding = [c for c in found if any(norm(s) in norm(chunks[c].text) for s in group)]
            assert holding or len(found) >= 2  # held by a chunk, or straddling two


def test_hit_at_needs_every_group():
    groups = [{"a1", "a2"}, {"b"}]
    assert hit_at(["x", "a2", "y", "b"], groups, 3) == 0.0
    assert hit_at(["x", "a2", "y", "b"], groups, 4) == 1.0
    assert hit_at(["a1"], [{"a1"}], 1) == 1.0
    assert hit_at(["a1"], [], 10) == 0.0


def test_twins_alike_counts_pairs_answered_or_refused_the_same():
    qs = [Question("z1", "喀什口岸货运量？"), Question("e1", "Kashgar freight?", "en", twin="z1"),
          Question("z2", "满洲里口岸货运量？"), Question("e2", "Manzhouli freight?", "en", twin="z2"),
          Question("e3", "Erenhot freight?", "en", twin="missing")]
    rows = [{"id": "z1", "answer": {"metrics": {"answer_ok": 1.0, "false_refusal": 0.0}}},
            {"id": "e1", "answer": {"metrics": {"answer_ok": 0.0, "false_refusal": 0.0}}},
            {"id": "z2", "answer": {"metrics": {"answer_ok": 1.0, "false_refusal": 0.0}}},
            {"id": "e2", "answer": {"metrics": {"answer_ok": 0.0, "false_refusal": 1.0}}},
            {"id": "e3", "answer": {"metrics": {"refused": 1.0}}}]
    assert twin_agreement(rows, qs) == {"twin_agreement": 0.5, "twins": 2}
    assert twin_agreement(rows, qs[:1]) == {}
    assert Question.to_json(qs[1])["twin"] == "z1" and "twin" not in Question.to_json(qs[0])


def test_a_set_may_name_articles_by_file_name_or_by_id():
    assert Question("a", "q", docs=["kashgar_07.txt", "erenhot.md", "manzhouli_2023"]).doc_ids == [
        "kashgar_07", "erenhot", "manzhouli_2023"]


# --------------------------------------------------------------------------- the floors


def test_metrics_stay_above_the_floors(lugang_run):
    overall = lugang_run.metrics["retrievers"]["hybrid"]["overall"]
    print("measured:", {k: overall.get(k) for k in FLOORS})
    for key, floor in FLOORS.items():
        if key in LOWER_IS_BETTER:
            assert overall[key] <= floor, f"{key} {overall[key]} rose above {floor}"
        else:
            assert overall[key] >= floor, f"{key} {overall[key]} fell below {floor}"


def test_metrics_object_is_complete_and_consistent(lugang_run):
    m = lugang_run.metrics
    assert (m["questions"], m["answerable"], m["unanswerable"]) == (166, 136, 30)
    entry = m["retrievers"]["hybrid"]
    assert entry["overall"]["n"] == 136 and entry["overall"]["n_unanswerable"] == 30
    assert set(entry["by_lang"]) == {"zh", "en"}
    assert entry["by_lang"]["zh"]["n"] + entry["by_lang"]["en"]["n"] == 136
    assert entry["by_type"]["comparison"]["n"] == 14 and "hit@5" not in entry["by_type"]["unanswerable"]
    assert 0 < entry["latency_ms"]["search_p50"] <= entry["latency_ms"]["search_p95"]
    assert 0 < entry["latency_ms"]["ask_p50"] <= entry["latency_ms"]["ask_p95"]
    for row in lugang_run.results:
        mt = row["metrics"]
        if not row["answerable"]:
            assert "hit@1" not in mt and "refused" in row["answer"]["metrics"]
            continue
        ks = [mt[f"hit@{k}"] for k in (1, 3, 5, 10)]
        assert ks == sorted(ks)
        if row["type"] != "comparison":  # ranx's MRR agrees with our hit@k on single-group questions
            assert (mt["mrr@10"] == 1.0) == (mt["hit@1"] == 1.0)
            assert (mt["mrr@10"] > 0) == (mt["hit@10"] == 1.0)
            first = row["first_relevant"]
            assert mt["mrr@10"] == pytest.approx(1 / first if first else 0.0)
    for f in lugang_run.failures["hybrid"]:
        assert f["question"] and f["expected"] is not None
        if f["kind"] == "retrieval":
            assert f["rank1"]["text"]
            if f["type"] != "comparison":  # a comparison can miss one group and still have the other at 1
                assert f["first_relevant"] in (None, 6, 7, 8, 9, 10)


def test_report_files(lugang_run, tmp_path):
    from rag.evaluation.report import write_report

    out = write_report(lugang_run, tmp_path / "rep")
    report = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("## Retrieval", "## Answers", "## Latency", "## By lang", "## By type", "## Failures: hybrid"):
        assert heading in report
    assert "| hybrid |" in report and "![metrics.png](metrics.png)" in report
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == lugang_run.metrics
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 166
    for png in ("metrics.png", "by_type.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- the command


def test_cli_compares_retrievers(corpus_kb, lugang, tmp_path, capsys):
    subset = [q for q in lugang if q.id in {"p1-001", "p1-002", "p2-x01", "p2-u01", "p2-u29"}]
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(q.to_json(), ensure_ascii=False) + "\n" for q in subset), encoding="utf-8")
    args = ["--corpus", str(corpus_kb.corpus_dir), "--index", str(corpus_kb.index_dir)]
    out = tmp_path / "rep"
    assert main(["eval", str(path), *args, "--retrievers", "bm25,hybrid:candidates=30",
                 "--json", "--out", str(out)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert list(metrics["retrievers"]) == ["bm25", "hybrid:candidates=30"]
    assert metrics["questions"] == 5 and metrics["answerable"] == 3
    assert metrics["retrievers"]["bm25"]["overall"]["n"] == 3
    assert (out / "report.md").exists() and (out / "results.jsonl").exists()

    assert main(["eval", str(path), *args, "--retrievers", "bm25", "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "Retrieval (answerable questions" in text and "bm25" in text and "By type" in text

    assert main(["eval", str(path), *args, "--retrievers", "sparkly"]) == 2
    assert "Unknown retriever 'sparkly'" in capsys.readouterr().err


BEIR_DOCS = [
    {"_id": "d1", "title": "阿拉山口口岸", "text": "阿拉山口口岸位于新疆博尔塔拉，是中欧班列的重要通道，通行班列已超过两万列。"},
    {"_id": "d2", "title": "凭祥水果", "text": "广西凭祥的跨境冷链班列从越南运来新鲜火龙果，运输时间只需两天。"},
    {"_id": "d/3", "title": "", "text": "红烧肉是一道家常菜，用五花肉、冰糖和酱油慢慢炖煮而成。"},
]


def _write_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in BEIR_DOCS),
                                       encoding="utf-8")
    queries = [{"_id": "q1", "text": "凭祥的火龙果班列运输要几天？"}, {"_id": "q2", "text": "红烧肉用什么肉做？"},
               {"_id": "q3", "text": "没有相关文档的问题"}]
    (root / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries),
                                        encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td/3\t2\nq3\td1\t0\n",
                                             encoding="utf-8")
    return root


def test_beir_import_and_eval(tmp_path, capsys):
    beir = _write_beir(tmp_path / "beir")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    questions = import_beir(beir, corpus)
    assert sorted(p.name for p in corpus.iterdir()) == ["d1.txt", "d2.txt", "d_3.txt"]
    assert {q.id: q.relevant_docs for q in questions} == {"q1": {"d2": 1}, "q2": {"d_3": 2}}  # q3: score 0 only
    assert (corpus / "d1.txt").read_text(encoding="utf-8").startswith("阿拉山口口岸\n\n阿拉山口口岸位于")

    assert main(["eval", "--beir", str(beir), "--corpus", str(corpus), "--index", str(index),
                 "--retrievers", "bm25,hybrid", "--json", "--out", str(tmp_path / "rep")]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["questions"] == 2 and metrics["index"]["documents"] == 3
    for name in ("bm25", "hybrid"):
        overall = metrics["retrievers"][name]["overall"]
        assert overall["hit@1"] == 1.0 and overall["ndcg@10"] == 1.0
    saved = load_set(tmp_path / "rep" / "questions.jsonl")  # the imported set, reusable without --beir
    assert {q.id for q in saved} == {"q1", "q2"}

    assert main(["eval", "--beir", str(beir)]) == 1
    assert "--beir needs --corpus and --index" in capsys.readouterr().err


def test_retriever_settings_are_parsed_and_can_be_joined_with_plus():
    from rag.errors import InvalidQueryError
    from rag.evaluation.evaluate import _parse_settings, resolve_retriever

    assert _parse_settings("bm25_weight_zh=0.5+bm25_weight_en=0.85", "hybrid") == {
        "bm25_weight_zh": 0.5, "bm25_weight_en": 0.85}
    assert _parse_settings("candidates=100", "hybrid") == {"candidates": 100}
    assert resolve_retriever("hybrid:candidates=100").name == "hybrid:candidates=100"
    for bad in ("hybrid:nonsense=1", "hybrid:candidates=x", "nothing"):
        with pytest.raises(InvalidQueryError):
            resolve_retriever(bad)
