"""rag.app.web_intro: the page's title, description and examples come from the corpus, or articles.toml [chat]."""
from __future__ import annotations

from types import SimpleNamespace

from rag.app.web_intro import GENERIC, PRODUCT, corpus_intro, derived_examples, top_places, topics


def test_intro_is_derived_from_the_index_knowledge(app_kb):
    intro = corpus_intro(app_kb)
    places = top_places(app_kb.engine.index)
    # every article of the app corpus is about its own place; the most recent article's place leads the ties
    assert set(places) == {"绥芬河", "霍尔果斯", "喀什", "满洲里"} and places[0] == "绥芬河"
    assert intro.title.startswith("、".join(places[:3])) and intro.title.endswith(PRODUCT)
    assert "5 篇新闻" in intro.description and "满洲里" in intro.description
    assert "中欧班列" in topics(app_kb.engine.index)  # named by two articles
    assert intro.examples == derived_examples(app_kb.engine.index)
    assert intro.examples[:3] == ["中欧班列的规模有多大？", "绥芬河的发展有哪些亮点？", "霍尔果斯有哪些主要经济数据？"]
    assert intro.examples[3].startswith("What are the highlights of ") and intro.examples[3].isascii()


def test_the_examples_are_answered(app_kb):
    for question in corpus_intro(app_kb).examples:
        assert app_kb.ask(question).answerable, question


def test_articles_toml_chat_table_wins_and_no_index_gives_the_general_intro(app_kb, tmp_path):
    (tmp_path / "articles.toml").write_text('[chat]\ntitle = "东兴 凭祥 边贸问答"\ndescription = "边境口岸新闻。"\n'
                                            'examples = ["东兴口岸货运量是多少？", "", 3]\n\n["a.txt"]\ntitle = "x"\n',
                                            encoding="utf-8")
    kb = SimpleNamespace(corpus_dir=tmp_path, engine=app_kb.engine)
    intro = corpus_intro(kb)
    assert (intro.title, intro.description, intro.examples) == ("东兴 凭祥 边贸问答", "边境口岸新闻。",
                                                                ["东兴口岸货运量是多少？"])

    class NoIndex:
        corpus_dir = tmp_path / "nothing"

        @property
        def engine(self):
            raise RuntimeError("no index")

    bare = corpus_intro(NoIndex())
    assert (bare.title, bare.description, bare.examples) == (PRODUCT, GENERIC, [])
    (tmp_path / "articles.toml").write_text("[chat\n", encoding="utf-8")  # broken TOML: ignored
    assert corpus_intro(kb).title.endswith(PRODUCT)
