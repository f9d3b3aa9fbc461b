"""The `rag` command contract: index, search (table, --json, --batch), ask (--json, --batch), errors."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.app.cli import main

ROOT = Path(__file__).resolve().parents[2]
HIT_KEYS = ["rank", "score", "doc_id", "title", "chunk_id", "text", "start", "end"]
CITATION_KEYS = {"n", "doc_id", "title", "chunk_id", "text", "start", "end"}

TINY = {
    "pingxiang.txt": "# 凭祥班列\n\n2024年，从凭祥站发出的中越跨境班列共开行1620列，发送集装箱7万标箱。",
    "erenhot.md": "## 二连浩特换装\n\n二连浩特口岸拥有宽轨、准轨两套换装设施，已有40余列班列完成换装作业。",
}


@pytest.fixture
def kb_args(app_kb):
    return ["--corpus", str(app_kb.corpus_dir), "--index", str(app_kb.index_dir)]


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def stdin_lines(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def check_hits(hits: list[dict], kb) -> None:
    index = kb.engine.index
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    for h in hits:
        assert list(h) == HIT_KEYS
        assert index.doc_text(h["doc_id"])[h["start"] : h["end"]] == h["text"]  # the chunk's original text
        assert h["title"] == index.docs[h["doc_id"]]["title"]
        assert h["chunk_id"].startswith(h["doc_id"] + "#")


# ---------------------------------------------------------------- search


def test_search_prints_a_table(capsys, monkeypatch, kb_args):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run(capsys, ["search", "绥芬河口岸通道", "-k", "2", *kb_args])
    assert code == 0, err
    assert "score" in out and "article" in out and "passage" in out
    assert "suifenhe#" in out and "通道" in out
    assert out.count("suifenhe#") == 2  # two rows
    assert not out.lstrip().startswith("{")


def test_search_json(capsys, kb_args, app_kb):
    code, out, _ = run(capsys, ["search", "How", "many", "companies", "are", "in", "the", "Kashgar",
                                "comprehensive", "bonded", "zone", "--json", "-k", "4", *kb_args])
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "How many companies are in the Kashgar comprehensive bonded zone"
    assert len(data["hits"]) == 4
    assert data["hits"][0]["doc_id"] == "kashgar"
    check_hits(data["hits"], app_kb)


def test_search_batch_file_is_json_lines_in_order(capsys, tmp_path, kb_args, app_kb):
    queries = ["绥芬河口岸货运量", "", "满洲里口岸2022年进口木材多少", "？？？",
               "How much freight did Horgos handle in the first half of 2023"]
    batch = tmp_path / "queries.txt"
    batch.write_text("\n".join(queries) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, ["search", "--batch", str(batch), "-k", "3", *kb_args])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["query"] for r in rows] == queries  # one object per input line, in order
    assert rows[0]["hits"][0]["doc_id"] == "suifenhe"
    assert rows[2]["hits"][0]["doc_id"] == "manzhouli"
    for row in (rows[1], rows[3]):  # empty and unusable lines: no hits, an error, no crash
        assert row["hits"] == [] and row["error"]
    for row in (rows[0], rows[2], rows[4]):
        assert len(row["hits"]) == 3
        check_hits(row["hits"], app_kb)


def test_search_batch_from_stdin_with_env_defaults(capsys, monkeypatch, app_kb, tmp_path):
    monkeypatch.setenv("RAG_CORPUS", str(app_kb.corpus_dir))
    monkeypatch.setenv("RAG_INDEX", str(app_kb.index_dir))
    monkeypatch.chdir(tmp_path)  # no ./index here: the environment must be what is used
    stdin_lines(monkeypatch, "\ufeff绥芬河口岸货运量\n满洲里口岸2022年进口木材多少")
    code, out, _ = run(capsys, ["search", "--batch", "-", "-k", "2"])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["query"] for r in rows] == ["绥芬河口岸货运量", "满洲里口岸2022年进口木材多少"]
    assert all(len(r["hits"]) == 2 for r in rows)
    check_hits(rows[1]["hits"], app_kb)


def test_batch_file_errors(capsys, tmp_path, kb_args):
    code, _, err = run(capsys, ["search", "--batch", str(tmp_path / "missing.txt"), *kb_args])
    assert code == 1 and "missing.txt" in err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café\n".encode("latin-1"))
    code, _, err = run(capsys, ["search", "--batch", str(bad), *kb_args])
    assert code == 1 and "UTF-8" in err


@pytest.mark.parametrize("argv", [["search"], ["search", ""], ["search", "   "], ["ask"], ["ask", " "]])
def test_empty_query_exits_2_with_a_message(capsys, argv, kb_args):
    code, out, err = run(capsys, [*argv, *kb_args])
    assert code == 2
    assert "empty" in err and "Usage" in err
    assert out == ""


def test_query_without_words_exits_2(capsys, kb_args):
    code, _, err = run(capsys, ["search", "？？！", *kb_args])
    assert code == 2 and "rag:" in err


@pytest.mark.parametrize("k", ["0", "-1", "ten"])
def test_k_must_be_a_positive_number(capsys, kb_args, k):
    with pytest.raises(SystemExit) as exit_:
        main(["search", "绥芬河", "-k", k, *kb_args])
    assert exit_.value.code == 2
    assert "-k" in capsys.readouterr().err


def test_empty_index_prints_no_passages(capsys, make_kb):
    kb = make_kb({})
    code, out, _ = run(capsys, ["search", "凭祥", "--index", str(kb.index_dir)])
    assert code == 0 and "No passages found" in out
    code, out, _ = run(capsys, ["search", "凭祥", "--json", "--index", str(kb.index_dir)])
    assert json.loads(out) == {"query": "凭祥", "hits": []}


def test_no_index_says_to_run_rag_index(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_INDEX", str(tmp_path / "no-index"))
    for argv in (["search", "凭祥"], ["search", "--batch", "-"], ["ask", "凭祥班列"], ["ask", "--batch", "-"]):
        stdin_lines(monkeypatch, "凭祥\n")
        code, out, err = run(capsys, argv)
        assert code == 1, argv
        assert "rag index" in err and "Traceback" not in err
        assert out == ""
    assert not (tmp_path / "no-index").exists()


def test_corrupt_index_gives_the_rebuild_hint(capsys, make_kb):
    kb = make_kb(TINY)
    (kb.index_dir / "manifest.json").write_text("{broken", encoding="utf-8")
    code, _, err = run(capsys, ["search", "凭祥", "--index", str(kb.index_dir)])
    assert code == 1 and "damaged" in err and "rag index --rebuild" in err


# ---------------------------------------------------------------- ask


def test_ask_json(capsys, kb_args, app_kb):
    code, out, _ = run(capsys, ["ask", "2023年上半年霍尔果斯口岸进出口货运量是多少", "--json", *kb_args])
    assert code == 0
    data = json.loads(out)
    assert {"question", "answer", "answerable", "mode", "citations"} <= set(data)
    assert data["question"] == "2023年上半年霍尔果斯口岸进出口货运量是多少"
    assert data["answerable"] is True and data["mode"] == "extractive"
    assert "1200" in data["answer"]
    assert data["citations"]
    for n, c in enumerate(data["citations"], start=1):
        assert CITATION_KEYS <= set(c) and c["n"] == n
        assert app_kb.engine.index.doc_text(c["doc_id"])[c["start"] : c["end"]] == c["text"]
    assert data["citations"][0]["doc_id"] == "horgos"


def test_ask_prints_answer_and_sources(capsys, monkeypatch, kb_args):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, ["ask", "喀什综合保税区已入驻企业多少家", *kb_args])
    assert code == 0
    assert "132" in out and "Sources" in out and "kashgar" in out


def test_ask_batch_json_lines(capsys, monkeypatch, kb_args, app_kb):
    questions = ["绥芬河2025年外贸进出口总额多少", "", "How much freight did Manzhouli handle in 2022"]
    stdin_lines(monkeypatch, "\n".join(questions))
    code, out, _ = run(capsys, ["ask", "--batch", "-", *kb_args])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in rows] == questions
    for row in rows:
        assert {"question", "answer", "answerable", "mode", "citations"} <= set(row)
    assert rows[0]["answerable"] and "236" in rows[0]["answer"]
    assert rows[0]["citations"][0]["doc_id"] == "suifenhe"
    assert rows[1]["answerable"] is False and rows[1]["citations"] == [] and rows[1]["error"]
    assert rows[2]["citations"] and rows[2]["citations"][0]["doc_id"] == "manzhouli"
    for row in rows:
        for c in row["citations"]:
            assert CITATION_KEYS <= set(c)
            assert app_kb.engine.index.doc_text(c["doc_id"])[c["start"] : c["end"]] == c["text"]


# ---------------------------------------------------------------- index


def test_index_builds_updates_and_reports_skipped_files(capsys, make_kb, monkeypatch):
    kb = make_kb({**TINY, "scan.png": b"\x89PNG\r\n\x1a\n\x00\x00"}, build=False)
    args = ["index", "--corpus", str(kb.corpus_dir), "--index", str(kb.index_dir)]
    code, out, err = run(capsys, args)
    assert code == 0
    assert "Indexed 2 documents" in out and "new: 2" in out
    assert "skipped scan.png" in err and "unsupported" in err
    code, out, _ = run(capsys, args)
    assert code == 0 and "up to date" in out and "2 documents" in out

    (kb.corpus_dir / "pingxiang.txt").write_text("凭祥班列2025年开行更多。", encoding="utf-8")
    code, out, _ = run(capsys, args)
    assert code == 0 and "changed: 1 (pingxiang)" in out and "unchanged: 1" in out
    assert "embedded 1 chunks" in out

    monkeypatch.setenv("RAG_CORPUS", str(kb.corpus_dir))
    monkeypatch.setenv("RAG_INDEX", str(kb.index_dir))
    code, out, _ = run(capsys, ["index", "--rebuild", "-q"])
    assert code == 0 and "Indexed 2 documents" in out and "embedded 2 chunks" in out
    code, out, _ = run(capsys, ["search", "二连浩特换装", "--json", "-k", "1"])
    assert json.loads(out)["hits"][0]["doc_id"] == "erenhot"


def test_ctrl_c_during_index_is_a_message_not_a_traceback(capsys, tmp_path, monkeypatch):
    import rag.index.build

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rag.index.build, "build_index", interrupted)
    code, _, err = run(capsys, ["index", "--corpus", str(tmp_path), "--index", str(tmp_path / "i")])
    assert code == 130 and "interrupted" in err and "intact" in err


def test_index_missing_corpus_is_a_message(capsys, tmp_path):
    code, _, err = run(capsys, ["index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    assert code == 1 and "Corpus folder not found" in err and "Traceback" not in err


# ---------------------------------------------------------------- the real console script


def test_console_script_runs_in_a_subprocess(app_kb):
    exe = ROOT / ".venv" / "bin" / "rag"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rag"]
    env = {**os.environ, "RAG_INDEX": str(app_kb.index_dir), "RAG_CORPUS": str(app_kb.corpus_dir)}
    proc = subprocess.run([*cmd, "search", "--batch", "-", "-k", "2"], input="绥芬河口岸货运量\n\n满洲里口岸2022年进口木材多少\n",
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["绥芬河口岸货运量", "", "满洲里口岸2022年进口木材多少"]
    assert rows[0]["hits"][0]["doc_id"] == "suifenhe" and rows[2]["hits"][0]["doc_id"] == "manzhouli"
    empty = subprocess.run([*cmd, "search", ""], capture_output=True, text=True, env=env, timeout=60)
    assert empty.returncode == 2 and "empty" in empty.stderr
