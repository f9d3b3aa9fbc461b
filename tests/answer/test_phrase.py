"""The answer phrase (rag.answer.phrase): the exact source span that answers, found from the question analysis."""
from __future__ import annotations

import pytest

from rag.answer.engine import open_engine


@pytest.fixture(scope="module")
def engine(news_kb):
    return open_engine(news_kb.index_dir)


@pytest.mark.parametrize("question, phrase", [
    ("2023年上半年霍尔果斯口岸进出口货运量达到多少万吨？", "1200万吨"),
    ("喀什综合保税区已入驻多少家企业？", "132家"),
    ("How many tonnes of goods passed through Manzhouli port in 2022?", "1850万吨"),
])
def test_a_number_question_gets_the_figure_with_its_unit(engine, question, phrase):
    answer = engine.ask(question)
    assert answer.answerable, answer.refusal_reason
    short = answer.short_answer
    assert short is not None and short["text"] == phrase
    source = engine.index.doc_text(short["doc_id"])
    assert source[short["start"]:short["end"]] == short["text"]  # an exact span of the article
    assert short["citation"] == 1
    assert short["en"] == ("18.5 million tonnes" if question.startswith("How") else None)


def test_the_figure_the_question_already_gives_is_not_the_answer(engine):
    short = engine.ask("霍尔果斯口岸7月份出入境的中欧班列达到多少列？").short_answer
    assert short is not None and short["text"] == "680列"


def test_a_refusal_has_no_phrase_and_the_json_carries_the_field(engine):
    answer = engine.ask("霍尔果斯口岸2023年上半年接待了多少游客？")
    data = answer.to_json()
    assert "short_answer" in data
    if not answer.answerable:
        assert data["short_answer"] is None


def _question(qtype: str, focus: tuple[str, ...] = (), unit: tuple[str, ...] = (), text: str = "问题", places=(),
              language: str = "zh", years=frozenset()):
    from rag.search.analysis import QuestionAnalysis, TermGroup

    terms = tuple(TermGroup(w, (w,), 1.0) for w in focus)
    where = tuple(TermGroup(p, (p,), 1.0, "place") for p in places)
    return QuestionAnalysis(text, language, terms + where, where, (), years=years, type=qtype, unit=unit,
                            measure=focus[:1], focus=terms)


def _phrase(a, sentence: str) -> str | None:
    from rag.answer.phrase import _find

    span = _find(a, sentence)
    return sentence[span[0]:span[1]] if span else None


def test_the_figure_nearest_the_focus_word_in_its_own_clause():
    a = _question("number", ("产能",))
    assert _phrase(a, "喀什公司新征地325亩、总投资18亿元的项目，建成后将新增20万吨年产能。") == "20万吨"


def test_a_date_question_that_also_counts_gets_the_date_and_never_a_piece_of_it():
    a = _question("date", ("举行",), unit=("个",))
    assert _phrase(a, "满洲里6月5日举行集中开工活动，涉及项目103个。") == "6月5日"
    b = _question("number", ("开工",))
    assert _phrase(b, "6月5日，霍尔果斯集中开工项目共计103个。") == "103个"


def test_the_speaker_is_the_name_before_the_verb_of_speech():
    a = _question("person", ("副总裁",), text="那位副总裁叫什么名字")
    assert _phrase(a, "北极星集团副总裁、雪松供应链公司总经理王海涛表示。") == "王海涛"


def test_a_list_question_gets_the_clause_that_enumerates():
    a = _question("list", ("组团",))
    sentence = "喀什着力打造一流园区组团，推动东城、西城、南城、北城各组团特色化发展。"
    assert _phrase(a, sentence) == "推动东城、西城、南城、北城各组团特色化发展"


def test_the_figure_whose_own_stretch_names_the_place_asked():
    a = _question("number", ("智能",), unit=("台",), places=("绥芬河站",))
    sentence = "作业区新投用3台智能吊机，绥芬河站已拥有7台智能吊机，实现自动化作业。"
    assert _phrase(a, sentence) == "7台智能吊机"


def test_the_figure_beside_the_measure_asked_wins_over_one_beside_other_terms():
    a = _question("number", ("产能", "项目"))
    assert _phrase(a, "凭祥公司投资12亿元的高端纸业项目，投产后将新增15万吨年产能。") == "15万吨"


def test_a_count_keeps_the_thing_counted_and_a_trailing_claim():
    a = _question("number", ("覆盖",), unit=("个",))
    assert _phrase(a, "东兴口岸的物流网络覆盖全球56个国家及地区。") == "56个国家"
    b = _question("number", ("里程",))
    assert _phrase(b, "黑河新款客车续航里程达到350公里以上。") == "350公里以上"


