"""The extractive answerer: exact citations, bold figures, honest refusals, follow-ups, bad input."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.answer import Answer, AnswerConfig, Answerer, Citation
from rag.places import foreign_places, question_places
from rag.question import DURATION, counted_noun, expected_unit, has_org, has_person, names_company, question_years, resolve_followup, sub_questions
from rag.errors import InvalidQueryError
from rag.tokenize import is_chinese

ROOT = Path(__file__).resolve().parent.parent
ZH_LEAD = "根据资料："
EN_LEAD = "According to the articles (quoted in Chinese): "
ZH_REFUSAL = "资料中没有找到能回答这个问题的内容。"
EN_REFUSAL = "The articles do not say this."
CONTRACT_KEYS = {"question", "answer", "answerable", "mode", "citations"}
CITATION_KEYS = {"n", "doc_id", "title", "chunk_id", "text", "start", "end"}


def _file_text(kb, doc_id: str) -> str:
    """The article exactly as it is on disk (bytes decoded, newlines untouched)."""
    path = kb.corpus_dir / kb.engine.index.docs[doc_id]["path"]
    return path.read_bytes().decode("utf-8")


def _squash(text: str) -> str:
    """Compare a shown sentence with its source span: no markdown bold, list bullets or whitespace."""
    text = re.sub(r"(?m)^\s*[-*•]\s+", "", text).replace("**", "")
    return re.sub(r"\s+", "", text)


def check_answer(kb, answer: Answer) -> None:
    """Every citation quotes its article exactly; [n] markers and citations match one to one."""
    index = kb.engine.index
    assert answer.answerable and answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}) == [c.n for c in answer.citations]
    lead = ZH_LEAD if answer.answer.startswith(ZH_LEAD) else EN_LEAD
    assert answer.answer.startswith(lead)
    pieces = re.split(r"\[(\d+)\]", answer.answer[len(lead):])
    shown = dict(zip((int(n) for n in pieces[1::2]), pieces[0::2]))  # marker -> sentence before it
    assert pieces[-1].strip() == ""  # nothing after the last marker
    for c in answer.citations:
        source = _file_text(kb, c.doc_id)
        assert source == index.doc_text(c.doc_id)
        assert 0 <= c.start < c.end <= len(source)
        assert source[c.start : c.end] == c.text, (c.n, c.text)
        # the sentence lies inside its retrieved chunk, which is quoted exactly too
        assert c.chunk_id.startswith(c.doc_id + "#")
        assert c.passage_start <= c.start and c.end <= c.passage_end
        assert source[c.passage_start : c.passage_end] == c.passage
        assert c.title == index.docs[c.doc_id]["title"] and c.district == index.docs[c.doc_id]["district"]
        # what the answer shows before [n] is that very sentence (markdown aside)
        assert _squash(shown[c.n]) == _squash(c.text), (shown[c.n], c.text)


def answered(kb, question: str, *fragments: str) -> Answer:
    """``kb``'s answer to ``question``, checked (see :func:`check_answer`) and holding every fragment."""
    answer = kb.ask(question)
    check_answer(kb, answer)
    assert all(f in answer.answer for f in fragments), answer.answer
    return answer


def check_refusal(kb, answer: Answer, zh: bool) -> None:
    assert not answer.answerable
    assert answer.answer == (ZH_REFUSAL if zh else EN_REFUSAL)
    assert answer.citations == [] and "[1]" not in answer.answer
    for r in answer.related:  # the closest passages are still quoted exactly
        assert kb.engine.index.doc_text(r.doc_id)[r.start : r.end] == r.text == r.passage


# --------------------------------------------------------------------------- question analysis


@pytest.mark.parametrize("question, unit", [
    ("2024年江津西部陆海新通道班列开行多少列", "列"),
    ("重庆枢纽港产业园有几家汽摩企业？", "家"),
    ("巨湾技研一期产能是多少GWh？", "GWh"),
    ("江津占全市的百分之多少", "%"),
    ("进口商品占比多少？", "%"),
    ("How many TEUs did Jiangjin carry?", "标箱"),
    ("How many vehicles were on the first train to Peru?", "辆|台"),
    ("How many overseas stores does the chain have?", "家|个"),
    ("How many trains ran in 2024?", "列"),
    ("how many companies moved in?", "家"),
    ("How many China-Europe freight trains left in 2025?", "列"),  # words between "how many" and the noun
    ("How many jobs will the plant create?", "个|人"),
    ("What percentage of trains came from Qingbaijiang?", "%"),
    ("青白江综合保税区全国排第几？", None),  # 第几 is a rank, not a count
    ("哪家公司投资了50亿元？", None),
    ("工业税收是多少亿元？", "亿元"),
    ("协议引资多少亿？", "亿"),
    ("What was Qingbaijiang's exact GDP growth rate in 2025?", "%"),
    ("青白江GDP增速是多少？", "%"),
    ("江津工业税收增长了多少？", None),  # could be 亿元 or %
    ("从没电充到百分之八十要多久？", DURATION),  # 百分之八十 is given, not asked
    ("时效上到底快了多少？", DURATION),
    ("How long does the journey take?", DURATION),
])
def test_expected_unit(question, unit):
    assert expected_unit(question) == unit


def test_asked_periods_read_month_ranges():
    from rag.question import asked_periods

    may = asked_periods("For January to May 2023, how many trains?")
    assert may == asked_periods("2023年1-5月开了多少列") == asked_periods("Between January and May 2023?")
    assert re.search(may[0], "今年1月-5月已累计开行407列") and re.search(may[0], "前5个月")
    assert not re.search(may[0], "今年一季度")
    assert re.search(asked_periods("前六个月外贸多少")[0], "今年上半年")  # named as 上半年
    assert asked_periods("2025年一季度") and asked_periods("How many in 2024?") == []


def test_question_years():
    assert question_years("青白江2025年规上工业增加值增长多少？") == {"2025"}
    assert question_years("江津2023年和２０２４年各引资多少") == {"2023", "2024"}  # full-width digits too
    assert question_years("How many trains did Jiangjin run in 2024?") == {"2024"}
    assert question_years("青白江中试基地有多少项成果？") == set()
    assert question_years("日均交易量近3000吨") == set()
    assert question_years("青白江 跨境电商 25年 单量") == {"2025"}  # people shorten recent years
    assert question_years("近25年来增长多少") == set()


def test_question_places():
    assert question_places("青白江2025年规上工业增加值") == {"青白江"}
    assert question_places("How many trains did JIANGJIN run?") == {"江津"}  # case does not matter
    assert question_places("成都国际铁路港有多少条通道？") == {"青白江", "成都"}  # the port is in 青白江
    assert question_places("珞璜港一年吞吐多少标箱？") == {"江津"}  # 珞璜 is a town of 江津
    assert question_places("青白江和江津哪个引资多？") == {"青白江", "江津"}
    assert question_places("重庆市的GDP") == {"重庆"}
    assert question_places("火星上有多少人口？") == set()


