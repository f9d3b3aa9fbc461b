"""Names the articles never mention, and companies they name elsewhere: refused, not answered with a neighbour's figure."""
from __future__ import annotations

import pytest

from rag.question import as_asked

EN_REFUSAL = "The articles do not say this."
ZH_REFUSAL = "资料中没有找到能回答这个问题的内容。"


@pytest.mark.parametrize("question, name", [
    ("How much has Foxconn invested in the Chongqing hub port industrial park in Jiangjin?", "Foxconn"),
    ("how much has foxconn invested in jiangjin", "foxconn"),  # no capital letter: the subject of "invested"
    ("How much is CATL investing in its battery plant in Jiangjin's Luohuang area?", "CATL"),
    ("比亚迪在江津投资建厂花了多少钱？", "比亚迪"),
    ("京东物流在江津枢纽港产业园投了多少钱？", "京东物流"),
    ("Who won the 2022 FIFA World Cup?", "FIFA"),
])
def test_a_name_no_article_knows_is_found(corpus_kb, question, name):
    assert corpus_kb.engine.answerer.evidence.names.unknown(as_asked(question)) == name


@pytest.mark.parametrize("question", [
    "What is the total investment in CISDI's (中冶赛迪) metal materials project?",  # explained in brackets
    "Who is the general manager of Jiwei IoT (积微物联)?",
    "How fast does the XFC battery charge?",  # XFC is in the articles
    "How many TEU did Jiangjin's trains carry in 2024?",  # TEU in the glossary
    "According to Chi Yong's 2023 article, how many corridors does Qingbaijiang have?",  # pinyin of 池勇
    "How much is being invested in the Juwan Jiyan XFC fast-charging battery base in Jiangjin?",
    "In what year did the first Rong-Ou express train leave Chengdu International Railway Port for Europe?",
    "Who from Mixue Bingcheng was quoted about shipping products by international train?",
    "In Qingbaijang which firm leads the advanced energy chain?",  # a misspelt district is still the district
    "巨湾技研落在珞璜的极速充电电池基地，总投资和占地分别是多少？",
    "青白江和江津都在做东南亚榴莲的生意，两边各自弄了啥？",
    "蜜雪冰城在青白江投资了多少钱？",
])
def test_names_the_articles_have_pass(corpus_kb, question):
    assert corpus_kb.engine.answerer.evidence.names.unknown(as_asked(question)) is None


@pytest.mark.parametrize("question, zh", [
    ("How much has Foxconn invested in the Chongqing hub port industrial park in Jiangjin?", False),
    ("比亚迪在江津珞璜布局了哪些电池项目？投资额多大？", True),
    # 东风小康 is in the articles, but in Jiangjin: 蜜雪冰城's 50亿元 in Qingbaijiang is no answer
    ("How much is Dongfeng Xiaokang investing in its new-energy vehicle project in Qingbaijiang?", False),
])
def test_questions_about_other_companies_are_refused(corpus_kb, question, zh):
    answer = corpus_kb.ask(question)
    assert not answer.answerable and answer.answer == (ZH_REFUSAL if zh else EN_REFUSAL)


def test_the_companies_a_question_names(corpus_kb):
    names = corpus_kb.engine.answerer.evidence.names
    assert names.companies("How much is Dongfeng Xiaokang investing in Jiangjin?") == ["东风小康"]
    assert names.companies("巨湾技研在江津的基地投资多少？") == ["巨湾技研"]
    assert names.companies("What did Mixue invest in Qingbaijiang?") == ["蜜雪冰城"]
    assert names.companies("重庆枢纽港产业园签约了多少项目？") == []  # a park, not a company


def test_a_company_named_in_its_own_article_is_answered(corpus_kb):
    answer = corpus_kb.ask("How much is Dongfeng Xiaokang investing in its new-energy vehicle project in Jiangjin?")
    assert answer.answerable and "32亿元" in answer.answer


@pytest.mark.parametrize("question, zh", [
    ("Who is the general manager of Jiwei IoT (积微物联)?", False),  # 孙建涛 is 蜜雪冰城's manager
    ("江津区的机场去年旅客吞吐量有多少人次？", True),  # 珞璜港's cargo is no airport's passengers
    ("How many national high-tech enterprises did Qingbaijiang newly add in 2023?", False),  # 47家 is 2022's
])
def test_a_figure_or_person_of_something_else_is_refused(corpus_kb, question, zh):
    answer = corpus_kb.ask(question)
    assert not answer.answerable and answer.answer == (ZH_REFUSAL if zh else EN_REFUSAL)


@pytest.mark.parametrize("question, key", [
    ("巨湾技研的XFC电池，从没电充到百分之八十要多久？", "7.5分钟"),  # "其在全球率先量产的…": 其 is 巨湾技研
    ("According to the Hongjiuguo representative, how long does the rail journey of durians take?", "4天"),
])  # the quote comes before "洪九果公司相关负责人表示"
def test_a_company_figure_in_the_sentence_after_its_name_is_answered(corpus_kb, question, key):
    answer = corpus_kb.ask(question)
    assert answer.answerable and key in answer.answer