def test_a_figure_the_question_writes_with_another_multiplier_is_still_an_answer():
    a = _question("number", ("项目",), unit=("个",), text="投资在20亿到80亿元之间的项目有几个")
    assert _phrase(a, "全年落地80亿元以上项目3个，20亿元以上、80亿元以下项目20个。") == "20个"


def test_what_a_plan_consists_of_is_the_explanation_beside_it():
    a = _question("fact", ("机制",), text="“2+1+N”机制分别代表什么")
    sentence = "阿拉山口推出“2+1+N”服务机制，即2个专班、1个平台、N项定制服务，全程护航项目。"
    assert _phrase(a, sentence) == "2个专班、1个平台、N项定制服务"
    b = _question("list", ("片区",), text="“4+1”片区具体包括哪些地方")
    assert _phrase(b, "瑞丽突出“4+1”片区（四个街道和姐告一个镇）先行先试。") == "四个街道和姐告一个镇"


def test_a_rank_question_gets_the_ordinal_and_a_name_asked_gets_the_quotation():
    a = _question("number", ("全国",), text="在全国排第几")
    assert _phrase(a, "磨憨口岸货运量连续三年位居全国第二大陆路口岸。") == "第二大"
    b = _question("fact", ("主题",), text="博览会的主题是什么")
    assert _phrase(b, "第3届东兴边贸博览会将于9月举办，主题是“互联互通，共享繁荣”。") == "互联互通，共享繁荣"


def test_a_date_question_gets_the_date_nearest_what_is_asked():
    a = _question("date", ("开通",), text="什么时候具备开通条件")
    assert _phrase(a, "按计划，今年8月底前完成铺轨，11月底具备开通条件。") == "11月底"


def test_the_speaker_is_never_the_byline():
    a = _question("person", ("宣布",), text="谁宣布了新政策")
    sentence = "二连浩特9月3日电（记者 张伟）二连浩特市长刘洋当天在发布会上表示，将扩大开放。"
    assert _phrase(a, sentence) == "刘洋"


def test_an_organisation_is_cut_at_words_no_name_holds_and_keeps_its_branch():
    a = _question("org", ("企业",), text="哪家企业再投资")
    assert _phrase(a, "该项目由东兴组团存量企业广西东兴果业有限公司再投3亿元建设。") == "广西东兴果业有限公司"
    b = _question("org", ("示范",), text="示范企业是哪家银行")
    assert _phrase(b, "北部湾银行凭祥分行获评年度示范企业。") == "北部湾银行凭祥分行"


def test_english_renders_the_counted_thing_and_the_figures_of_a_clause():
    from rag.answer.phrase_en import phrase_en as _english

    a = _question("number", language="en", text="how many countries")
    assert _english(a, "56个国家") == "56 countries"
    assert _english(a, "货值3.2亿元、增长12.5%") == "320 million yuan; 12.5%"
    assert _english(a, "三项指标均居全市第一") is None


def _cite(n: int, text: str):
    from rag.answer.types import Citation

    return Citation(n, f"doc{n}", "", f"doc{n}#0", text, 0, len(text))


def test_a_date_question_takes_a_cited_date_before_any_figure_and_the_one_beside_what_is_asked():
    from rag.answer.phrase import answer_phrase

    a = _question("date", ("开行",), text="班列从什么时候开始常态化开行")
    cites = [_cite(1, "一季度，某某班列累计开行320列。"), _cite(2, "据介绍，某某班列从2018年5月起常态化开行。")]
    assert answer_phrase(a, cites)["text"] == "2018年5月"
    b = _question("date", ("成立",), text="蓝鲸科技是哪年成立的")
    cites = [_cite(1, "7月9日，某区与蓝鲸科技签订协议。"), _cite(2, "据介绍，蓝鲸科技成立于2019年4月。")]
    assert answer_phrase(b, cites)["text"] == "2019年4月"


def test_a_list_clause_too_long_to_quote_gives_its_items_and_english_renders_them():
    from rag.answer.phrase_en import phrase_en

    a = _question("list", ("产业",), text="重点发展哪些产业")
    sentence = ("到2030年，云岭区将在全区范围内初步建成以新材料、新能源、装备制造、现代物流、跨境电商、生物医药、数字经济、"
                "文化旅游为主的八大百亿级优势产业集群。")
    assert _phrase(a, sentence) == "新材料、新能源、装备制造、现代物流、跨境电商、生物医药、数字经济、文化旅游"
    en = _question("list", language="en", text="which industries")
    assert phrase_en(en, "推动新材料、新能源和装备制造等集群发展") == "new material, new energy and equipment manufacture"