def test_foreign_places():
    assert foreign_places("两江新区2024年引进了多少个产业项目？") == {"两江新区"}
    assert foreign_places("What was Fuling's GDP, and Deyang's?") == {"涪陵", "德阳"}
    assert foreign_places("How many trains did Chongqing's Guoyuan Port (果园港) run?") == {"果园港"}
    assert foreign_places("青白江2025年规上工业增加值增长多少？") == set()
    assert foreign_places("江津班列开行多少列") == set()


# --------------------------------------------------------------------------- follow-ups

PREVIOUS = "青白江2025年规上工业增加值增长多少？"
MESSAGES = [{"role": "user", "content": PREVIOUS}, {"role": "assistant", "content": "根据资料：……**12.7%**[1]"}]


def test_followup_swaps_the_district():
    query = resolve_followup("那江津呢？", MESSAGES)
    assert query == "江津2025年规上工业增加值增长多少？"
    assert "青白江" not in query and question_places(query) == {"江津"}


@pytest.mark.parametrize("followup", ["what about Jiangjin?", "What about Jiangjin?", "and Jiangjin?", "江津呢"])
def test_english_and_bare_followups(followup):
    assert resolve_followup(followup, MESSAGES) == "江津2025年规上工业增加值增长多少？"


def test_followup_in_english_history_keeps_english():
    history = [{"role": "user", "content": "How much did Qingbaijiang industrial value added grow in 2025?"}]
    assert resolve_followup("what about Jiangjin?", history) == "How much did Jiangjin industrial value added grow in 2025?"


def test_followup_swaps_the_year():
    assert resolve_followup("那2024年呢？", MESSAGES) == "青白江2024年规上工业增加值增长多少？"


def test_followup_without_a_place_or_year_prefixes_the_subject():
    assert resolve_followup("那蜜雪冰城呢？", MESSAGES) == f"蜜雪冰城 {PREVIOUS}"


def test_followup_reads_the_last_user_turn_in_either_format():
    history = [{"role": "user", "content": "江津区2024年工业税收多少？"}, {"role": "assistant", "content": "…"},
               {"role": "user", "content": PREVIOUS}, {"role": "assistant", "content": "…"}]
    assert resolve_followup("那江津呢？", history) == "江津2025年规上工业增加值增长多少？"
    pairs = [("江津区2024年工业税收多少？", "…"), (PREVIOUS, "…")]  # (user, assistant) tuples
    assert resolve_followup("那江津呢？", pairs) == "江津2025年规上工业增加值增长多少？"


@pytest.mark.parametrize("question", ["江津区2024年工业税收多少？", "How many trains did Jiangjin run in 2024?",
                                      "青白江中试基地有多少项科技成果完成了试验验证，在全国排第几名呢？"])
def test_a_full_question_is_not_a_followup(question):
    assert resolve_followup(question, MESSAGES) == question


@pytest.mark.parametrize("history", [None, [], [{"role": "assistant", "content": "你好"}], [{"role": "user", "content": ""}]])
def test_no_previous_question_leaves_the_question_alone(history):
    assert resolve_followup("那江津呢？", history) == "那江津呢？"


def test_followup_through_ask(corpus_kb):
    history = [{"role": "user", "content": "2024年江津西部陆海新通道班列开行多少列？"},
               {"role": "assistant", "content": "根据资料：……**1804列**[1]"}]
    answer = corpus_kb.ask("那2025年一季度呢？", history=history)
    assert answer.question == "那2025年一季度呢？"
    assert answer.query == "2025年江津西部陆海新通道班列开行多少列？"
    check_answer(corpus_kb, answer)
    assert "**401列**" in answer.answer and "1804" not in answer.answer


def test_followup_for_a_district_without_that_figure_is_refused(corpus_kb):
    answer = corpus_kb.ask("那江津呢？", history=MESSAGES)
    assert answer.query == "江津2025年规上工业增加值增长多少？"
    check_refusal(corpus_kb, answer, zh=True)


# --------------------------------------------------------------------------- answers over the corpus

ANSWERED = [
    "青白江2025年规上工业增加值增长多少？",
    "2024年江津全区的工业税收是多少？比上年涨了多少？",
    "重庆枢纽港产业园现在有多少家汽摩企业？其中规上的有几家？",
    "How many trains did Jiangjin run in 2024?",
    "Roughly how many tonnes of steel pass through Qingbaijiang's steel market cluster every year?",
    # the evidence spans a paragraph break in the source ("发挥陆港\n\n优势")
    "What was Qingbaijiang's foreign trade (import and export) value in the first half of 2023?",
    "2024年江津工业税收多少？2025年青白江规上工业增加值增长多少？",
]


@pytest.mark.parametrize("question", ANSWERED)
def test_citations_quote_the_article_exactly(corpus_kb, question):
    answer = corpus_kb.ask(question)
    check_answer(corpus_kb, answer)
    assert answer.question == answer.query == question and answer.mode == "extractive"


@pytest.mark.parametrize("question, figures, doc", [
    ("青白江2025年规上工业增加值增长多少？", ["12.7%"], "000"),
    ("2024年江津全区的工业税收是多少？比上年涨了多少？", ["43.5亿元", "11.6%"], "002"),
    ("2024年江津西部陆海新通道班列开行多少列", ["1804列"], "001"),
    ("重庆枢纽港产业园现在有多少家汽摩企业？其中规上的有几家？", ["168家", "71家"], "001"),
    ("2025年1到11月，青白江先进能源这一产业集群的产值有多少？", ["96.17亿元"], "000"),
    ("玉湖冷链成都交易中心每天平均能成交多少吨货？", ["近3000吨"], "000"),
    ("2022年青白江新增了多少家国家级高企？有效高新技术企业总数多少、增长了多少？", ["47家", "达115家", "59.7%"], "004"),
])
def test_number_question_gets_the_figure_in_bold(corpus_kb, question, figures, doc):
    answer = corpus_kb.ask(question)
    assert answer.answerable
    assert answer.answer.startswith(ZH_LEAD)
    for figure in figures:
        assert f"**{figure}**" in answer.answer, answer.answer
    # the first citation comes from the article that has the figure and holds it
    first = answer.citations[0]
    assert first.doc_id.startswith(doc)
    assert figures[0].lstrip("近达") in first.text


def test_bold_skips_the_numbers_of_the_question(corpus_kb):
    answer = corpus_kb.ask("青白江2025年规上工业增加值增长多少？")
    assert "**2025年**" not in answer.answer and "**12.7%**" in answer.answer


def test_english_question_gets_an_english_lead_and_chinese_evidence(corpus_kb):
    answer = corpus_kb.ask("How many trains did Jiangjin run in 2024?")
    assert answer.answerable
    assert answer.answer.startswith(EN_LEAD)
    body = answer.answer[len(EN_LEAD):]
    assert is_chinese(body) and "**1804列**" in body
    assert answer.citations[0].doc_id.startswith("001") and "1804列" in answer.citations[0].text
    check_answer(corpus_kb, answer)


