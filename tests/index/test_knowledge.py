"""Corpus-derived knowledge: gazetteer, article places and dates, the English lexicon and pinyin names."""
from __future__ import annotations

import pytest

from rag.index.knowledge import Knowledge, article_date, doc_facts
from rag.index.lexicon import lemma, pinyin_key

from fixtures_news import CORPUS, HORGOS, MANZHOULI, NO_PLACE_NO_DATE


def test_an_article_s_places_are_ranked_with_the_dateline_first():
    facts = doc_facts("x", "霍尔果斯口岸上半年货运量增长", HORGOS)
    assert facts.places[0] == "霍尔果斯"
    assert facts.date == "2023-08-15"
    assert facts.names.get("霍尔果斯") == "place"


def test_an_article_without_place_or_date_has_neither():
    facts = doc_facts("x", "跨境电商企业如何降低物流成本", NO_PLACE_NO_DATE)
    assert facts.places == [] and facts.date == ""


def test_metadata_wins_over_guesses():
    assert article_date("2023-01-20 09:00\n…", "2022-12-31") == "2022-12-31"
    facts = doc_facts("x", "t", MANZHOULI, {"district": "呼伦贝尔"})
    assert facts.places[0] == "呼伦贝尔"


def test_common_nouns_tagged_as_places_are_not_places():
    facts = doc_facts("x", "t", "城市发展很快。满洲里城市建设加快。")
    assert "城市" not in facts.names


@pytest.fixture(scope="module")
def knowledge():
    arts = [(name, str(i), text.splitlines()[0], text, {}) for i, (name, text) in enumerate(CORPUS.items())]
    vocab = {w: 1 for w in ("进口", "出口", "木材", "货运量", "满洲里", "霍尔果斯", "口岸", "物流")}
    return Knowledge.build(arts, vocab)


def test_english_words_map_to_the_corpus_words_through_cc_cedict(knowledge):
    assert "进口" in knowledge.lexicon["import"]
    assert "出口" in knowledge.lexicon["export"]
    assert "木材" in knowledge.lexicon["timber"]


def test_names_are_found_by_their_pinyin(knowledge):
    assert pinyin_key("满洲里") == "manzhouli"
    assert "满洲里" in knowledge.pinyin["manzhouli"]
    assert "喀什" in knowledge.pinyin["kashi"]


def test_lines_repeated_across_articles_are_boilerplate():
    arts = [("a", "1", "t", "正文一。\n责任编辑：张三\n", {}), ("b", "2", "t", "正文二。\n责任编辑：张三\n", {})]
    k = Knowledge.build(arts, {})
    assert k.is_boilerplate("责任编辑：张三") and not k.is_boilerplate("正文一")


def test_round_trip_and_reuse_by_hash(knowledge):
    again = Knowledge.from_json(knowledge.to_json())
    assert again.docs == knowledge.docs and again.lexicon == knowledge.lexicon
    arts = [(name, str(i), "", lambda: pytest.fail("an unchanged article is not read again"), {})
            for i, name in enumerate(CORPUS)]
    assert Knowledge.build(arts, {}, previous=knowledge).docs == knowledge.docs


def test_a_knowledge_file_of_another_version_is_rejected(knowledge):
    data = knowledge.to_json()
    data["version"] = 0
    with pytest.raises(ValueError):
        Knowledge.from_json(data)


def test_lemma_is_light():
    assert lemma("exports") == "export" and lemma("cities") == "city"
    assert lemma("important") == "important" and lemma("business") == "business"


def test_a_damaged_or_missing_knowledge_file_is_a_damaged_index(make_kb):
    from rag.errors import IndexCorruptError
    from rag.index.store import load_index, read_manifest

    kb = make_kb({"horgos.txt": CORPUS["horgos.txt"]})
    manifest = read_manifest(kb.index_dir)
    path = kb.index_dir / manifest["generation"] / manifest["files"]["knowledge"]
    assert "horgos" in load_index(kb.index_dir).knowledge.docs
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rag index --rebuild|knowledge"):
        load_index(kb.index_dir)
    path.unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        load_index(kb.index_dir)


def test_the_same_corpus_gives_the_same_knowledge_whatever_the_word_order():
    """Set iteration order changes between processes; the lexicon and pinyin must not (subprocesses with
    different hash seeds build from the same articles and vocabulary)."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from fixtures_news import CORPUS\n"
        "from rag.index.knowledge import Knowledge\n"
        "arts = [(n, str(i), t.splitlines()[0], t, {}) for i, (n, t) in enumerate(CORPUS.items())]\n"
        "vocab = {w: 1 for w in set('进口 出口 木材 货运量 满洲里 霍尔果斯 口岸 物流 班列 喀什 铁路 集装箱'.split())}\n"
        "print(json.dumps(Knowledge.build(arts, vocab).to_json(), ensure_ascii=False))\n")
    outs = []
    for seed in ("1", "2", "3"):
        tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where fixtures_news lives
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": tests_dir}
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        outs.append(json.loads(run.stdout))
    assert outs[0]["lexicon"] == outs[1]["lexicon"] == outs[2]["lexicon"]
    assert json.dumps(outs[0]) == json.dumps(outs[1]) == json.dumps(outs[2])


def test_a_version_1_file_keeps_its_article_facts_and_gets_a_new_lexicon(knowledge):
    data = knowledge.to_json()
    data["version"], data["lexicon"] = 1, {"stale": ["旧"]}
    again = Knowledge.from_json(data, lambda: {"进口": 1, "木材": 1})
    assert again.docs == knowledge.docs
    assert "stale" not in again.lexicon and "进口" in again.lexicon["import"]
    with pytest.raises(ValueError):
        Knowledge.from_json(data)  # without the corpus words there is nothing to derive it from