def test_a_why_question_that_also_asks_how_much_time_gets_the_duration_not_a_day_of_the_month():
    a = _question("reason", ("时间",), text="为什么走铁路更划算？时间上快了多少？")
    assert _phrase(a, "5月3日起，果品走铁路运到本地只需3天，比海运节约了5天时间。") == "5天"
    b = _question("number", ("充电",), unit=("天", "日", "小时", "分钟", "秒", "周"), text="充满电要多久")
    assert _phrase(b, "6月12日发布的新电池，充满电仅需9.5分钟。") == "9.5分钟"


def test_the_explanation_comes_from_whichever_citation_spells_it_out():
    from rag.answer.phrase import answer_phrase

    a = _question("fact", ("机制",), text="“2+1+N”机制具体指什么")
    cites = [_cite(1, "在“2+1+N”服务机制护航下，项目实现了加速跑。"),
             _cite(2, "园区创新推出“2+1+N”服务机制，即2个专班、1个平台、N项定制服务，全程护航项目。")]
    assert answer_phrase(a, cites)["text"] == "2个专班、1个平台、N项定制服务"


def test_a_quoted_list_beside_the_name_it_spells_out():
    a = _question("list", ("三向发力",), text="“三向发力”是朝哪三个方向")
    sentence = "东湖区立足“工业强基、营商聚势、治理焕新”三向发力，打造新高地。"
    assert _phrase(a, sentence) == "工业强基、营商聚势、治理焕新"


def test_a_clause_summing_up_the_ones_before_it_answers_with_them():
    a = _question("list", ("第一",), text="哪三项指标排全市第一")
    sentence = "多项指标领跑全市：物流业增速达30.5%，仓储业规模7.2亿元，会展业规模9.1亿元，三项指标均居全市第一。"
    assert _phrase(a, sentence) == "物流业增速达30.5%，仓储业规模7.2亿元，会展业规模9.1亿元"
    b = _question("list", ("第一",), text="哪两项指标排全市第一")
    assert _phrase(b, "仓储业规模7.2亿元，会展业规模9.1亿元，两项指标均居全市第一。") == "仓储业规模7.2亿元，会展业规模9.1亿元"


def test_between_slot_fillers_that_meet_one_side_the_one_whose_clause_meets_the_question_wins():
    from rag.answer.phrase import answer_phrase

    a = _question("list", ("北坡组团",), text="北坡组团主要打造哪些产业基地？")
    cites = [_cite(1, "园区着力打造一流工业园区。"), _cite(2, "北坡组团全力打造茶叶产业园和西南最大的竹制品生产基地。")]
    assert answer_phrase(a, cites)["text"] == "茶叶产业园和西南最大的竹制品生产基地"


def test_a_name_asked_is_the_quotation_right_after_what_it_names_and_english_glosses_it():
    from rag.answer.phrase_en import phrase_en

    a = _question("fact", ("海轮",), text="what was the name of the ship", language="en")
    assert _phrase(a, "2024年5月，万吨级海轮“远航7”号首抵东湖港，港口能级提升。") == "远航7"
    assert _phrase(a, "东湖港推出“水陆联运”新模式，海轮首抵。") != "水陆联运"  # the quotation names no ship
    assert phrase_en(a, "远航7") == "Yuanhang 7"


def test_an_english_fact_question_asking_which_body_gets_the_organisation():
    a = _question("fact", ("公布",), text="Which government body announced the results?", language="en")
    assert _phrase(a, "近日，云岭省知识产权局公布第五届专利奖评审结果。") == "云岭省知识产权局"


def test_a_question_comparing_amounts_gets_a_figure():
    a = _question("fact", ("产值",), text="东湖区和西岭区的产值哪个高？")
    assert _phrase(a, "截至目前，园区有企业16家，2025年累计实现产值超7.6亿元。") == "超7.6亿元"
    b = _question("fact", ("trains",), text="which had run more trains: the eastern line or the western one", language="en")
    assert _phrase(b, "截至目前，东线班列累计开行已超1.3万列，联通境外15个城市。") == "超1.3万列"


def test_a_share_asked_is_a_rate_though_the_analysis_reads_no_unit():
    from rag.answer.phrase import answer_phrase

    a = _question("number", ("比重",), text="东线班列在全省所占的比重是多少？")
    cites = [_cite(1, "一季度，东线班列累计开行301列，运输10074标箱，占全省总量30.1%。")]
    assert answer_phrase(a, cites)["text"] == "30.1%"


def test_a_date_keeps_the_year_it_is_counted_from():
    a = _question("date", ("建设",), text="基地是什么时候开建的")
    assert _phrase(a, "去年6月，东湖区在全省率先建设面向东盟的中试基地。") == "去年6月"