def test_comparison_cites_both_districts(corpus_kb):
    answer = corpus_kb.ask("2024年江津工业税收多少？2025年青白江规上工业增加值增长多少？")
    assert {c.district for c in answer.citations} == {"江津", "青白江"}
    assert "**43.5亿元**" in answer.answer and "**12.7%**" in answer.answer


def test_mixed_language_question(corpus_kb):
    answer = corpus_kb.ask("青白江中试基地 pilot base 有多少项科技成果？")
    check_answer(corpus_kb, answer)
    assert answer.answer.startswith(ZH_LEAD)
    assert answer.citations[0].doc_id.startswith("004") and "60" in answer.citations[0].text


def test_answers_are_deterministic(corpus_kb):
    question = "重庆枢纽港产业园现在有多少家汽摩企业？其中规上的有几家？"
    assert corpus_kb.ask(question).to_json() == corpus_kb.ask(question).to_json()


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("question", [
    "青白江2024年规上工业增加值增长多少？",  # the articles give 2025 only
    "青白江2030年规上工业增加值增长多少？",
    "江津2030年工业税收多少？",
    "What was Jiangjin's industrial tax revenue in 2030?",
    "两江新区2025年规上工业增加值增长多少？",  # a district the articles are not about
    "How much industrial tax revenue did Qingbaijiang collect in 2024?",  # the tax figure is 江津's
    "德阳国际铁路港2023年开了多少列中欧班列？",
    "青白江2023年上半年外贸额里，出口部分具体是多少？",  # only 进出口 is given
    "青白江区委书记叫什么名字？",  # the only 书记 in the articles is a byline's 副书记
    "Who is the Communist Party secretary of Jiangjin District named in these reports?",
    "到2024年底，江津一共累计有多少家国家级“小巨人”企业？",  # only the year's 2 new ones are given
    "火星上有多少人口？",
    "红烧肉怎么做才不腻？",
    "Who won the 2022 FIFA World Cup?",
])
def test_refuses_what_the_articles_do_not_say(corpus_kb, question):
    answer = corpus_kb.ask(question)
    check_refusal(corpus_kb, answer, zh=is_chinese(question))
    assert answer.related  # the closest passages are offered instead


@pytest.mark.parametrize("answerable, refused", [
    ("青白江2025年规上工业增加值增长多少？", "青白江2024年规上工业增加值增长多少？"),  # year
    ("青白江2025年规上工业增加值增长多少？", "两江新区2025年规上工业增加值增长多少？"),  # place
    ("江津区2024年工业税收多少？", "江津区2030年工业税收多少？"),
    ("江津区2024年工业税收多少？", "青白江区2024年工业税收多少？"),  # the other district
    ("青白江2023年上半年外贸进出口额是多少？", "青白江2023年上半年外贸额里，出口部分具体是多少？"),
    ("江津区2024年工业税收多少？", "江津区2024年的外贸进出口总额是多少？"),  # another measure, same year
    ("How much industrial tax did Jiangjin collect in 2024?", "What was the industrial output value of Jiangjin in 2024?"),
    ("蜜雪冰城在青白江的基地是什么时候开工的？", "蜜雪冰城在青白江的基地预计什么时候建成投产？"),  # another event
    ("蜜雪冰城在青白江的基地是什么时候开工的？", "When will the Mixue base in Qingbaijiang be completed?"),
    # the measure and the figure in one clause: 地区生产总值 "跻身全市前列", the 亿元 is 批发业's
    ("江津2024年工业税收是多少亿元？", "青白江2025年地区生产总值是多少亿元？"),
    # ... or in the clause after it ("进出口额192.6亿元，同比增长63.9%"), but not somewhere else
    ("What was Qingbaijiang's foreign trade value in the first half of 2023, and how fast did it grow?",
     "What was Qingbaijiang's exact GDP growth rate in 2025?"),
    # the measure and the figure in one sentence: 实到资金 is cited, but the only % is about trains
    ("江津2023年上半年实到资金是多少？", "江津2023年上半年实到资金比上年同期增长了百分之多少？"),
    # a standard indicator the articles never give is not answered by another figure of the same year
    ("How much industrial tax did Jiangjin collect in 2024?", "How much did retail sales of consumer goods in Jiangjin "
                                                              "grow in 2024?"),
    ("江津区2024年工业税收多少？", "江津区2024年固定资产投资增长多少？"),
    # a pinyin name finds its company, whose sentence has no revenue figure
    ("What does Jiwei Wulian run in Qingbaijiang?", "What was Jiwei Wulian's operating revenue in 2025?"),
    # the whole year is not answered by a quarter's figure
    ("2025年一季度江津开行了多少列西部陆海新通道班列？", "江津的西部陆海新通道班列2025年一整年一共开了多少列？"),
    ("Where did Qingbaijiang's comprehensive bonded zone rank nationally?",
     "What grade and national ranking did Jiangjin's comprehensive bonded zone get?"),
    # 出口 in "投资50亿元建造的…出口基地" is no export figure; the base's export rank is given, not its value
    ("蜜雪冰城在青白江的基地出口量排在第几？", "蜜雪冰城在青白江的生产基地每年出口额大概有多少亿元？"),
    # another quarter; the whole year of a measure given only for January–November
    ("2025年一季度江津开行了多少列西部陆海新通道班列？", "2025年二季度江津开行了多少列西部陆海新通道班列？"),
    ("青白江先进能源产业集群2025年1—11月产值多少？",
     "What was the full-year 2025 output value of Qingbaijiang's advanced energy cluster?"),
    # 小巨人 is its own measure: 2023's list of 专精特新 firms does not count 2023's "little giants"
    ("How many 'little giant' firms did Jiangjin add in 2024?", "How many 'little giant' firms did Jiangjin add in 2023?"),
    ("How many 'little giant' firms did Jiangjin add in 2024?",
     "How many national-level 'little giant' specialised enterprises did Jiangjin add in 2023?"),
    ("蜜雪冰城的孙建涛是什么职务？", "孙建涛今年多大年纪？"),  # an age the articles never give
    # a count of merchants, a ranking asked as 排第几: none given, though the place is named
    ("How many trains did Jiangjin run in 2024?",
     "How many merchants operate at the Shuangfu International Agricultural Trade City in Jiangjin?"),
    ("青白江综合保税区的绩效评估在全国排第几？", "江津综合保税区的绩效评估在全国排第几？"),
    # the quarter asked, with the figure: a first quarter's count is not the second's, though another
    # passage names a second quarter; a quarter named once for its passage still counts
    ("In Jiangjin's Q2 2023 groundbreaking and completion event, how many projects broke ground and with what "
     "investment?", "how many western land-sea corridor trains did jiangjin run in the second quarter of 2025"),
    # a measure and a year, no unit asked: 2024's tax is not 2025's
    ("What was Jiangjin's industrial tax revenue in 2024, and how did it change year on year?",
     "What was Jiangjin district's industrial tax revenue in 2025, and how did it change year on year?"),
    # a measure asked for a year, with no unit: the sentence holding it must be of that year
    ("What was the foreign trade value of the Chongqing Hub Port Industrial Park in 2025?",
     "What was the total foreign trade value of the Chongqing Hub Port Industrial Park in 2024?"),
    # English questions need the things they name in the passages: 跨境电商 is 青白江's; a Jiangjin
    # train count was cited for it
    ("How many cross-border e-commerce orders did Qingbaijiang complete in 2025?",
     "How many cross-border e-commerce orders did Jiangjin handle in 2025?"),
    ("Where did Qingbaijiang's comprehensive bonded zone rank nationally?",
     "How many smart gantry cranes work at the container center of Chengdu International Railway Port?"),
])
def test_one_changed_constraint_turns_an_answer_into_a_refusal(corpus_kb, answerable, refused):
    assert corpus_kb.ask(answerable).answerable
    check_refusal(corpus_kb, corpus_kb.ask(refused), zh=is_chinese(refused))


