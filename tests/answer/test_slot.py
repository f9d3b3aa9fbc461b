"""The slot of a Chinese question (rag.answer.slot): what stands where the interrogative stands."""
from __future__ import annotations

import pytest

from rag.answer.slot import slot


def _filler(question: str, sentence: str) -> str | None:
    _, span = slot(question, sentence)
    return sentence[span[0]:span[1]] if span else None


@pytest.mark.parametrize("question, sentence, filler", [
    ("云岭果园里，新农人种植了什么作物？", "在云岭果园里，他们在种植高山蓝莓的同时，还开办了采摘节。", "高山蓝莓"),
    ("协会敦促会员加大什么力度？", "协会敦促会员进一步加大节能力度，尽快兑现承诺。", "节能力度"),
    ("某市通过哪些措施加强了行业监管？", "落实巡查监管、信用监管等措施，全面加强行业监管。", "落实巡查监管、信用监管等措施"),
    ("北辰平台是由谁开发建设的？", "该平台由北辰信息公司开发建设，已上线试运行。", "北辰信息公司"),
    ("球赛采用了什么样的记分办法？", "本次球赛采用每局21分每球得分制的记分办法。", "每局21分每球得分制的记分办法"),
])
def test_the_words_around_the_interrogative_frame_the_answer(question, sentence, filler):
    assert _filler(question, sentence) == filler


def test_both_sides_met_outrank_one_and_a_copula_question_has_no_slot():
    assert slot("协会敦促会员加大什么力度？", "协会敦促会员进一步加大节能力度。")[0] == 2
    assert slot("协会敦促会员加大什么力度？", "协会表示将加大投入。")[0] == 1
    assert slot("这项政策的主要目标是什么？", "政策以稳就业为主要目标。") == (0, None)


def test_a_why_question_is_answered_by_the_cause_the_sentence_gives():
    from rag.answer.slot import WHY, cause

    sentence = "公司负责人坦言，追加投资扩产，源于东湖优越的营商环境。"
    span = cause(sentence)
    assert sentence[span[0]:span[1]] == "东湖优越的营商环境"
    assert WHY.search("为啥又在东湖加码投资？") and WHY.search("What made the project possible?")
    assert cause("项目建成后将新增20万吨年产能。") is None