def test_respectively_pairs_each_figure_with_its_item():
    a = _question("number", ("收入",), unit=("%", "个百分点", "倍"), text="全省旅游收入同比增长了多少？")
    sentence = "上半年，全省接待游客3.1亿人次、旅游收入3100亿元，分别同比增长21.5%和27.3%。"
    assert _phrase(a, sentence) == "27.3%"
    b = _question("number", ("接待",), unit=("%", "个百分点", "倍"), text="全省接待游客同比增长了多少？")
    assert _phrase(b, sentence) == "21.5%"


@pytest.mark.parametrize("sentence, person", [
    ("据通讯社报道，某国总统卡尔当天在港口举行的仪式上表示，将扩大合作。", "卡尔"),
    ("某国代表团副团长马里奥斯表示，将全力备战。", "马里奥斯"), ("某国代表团团长阿列克桑表示，将全力备战。", "阿列克桑"),
    ("某国总统外交政策顾问马尔科·维奇7月31日在电视上为禁令辩护。", "马尔科·维奇"),
])
def test_a_person_after_a_title_or_written_with_a_middle_dot(sentence, person):
    a = _question("person", ("表示",), text="谁说的")
    assert _phrase(a, sentence) == person


def test_a_company_named_without_a_suffix_after_the_word_for_what_it_is_or_before_deng():
    from rag.answer.phrase_names import _short_names

    sentence = "新增规上企业云岭液压深耕差异化研发，依托华为、SAP等头部企业积极推进智能化改造。"
    assert [sentence[s:e] for s, e in _short_names(sentence)] == ["云岭液压", "华为", "SAP"]
    a = _question("org", ("垄断",), text="哪家企业打破了国外垄断")
    assert _phrase(a, "新增规上企业云岭液压深耕差异化研发，自主研发产品打破国外垄断。") == "云岭液压"


def test_the_thing_counted_may_hold_a_bracket():
    a = _question("number", ("建成",), unit=("个",), text="建成了几个国家馆")
    assert _phrase(a, "建成投用贸易产业园、26个国家(商品)馆，加快建设展示中心。") == "26个国家(商品)馆"


def test_with_no_unit_asked_the_bare_figure_beside_the_measure_wins():
    a = _question("number", ("出生",), text="去年新出生人口数量是多少")
    assert _phrase(a, "去年，某国新出生人口数量为57.18万，较前一年减少3.24万人。") == "57.18万"


def test_the_figure_a_change_starts_from_is_not_where_it_stands():
    a = _question("number", ("利率",), unit=("%", "个百分点", "倍"), text="央行把基准利率上调到了多少")
    assert _phrase(a, "8月3日，某国央行宣布，将基准利率从4%上调至4.25%。") == "4.25%"


def test_a_range_keeps_its_between():
    a = _question("number", ("收入",), text="预计广告收入是多少")
    assert _phrase(a, "根据预期，某网站广告预计收入在1300万美元至1600万美元之间。") == "1300万美元至1600万美元之间"


def test_measure_words_beyond_the_shared_unit_table():
    a = _question("number", ("投放",), text="无人机共投放了多少枚探空仪")
    assert _phrase(a, "无人机连续多日完成飞行任务，共投放43枚探空仪，获取大量观测数据。") == "43枚探空仪"
    b = _question("number", ("建校",), text="学校建校多少周年")
    assert _phrase(b, "今年是某大学建校86周年。") == "86周年"


@pytest.mark.parametrize("line, names", [
    ("（记者 张伟 李明）", "张伟 李明"), ("本版图文由赵甲、钱乙提供", "赵甲、钱乙"), ("制图：孙丙", "孙丙"),
    ("(东湖区委宣传部 供图)", "东湖区委宣传部"), ("周丁 某某研究院区域经济研究所研究员", "周丁"),
    ("【报告执笔：东湖日报记者郑己；调研组成员：某某室王庚】", "郑己"),
])
def test_a_credit_line_gives_its_names(line, names):
    from rag.answer.phrase_names import credit_span

    s, e = credit_span(line)
    assert line[s:e] == names


def test_a_credits_answer_has_the_names_of_the_line_that_meets_the_question_and_their_english():
    from rag.answer.answerer import _credit_phrase

    a = _question("person", ("研究院",), text="who wrote the expert column", language="en")
    cites = [_cite(1, "吴戊 中共某区委副书记"), _cite(2, "周丁 某某研究院区域经济研究所研究员")]
    short = _credit_phrase(a, cites)
    assert short["text"] == "周丁" and short["citation"] == 2 and short["en"] == "Zhou Ding"