@pytest.mark.parametrize("question", ["What is the capital of France?", "How many people live on Mars?"])
def test_refuses_off_topic_english(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=False)


@pytest.mark.parametrize("question", ["青白江区党委书记叫什么名字？", "Who is the party secretary of Qingbaijiang?"])
def test_deputy_secretary_byline_is_not_the_party_secretary(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=is_chinese(question))


@pytest.mark.parametrize("question, fragments", [
    # the name is on the line after the quote that matches the question
    ("那位说珞璜港转运让物流时间缩短近两天的造纸企业物流经理叫什么名字？", ["张静萍"]),
    # a deputy secretary asked is answered by one (a party secretary asked is not: see above)
    ("Who is Qingbaijiang's deputy Party secretary who wrote in the survey report?", ["池勇"]),
    # hazards "handled" faster is no cargo throughput
    ("How many video network nodes has Jiangjin built, and how much faster are hazards handled?", ["68", "70%"]),
    ("青白江 跨境电商 25年 单量和增速", ["1207万单", "88.3%"]),  # "25年" is 2025
])
def test_names_roles_and_short_years(corpus_kb, question, fragments):
    answer = corpus_kb.ask(question)  # (a byline is answered as a credit, with its own lead-in)
    assert answer.answerable and all(f in answer.answer for f in fragments), answer.answer
    assert all(any(f in c.text for c in answer.citations) for f in fragments)


def test_a_count_like_2000_is_not_a_year(corpus_kb):
    assert corpus_kb.ask("江津班列开行超过3000列了吗？").answerable
    assert corpus_kb.ask("江津班列开行超过2000列了吗？").answerable


def _unanswerable_eval_questions():
    rows = [json.loads(line) for line in (ROOT / "eval" / "lugang.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [(r["id"], r["question"]) for r in rows if r["type"] == "unanswerable"]


EVAL_MISSES = {
    "p2-u10": "asks for a 2026 signing target; article 001 is dated 2026 so its undated sentences count as 2026, "
              "and 2025 output / past signings are cited instead",
}


@pytest.mark.parametrize("qid, question", [
    pytest.param(qid, q, marks=pytest.mark.xfail(strict=True, reason=f"bug: {EVAL_MISSES[qid]}"))
    if qid in EVAL_MISSES else (qid, q)
    for qid, q in _unanswerable_eval_questions()])
def test_eval_unanswerables_are_refused(corpus_kb, qid, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=is_chinese(question))


# --------------------------------------------------------------------------- configuration


def test_config_caps_sentences_and_sets_refusal_thresholds(corpus_kb):
    retriever = corpus_kb.engine.retriever
    question = "青白江2025年规上工业增加值增长多少？"
    assert len(corpus_kb.ask(question).citations) == 2
    single = Answerer(retriever, AnswerConfig(max_sentences=1))
    one = single.ask(question)
    assert len(one.citations) == 1 and "[2]" not in one.answer and "**12.7%**" in one.answer
    check_answer(corpus_kb, one)
    # a two-part question cannot be answered by one sentence: the 税收 half is missing from it
    both = "2024年江津工业税收多少？2025年青白江规上工业增加值增长多少？"
    answer = corpus_kb.ask(both)
    assert 2 <= len(answer.citations) <= 3 and "**43.5亿元**" in answer.answer and "**12.7%**" in answer.answer
    assert not single.ask(both).answerable
    strict = Answerer(retriever, AnswerConfig(min_dense_zh=1.01)).ask("青白江2025年规上工业增加值增长多少？")
    assert not strict.answerable and strict.answer == ZH_REFUSAL
    assert AnswerConfig().to_dict()["max_sentences"] == 3
    assert set(AnswerConfig().to_dict()) >= {"passages", "margin", "min_dense_zh", "min_dense_en", "w_dense"}


def test_stream_yields_the_text_then_the_answer(corpus_kb):
    pieces = list(corpus_kb.engine.answerer.stream("青白江2025年规上工业增加值增长多少？"))
    assert len(pieces) == 2 and isinstance(pieces[-1], Answer)
    assert pieces[0] == pieces[-1].answer and "**12.7%**" in pieces[0]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("question", ["", "   \n\t", None, "\x00"])
def test_empty_question_is_invalid(corpus_kb, question):
    with pytest.raises(InvalidQueryError) as err:
        corpus_kb.ask(question)
    assert err.value.message == "The query is empty." and err.value.hint and err.value.exit_code == 2


@pytest.mark.parametrize("question", ["？？！。", "👍👍🎉", "...!!!", "【】《》——"])
def test_punctuation_or_emoji_only_is_invalid_with_a_message(corpus_kb, question):
    with pytest.raises(InvalidQueryError) as err:
        corpus_kb.ask(question)
    assert "only punctuation or symbols" in str(err.value) and err.value.hint


def test_100k_character_question_is_answered_or_refused(corpus_kb):
    question = ("青白江中试产业基地有多少项科技成果？" * 6000)[:100_000]
    answer = corpus_kb.ask(question)
    assert isinstance(answer, Answer)
    assert question.startswith(answer.question) and len(answer.question) <= 1000  # cut, not dropped
    if answer.answerable:
        check_answer(corpus_kb, answer)
    else:
        check_refusal(corpus_kb, answer, zh=True)


# --------------------------------------------------------------------------- JSON contract


def test_to_json_has_the_cli_contract(corpus_kb):
    answer = corpus_kb.ask("2024年江津西部陆海新通道班列开行多少列")
    data = json.loads(json.dumps(answer.to_json(), ensure_ascii=False))
    assert CONTRACT_KEYS <= set(data)
    assert set(data) == CONTRACT_KEYS | {"related", "query", "notice"}
    assert data["question"] == "2024年江津西部陆海新通道班列开行多少列" and data["answer"] == answer.answer
    assert data["answerable"] is True and data["mode"] == "extractive" and data["related"] == []
    assert len(data["citations"]) == len(answer.citations) >= 1
    for raw, cit in zip(data["citations"], answer.citations):
        assert CITATION_KEYS <= set(raw)
        assert isinstance(raw["n"], int) and isinstance(raw["start"], int) and isinstance(raw["end"], int)
        assert Citation(**raw) == cit  # nothing lost on the way to JSON
        assert corpus_kb.engine.index.doc_text(raw["doc_id"])[raw["start"] : raw["end"]] == raw["text"]


def test_refusal_to_json(corpus_kb):
    data = corpus_kb.ask("两江新区2024年引进了多少个产业项目？").to_json()
    assert CONTRACT_KEYS <= set(data)
    assert data["answerable"] is False and data["citations"] == [] and data["answer"] == ZH_REFUSAL
    assert data["mode"] == "extractive"
    assert [r["n"] for r in data["related"]] == list(range(1, len(data["related"]) + 1))
    assert all(CITATION_KEYS <= set(r) for r in data["related"])


# --------------------------------------------------------------------------- tiny inline corpus

TWO_DISTRICTS = {
    "qingbaijiang.md": "# 青白江区2025年经济运行\n\n2025年，青白江区规上工业增加值增长**12.7%**，位列全市第三。\n\n"
                       "青白江区全年新培育规上工业企业29家。\n\n蜜雪冰城投资50亿元在青白江建设智能生产加工基地。\n",
    "jiangjin.md": "# 江津区2024年经济运行\n\n2024年，江津区规上工业增加值增长9.1%，全区实现工业税收43.5亿元。\n\n"
                   "江津区全年新增专精特新企业96家。\n\n巨湾技研投资72亿元在江津建设电池基地。\n",
}


def test_tiny_corpus_respects_year_and_district(make_kb):
    kb = make_kb(TWO_DISTRICTS)
    assert {d["doc_id"]: (d["district"], d["date"]) for d in kb.documents()} == {
        "qingbaijiang": ("青白江", "2025"), "jiangjin": ("江津", "2024")}
    qbj = kb.ask("青白江2025年规上工业增加值增长多少？")
    check_answer(kb, qbj)
    assert [c.doc_id for c in qbj.citations] == ["qingbaijiang"] and "**12.7%**" in qbj.answer
    assert "9.1" not in qbj.answer
    # the source has markdown bold: the citation quotes it as written, the answer shows it cleanly once
    assert qbj.citations[0].text == "2025年，青白江区规上工业增加值增长**12.7%**，位列全市第三。"
    assert "****" not in qbj.answer
    jj = kb.ask("江津2024年规上工业增加值增长多少？")
    check_answer(kb, jj)
    assert [c.doc_id for c in jj.citations] == ["jiangjin"] and "**9.1%**" in jj.answer and "12.7" not in jj.answer
    for question in ("青白江2024年规上工业增加值增长多少？", "江津2025年规上工业增加值增长多少？",
                     "两江新区2025年规上工业增加值增长多少？", "青白江2025年工业税收多少？"):
        check_refusal(kb, kb.ask(question), zh=True)


def test_tiny_corpus_cites_the_article_that_has_the_fact(make_kb):
    kb = make_kb(TWO_DISTRICTS)
    for question, doc, figure in (("巨湾技研投资了多少？", "jiangjin", "72亿元"),
                                  ("蜜雪冰城投资了多少？", "qingbaijiang", "50亿元")):
        answer = kb.ask(question)
        check_answer(kb, answer)
        assert [c.doc_id for c in answer.citations] == [doc]
        assert figure in answer.citations[0].text and f"**{figure}**" in answer.answer
    both = kb.ask("2024年江津规上工业增加值增长多少？2025年青白江呢？")
    check_answer(kb, both)
    assert {c.doc_id for c in both.citations} == {"jiangjin", "qingbaijiang"}


# --------------------------------------------------------------------------- credits


@pytest.mark.parametrize("question, doc, names", [
    ("江津三向发力这篇报道署名的记者有哪几位？", "002_f8341fde15c7f612", ["罗晶", "王琳琳", "马菱涛"]),
    ("2023年江津那篇成渝中部一体化的稿子署名记者是谁？", "003_ba9281ac6892e17c", ["王琳琳", "孔德虎"]),
    ("重庆枢纽港产业园两周年这一版的图片和文字是谁提供的？", "001_4928a44ef73f4a0d", ["刘星宸", "阮瑞雪", "吕晓"]),
    ("Who wrote the 2023 Qingbaijiang survey report?", "004_81eaf4bb14e4fa9b", ["谢夏冬"]),
    # "Chengdu-Chongqing" names both cities; the district named decides the article
    ("Who wrote the Jiangjin 2023 article on integrating into central Chengdu-Chongqing?", "003_ba9281ac6892e17c",
     ["王琳琳", "孔德虎"]),
])
def test_credit_questions_are_answered_from_the_articles_credit_lines(corpus_kb, question, doc, names):
    answer = corpus_kb.ask(question)
    assert answer.answerable and all(n in answer.answer for n in names), answer.answer
    assert {c.doc_id for c in answer.citations} == {doc}
    assert sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}) == [c.n for c in answer.citations]
    for c in answer.citations:  # each cited line is quoted exactly, inside its chunk
        source = _file_text(corpus_kb, c.doc_id)
        assert source[c.start : c.end] == c.text and c.text in answer.answer
        assert source[c.passage_start : c.passage_end] == c.passage and c.passage_start <= c.start < c.passage_end
    assert answer.answer.startswith("《") if is_chinese(question) else answer.answer.startswith("The article")


@pytest.mark.parametrize("question", ["青白江2025年那篇文章的记者是谁？", "2024年江津那篇报道的作者是谁？"])
def test_a_credit_the_article_does_not_carry_is_refused(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=True)  # 000 has no byline; no article is from 2024


def test_which_company_takes_the_company_from_the_next_sentence(corpus_kb):
    answer = corpus_kb.ask("在德感组团追加投资、建万吨级火锅调味品基地的是哪家企业？")
    check_answer(corpus_kb, answer)
    assert "重庆厨大娘食品有限公司" in answer.answer


def test_a_when_clause_does_not_make_a_date_question(corpus_kb):
    answer = corpus_kb.ask("When the Chongqing hub port industrial park launched construction, "
                           "what development path was established for it?")
    check_answer(corpus_kb, answer)
    assert "通道+枢纽+产业+开放" in answer.answer


def test_a_paraphrase_sharing_few_words_is_still_answered_with_the_date_in_bold(corpus_kb):
    answer = corpus_kb.ask("江津首趟从泰国经老挝开来的冷链专列是哪天到的？")
    check_answer(corpus_kb, answer)
    assert "**6月11日**" in answer.answer


@pytest.mark.parametrize("question", ["How many China-Europe freight trains left Chengdu International Railway Port "
                                      "in 2025 alone?", "成都国际铁路港2025年一年开行了多少列中欧班列？"])
def test_the_other_districts_train_count_does_not_answer_a_chengdu_question(corpus_kb, question):
    answer = corpus_kb.ask(question)  # 江津's 401列 (2025) was cited, meeting the 列 and 2025 checks
    check_refusal(corpus_kb, answer, zh=is_chinese(question))


@pytest.mark.parametrize("question", ["那江津呢？", "江津", "What about Jiangjin?", "青白江怎么样？"])
def test_a_bare_place_without_an_earlier_question_asks_nothing(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=is_chinese(question))  # was: a byline, "answered"


@pytest.mark.parametrize("question, parts", [
    ("玉湖冷链交易中心有多少家企业进驻？进口的占几成？", ["玉湖冷链交易中心有多少家企业进驻", "进口的占几成"]),
    ("江津工业税收是多少，同比增长多少？", ["江津工业税收是多少", "同比增长多少"]),
    ("对于外贸，江津达到多少亿元", ["对于外贸 江津达到多少亿元"]),  # a part that asks nothing is context
    ("So far, how many projects were signed, and what is their total investment?",
     ["So far how many projects were signed", "and what is their total investment"]),
    ("2024年江津外贸进出口额多少亿元", ["2024年江津外贸进出口额多少亿元"]),
    ("How many stores does it have, and where does its base rank?",
     ["How many stores does it have", "and where does its base rank"]),
])
def test_sub_questions(question, parts):
    assert sub_questions(question) == parts


@pytest.mark.parametrize("question, figures", [
    # two questions in one: 家 for the first, the share of 进口 for the second, in different clauses
    ("玉湖冷链那个交易中心现在有多少家企业进驻？每天成交的货里面进口的占几成？", ["超600家", "30%"]),
    # "百分之八十" is given, not asked; the question asks how long
    ("巨湾技研的XFC电池，从没电充到百分之八十要多久？", ["7.5分钟"]),
    # "tax revenue" names 税收, not 营收
    ("Jiangjin's industrial tax revenue in 2024 and its year-on-year growth?", ["43.5亿元", "11.6%"]),
    # 上半年 is written 1月-6月 in the article; the whole year is compared with it
    ("江津2023年上半年协议引资和2024年全年协议引资各是多少？", ["570亿元", "966亿元"]),
    # the running total answers the first part; "前5个月" needs the sentence of January to May
    ("江津陆海新通道班列截至2023年5月底累计开行多少列？当年前5个月呢，开了多少列？", ["1277列", "407列"]),
])
def test_multi_part_and_period_questions_are_answered(corpus_kb, question, figures):
    answered(corpus_kb, question, *figures)


@pytest.mark.parametrize("question, items", [
    ("“1+1+3+N”项目服务机制包括哪些内容？", ["1个领导小组", "N种特定服务"]),
    ("What are the parts of the 1+1+3+N project service mechanism?", ["1个领导小组", "3套联动机制"]),
    ("青白江中试产业的1+3+N体系具体指什么？", ["3个中试服务平台"]),
])
def test_what_a_formula_consists_of_is_answered_by_the_sentence_that_lists_it(corpus_kb, question, items):
    answer = corpus_kb.ask(question)
    check_answer(corpus_kb, answer)
    assert all(item in answer.citations[0].text for item in items), answer.answer


@pytest.mark.parametrize("question, items", [
    # the sentence that uses the name ranks first; the one that spells it out is added
    ("What does the '1+1+3+N' service mechanism of the Chongqing hub port industrial park stand for?",
     ["1个领导小组", "N种特定服务"]),
    # "why" is answered by the sentence giving the reason, a quote that names no company (the line after does)
    ("巨湾技研为什么选择落户江津？", ["区位优势突出"]),
    ("Why did Greater Bay Technology pick Jiangjin for its battery base?", ["区位优势突出"]),
])
def test_a_list_or_a_reason_asked_adds_the_sentence_that_gives_it(corpus_kb, question, items):
    answered(corpus_kb, question, *items)


@pytest.mark.parametrize("question, items", [
    # the sentence with 2.7万台 is in the chunk between two hits; it ties with the best sentence, sharing
    # few words with "它…卖出去多少台车" (the company is the part before)
    ("青白江那家带动新能源车产业链的龙头车企是哪家？它2025年卖出去多少台车？", ["成都王牌", "2.7万台"]),
    # the quote is a hit; who said it opens the next chunk, which is not
    ("Which Mixue executive said most products would go abroad by international train?", ["孙建涛"]),
    # a date question whose best sentences are title lines takes the dated sentence of the event asked
    ("When did construction of the Chongqing hub port industrial park kick off?", ["2024年4月18日"]),
])
def test_completion_reaches_neighbouring_passages_and_dates(corpus_kb, question, items):
    answered(corpus_kb, question, *items)


def test_a_kind_of_company_is_no_company():
    assert not has_org("链主企业的带动作用持续凸显。") and not has_org("全区新培育规上工业企业29家")
    assert has_org("龙头企业积微物联凭借双平台优势") and has_org("重庆厨大娘食品有限公司再投2亿元")
    assert has_org("成都王牌作为先进能源产业链主")  # a company of the domain dictionary
    assert not has_org("围绕智能网联新能源汽车、智能装备等重点产业") and not has_org("围绕全市现代制造")  # industries
    assert names_company("重庆厨大娘食品有限公司") and names_company("蜜雪冰城投资50亿元")
    assert not names_company("威马农机泰国生产基地")  # only has_org's suffixes know 农机


def test_respectively_is_no_list_question():
    from rag.question import LIST_Q

    assert LIST_Q.search("由哪几部分构成") and LIST_Q.search("What are the three parts?")
    assert not LIST_Q.search("青白江和江津分别是多少家？")  # "respectively": two figures, not a list
    assert not LIST_Q.search("哪几家企业")  # which companies: a name question


@pytest.mark.parametrize("question", ["蜜雪冰城在海外开了多少家门店？它在青白江基地的出口量排第几？",
                                      "How many overseas stores does Mixue have, and where does its Qingbaijiang base "
                                      "rank among the district's exporters?"])
def test_each_part_gets_its_sentence(corpus_kb, question):
    """The ranking sentence wins on the whole question; the store count is added for the first part."""
    answered(corpus_kb, question, "**达3000多家**", "出口第二位")


@pytest.mark.parametrize("question, figure", [
    # the count's sentence has no year; the sentence before it on the same line ("- 2024年工业税收…；") has
    ("江津2024年新增了多少家市级专精特新企业？", "96家"),
    # "今年1月-5月" in the 2023 article is 2023
    ("2023年1到5月江津班列开了多少列？", "407列"),
])
def test_the_figure_is_of_the_year_asked(corpus_kb, question, figure):
    answered(corpus_kb, question, f"**{figure}**")
    # the same figure does not answer for another year: its sentence is dated, only the article is not
    check_refusal(corpus_kb, corpus_kb.ask(question.replace("2024", "2025").replace("2023", "2022")), zh=True)


def test_a_comparison_of_figures_gets_a_figure_from_each_side(corpus_kb):
    """Only 江津's counts were cited; 青白江's sentence with its count of firms is added."""
    answer = corpus_kb.ask("2025年青白江和2024年江津的专精特新企业分别新增多少家？")
    check_answer(corpus_kb, answer)
    assert {c.district for c in answer.citations if re.search(r"\d+家", c.text)} == {"青白江", "江津"}
    assert "**11家**" in answer.answer and "**96家**" in answer.answer
    config = corpus_kb.engine.answerer.config
    before, config.complete_overlap = config.complete_overlap, 2.0  # nothing can be added
    try:
        assert {c.district for c in corpus_kb.ask("2025年青白江和2024年江津的专精特新企业分别新增多少家？").citations} \
            == {"江津"}
    finally:
        config.complete_overlap = before


def test_the_phrase_check_ignores_places_and_numbers(corpus_kb):
    """'Qingbaijiang' and '10,000' are left to the place and year checks; 'Chuangxin 5' is found."""
    answered(corpus_kb, "When did the 10,000-ton ocean ship Chuangxin 5 first reach Luohuang Port?", "创新5")


@pytest.mark.parametrize("question, figure", [
    ("泰国榴莲坐中老泰冷链班列运到江津，时间上快了多少？", "**6天**"),
    ("How long did the mangosteens take to reach Pengzhou from Southeast Asia?", "**3天**"),
])
def test_how_long_asks_for_a_duration(corpus_kb, question, figure):
    answered(corpus_kb, question, figure)


def test_a_year_is_no_duration():
    from rag.question import DURATION, figure_pattern

    figure = figure_pattern(DURATION)
    assert re.search(figure, "仅需7.5分钟") and re.search(figure, "建设周期3年")
    assert not re.search(figure, "2025年6月开通")


def test_a_quote_is_cited_with_who_said_it(corpus_kb):
    """The attribution opens the next chunk; it follows the quote in the answer, each cited exactly."""
    answer = corpus_kb.ask("蜜雪冰城哪位高管说要让大部分产品搭乘国际班列出口？")
    check_answer(corpus_kb, answer)
    texts = [c.text for c in answer.citations]
    quote = next(i for i, t in enumerate(texts) if t.startswith("“计划让大部分产品"))
    assert "孙建涛表示" in texts[quote + 1]


@pytest.mark.parametrize("question", ["How much is CATL investing in its battery plant in Jiangjin's Luohuang area?",
                                      "What did BYD build in Qingbaijiang in 2025?"])
def test_an_acronym_no_article_has_is_refused(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=False)


def test_which_maker_needs_a_company_in_the_evidence(corpus_kb):
    """The crane sentence names no company: not an answer to "which manufacturer"."""
    check_refusal(corpus_kb, corpus_kb.ask("Which manufacturer supplied the smart gantry cranes at Xiaonanya station?"),
                  zh=False)
    # 蜜雪冰城: a company of the domain dictionary; the best sentence says only "生产型企业", so the one
    # naming it is added
    answered(corpus_kb, "哪家茶饮连锁品牌在青白江建了出口基地？", "蜜雪冰城")
    answered(corpus_kb, "报道配图里那家在泰国有生产基地的农机企业是哪家？", "威马农机")  # by its suffix


def test_her_job_is_no_employment_figure(corpus_kb):
    answered(corpus_kb, "Who from Chongqing Lee & Man (Liwen) Paper was quoted about the Luohuang sea-rail-river "
                        "route, and what is her job?", "张静萍", "物流经理")


@pytest.mark.parametrize("question", [
    "How many vehicles were loaded on the June 2025 Changan train from Luohuang to Peru?",  # only trains are counted
    "What is the name of the head of Jiangjin's investment promotion bureau quoted in the 2025 feature?",
])
def test_english_counts_of_things_and_names_of_officials_need_them(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=False)


def test_an_english_question_whose_names_are_all_found_is_answered_at_a_lower_similarity(corpus_kb):
    """Sentence cosine 0.737 fell under the old 0.74; every phrase it names is in the passage."""
    answered(corpus_kb, "When did the first Changan car train leave Jiangjin for Peru?", "**2025年6月**")


@pytest.mark.parametrize("question, zh", [
    ("What was Qingbaijiang's total GDP in 2025, in yuan?", False),  # only its growth is given
    ("青白江2025年地区经济总量的绝对值是多少亿元？", True),
    ("How many trains did the Jiangjin New Western Land-Sea Corridor service run over the whole of 2025?", False),
    ("What was the cargo value carried by Jiangjin's Western Land-Sea corridor trains in the first quarter of 2025?",
     False),  # the quarter's trains and TEU, no value
    ("what does it cost to ship one 40-foot container by rail from jiangjin to bangkok?", False),
])
def test_a_measure_or_period_the_articles_lack_is_refused(corpus_kb, question, zh):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=zh)


@pytest.mark.parametrize("question, key", [
    ("What was the cargo value of the durians on Jiangjin's first China-Laos-Thailand cold-chain train?", "2160万元"),
    ("How many trains did Jiangjin's Western Land-Sea Corridor run in the first quarter of 2025?", "401列"),
])
def test_the_same_measures_are_answered_where_the_articles_give_them(corpus_kb, question, key):
    answered(corpus_kb, question, key)


@pytest.mark.parametrize("question, key", [
    # "operating" is no "rating": the cranes are counted, not graded
    ("By the end of 2025, how many intelligent gantry cranes were operating at Xiaonanya station?", "4台"),
    # 广州 is the company's home town, named in its article, not a place the answer must be about
    ("Which Guangzhou company signed a deal in June 2023 to build an XFC fast-charging battery base in Jiangjin, "
     "and what is the total investment?", "72亿元"),
    # the event asked is the last one: founded, not signed
    ("When was Greater Bay Technology (GBT), the fast-charging battery company that signed with Jiangjin, founded?",
     "2020年9月"),
    # 进口 describes the firms; the question asks how much time is saved
    ("进口东南亚水果的企业为啥觉得走中老铁路比原来的办法好？在时间上到底能省多少？", "6天"),
    # an export base is a base: 50亿元 comes before 出口 and still answers
    ("蜜雪冰城在青白江建的生产和出口基地投了多少钱？", "50亿元"),
])
def test_words_that_only_look_like_constraints_do_not_refuse(corpus_kb, question, key):
    answered(corpus_kb, question, key)


@pytest.mark.parametrize("question, key", [
    # the article asks itself "为什么选择“中试产业”？" and answers in the next sentence
    ("青白江为啥要把中试产业当成发展方向？它靠的是哪几方面的底子？", "工业积淀"),
    ("Why did Qingbaijiang pick pilot-scale testing (the 'zhongshi' industry) as a development focus?", "物流枢纽"),
    # a person asked: the byline over the "一线思考" column, the executive quoted on the base
    ("Which Qingbaijiang district Party official wrote the frontline commentary in the 2023 Chengdu research series?",
     "池勇"),
    ("蜜雪冰城在青白江建的生产和出口基地投了多少钱？报道里是哪位高管出来讲话的？", "孙建涛"),
    # of the sentences naming a company, the one naming what the question names (not 龙头企业积微物联)
    ("在青白江，被称作先进能源产业“链主”的是哪家企业？", "成都王牌"),
    # a long sentence ending in "？" may hold the answer itself
    ("2023年成都日报和市委政研室那次联合调研走到青白江区，算是第几站？", "第六站"),
])
def test_the_sentence_that_answers_is_found(corpus_kb, question, key):
    answered(corpus_kb, question, key)


@pytest.mark.parametrize("text, person", [
    ("货物进出口方重庆理文造纸有限公司物流经理张静萍说。", True),
    ("池勇 中共成都市委青白江区委副书记", True),
    ("该项目由德感组团存量企业重庆厨大娘食品有限公司再投2亿元", False),  # jieba reads 由德 as a name
    ("洪九果公司相关负责人表示,中老泰冷链班列开通后", False),  # a company, then its spokesman
    ("2025年7月：西部首批原木期货车板交割在江津珞璜港成功落地", False),
])
def test_a_person_is_named_with_a_title_or_a_verb_of_saying(text, person):
    assert has_person(text) is person


def test_a_person_no_article_names_is_refused(corpus_kb):
    answer = corpus_kb.ask("What is the name of the head of Jiangjin's investment promotion bureau quoted in the 2025 feature?")
    check_refusal(corpus_kb, answer, zh=False)


@pytest.mark.parametrize("question, zh", [
    ("On what exact date was the first Changan Qiyuan Q05 shipped from Jiangjin to Thailand?", False),  # a caption only
    ("江津区政府跟重庆机控集团签战略合作协议是几月几号？", True),  # the article gives 2025年, no day
    ("青白江区目前有多少家汽摩企业？其中规上企业有几家？", True),  # 汽摩 firms are 江津's; 青白江's count is of others
])
def test_a_date_or_a_count_of_something_else_is_refused(corpus_kb, question, zh):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=zh)


@pytest.mark.parametrize("question, key", [
    ("江津那个枢纽港园区里，现在一共聚了多少家做汽车摩托车的企业？", "168家"),  # 汽摩企业, paraphrased
    ("重庆高峰科技一年里卖出去多少台三轮车？", "1.6万台"),  # 三蹦子, by the synonym list
    ("2022年青白江新增了多少家国家级高企？", "47家"),
    ("For its AI-enabled urban governance, how many video-network installation points did Jiangjin set up?", "68个"),
    ("the first durian cold-chain train from Thailand via Laos to Jiangjin — how many refrigerated containers did "
     "it carry?", "28个"),  # containers counted with 个, not only 标箱
])
def test_a_count_asked_in_other_words_is_answered(corpus_kb, question, key):
    answered(corpus_kb, question, key)


@pytest.mark.parametrize("question, noun", [
    ("青白江区目前有多少家汽摩企业？", "汽摩"), ("车上装了几个冷藏箱？", "冷藏箱"),
    ("江津有多少家企业上榜", None), ("一共签了多少个项目", None),  # a generic head counts anything
])
def test_counted_noun(question, noun):
    assert counted_noun(question) == noun


def test_the_year_of_a_report_is_the_article_year(corpus_kb):
    """"按2023年报道的说法" dates the article: its 去年6月 is the answer, though it means 2022."""
    answered(corpus_kb, "青白江那个国际中试产业基地（面向一带一路）是什么时候在全国率先开建的？（按2023年报道的说法）", "去年6月")
    # ... and only that year's articles answer: no 2024 report exists
    check_refusal(corpus_kb, corpus_kb.ask("按2024年报道的说法，青白江国际中试产业基地是什么时候开建的？"), zh=True)


@pytest.mark.parametrize("question, keys", [
    # the total, then "其中,开工项目62个,总投资139.4亿元;竣工项目41个…": the breakdown goes with it
    ("2023年二季度江津集中开工竣工活动中，新开工的项目有多少个、总投资多少？", ["62个", "139.4亿元"]),
    ("At Jiangjin's Q2 2023 groundbreaking-and-completion event, how did the newly started projects compare with "
     "the completed ones in number and investment?", ["62个", "41个"]),
    # "里面进口商品占多大比例" asks its own figure: 进口 is not a measure of the tonnes
    ("玉湖冷链那个交易中心一天大概能成交多少吨货？里面进口商品占多大比例？", ["3000吨", "30%"]),
])
def test_breakdowns_and_second_figures_are_answered(corpus_kb, question, keys):
    answer = corpus_kb.ask(question)
    check_answer(corpus_kb, answer)
    plain = answer.answer.replace("**", "")
    assert all(k in plain for k in keys)


@pytest.mark.parametrize("question, zh", [
    ("几江街道遗爱池口袋公园面积多少平方米", True),  # 12万平方米 is another project's, cited next to 遗爱池
    ("How many Jiangjin trains ran on the New Western Land-Sea Corridor in the whole of 2023?", False),  # to May only
    ("According to the reports, how many Mixue Bingcheng stores are there in mainland China?", False),  # 海外门店
])
def test_a_figure_of_another_thing_or_span_is_refused(corpus_kb, question, zh):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=zh)


def test_a_year_before_a_full_stop_is_still_a_year():
    assert question_years("versus in the first quarter of 2025.") == {"2025"}
    assert question_years("增长2025.5%") == set()


@pytest.mark.parametrize("question", ["How many China-Europe Railway Express trains departed from Jiangjin in 2024?",
                                      "how many China-Europe Railway Express trains have departed from Jiangjin so far?"])
def test_one_corridors_trains_do_not_answer_for_the_other(corpus_kb, question):
    check_refusal(corpus_kb, corpus_kb.ask(question), zh=False)


def test_a_corridor_share_over_a_list_sentence_is_answered(corpus_kb):
    """The corridor is named far from the share ("…开行1804列，…同比增长48%，全市占比40%"): not refused."""
    answer = corpus_kb.ask("What share of Chongqing's 西部陆海新通道 train runs did Jiangjin account for in full-year 2024, "
                           "and what was the share in Q1 2025?")
    check_answer(corpus_kb, answer)
    assert "40.1%" in answer.answer.replace("**", "")
