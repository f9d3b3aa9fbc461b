"""What a question asks for: its years, places, expected unit and kind of answer; follow-up rewriting.

Pure functions over the question text (and, for relative years, an article's
date), shared by the answerer's scoring and its refusal checks.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from .places import PLACES, correct_place_spelling, in_place_name, question_places
from .tokenize import full_years, normalize

# --------------------------------------------------------------------------- question analysis

QUANTITY_Q = re.compile(r"多少|多久|多长时间|how long|几[个家项列台万亿]|几成|规模|增长|增速|比例|占比|百分|总投资|产值|吞吐|how (many|much)|"
                         r"what (share|percentage|proportion|value|volume|amount)|growth|rate|total|number of|"
                         r"\bin (?:number|numbers|size|value)\b|how (?:big|large)", re.I)
# "on what exact date", "几月几号": a day, not a year or a month
EXACT_DATE_Q = re.compile(r"exact date|what day|which day|on what date|哪一?天|几月几[号日]|具体日期|具体哪天", re.I)
DAY_IN = re.compile(r"\d{1,2}月\d{1,2}[日号]|\d{1,2}日")
DATE_Q = re.compile(r"什么时候|何时|哪一?年|哪个月|哪一?天|几月|\bwhen\b|what (year|month|(?:exact |specific )?date)|which (year|month)", re.I)
WHO_Q = re.compile(r"哪家|哪个企业|哪个公司|谁|什么企业|什么公司|which (company|firm|enterprise)|who", re.I)
COMPARE_Q = re.compile(r"哪边|哪个区|哪一?方|更多|更大|更高|更快|更少|相比|对比|比较|\b(?:which district|more|larger|"
                       r"higher|bigger|faster|fewer|smaller|compare|versus|vs)\b", re.I)
# "由哪几部分构成", "what are the three…": answered by a sentence that lists ("即1个领导小组、1个项目公司…")
LIST_Q = re.compile(r"哪几(?![个家项列台])|哪些|构成|组成|包括|包含|具体指|指什么|what are (?:the|its)\b|which (?:two|three|four|five|"
                    r"six)\b|which are the\b|consist|made up of|components|include|list the|stand for|refer to", re.I)
# "为什么看中江津" is answered by the sentence giving the reason ("不仅区位优势突出,更有…")
WHY_Q = re.compile(r"为什么|为何|为啥|凭什么|什么原因|原因是|理由|\bwhy\b|how come|what made|what makes|reasons?\b", re.I)
REASON = re.compile(r"因为|由于|得益于|凭借|依托|背靠|源于|在于|优势(?:突出|明显|[，,。；;、”])|不仅|因此|所以|从而|为了")
ENUMERATION = re.compile(r"即|分别|包括|[^、，,]{1,20}、[^、，,]{1,20}、|[一二三四五六七八九十\d][是为]")
NUM_UNIT = re.compile(r"\d+(?:\.\d+)?\s*(?:%|万|亿|千|百|个|家|列|台|辆|吨|标箱|项|亩|平方米|公里|倍|批|条|场|名|单|元|天|小时|分钟|人|件|GWh)")
DATE_IN = re.compile(r"(?:19|20)\d\d年|\d{1,2}月(?:\d{1,2}日)?|今年|去年|上半年|一季度")
COMPANY = re.compile(r"[\u4e00-\u9fff]{2,20}(?:公司|集团)")
ORG = re.compile(r"[\u4e00-\u9fff]{2,12}(?:公司|集团|企业|技研|物联|精密|中心|产业园|基地)")
# a year, not a count: "2000列" or "2024家" is no year
YEAR = re.compile(r"(?<![\d.])(?:19|20)\d\d(?!\d|\.\d)(?!\s*(?:列|家|个|台|辆|吨|万|亿|元|标箱|项|亩|%|多|余|条|件|人|名|批))")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# A question naming one of these measures is only answered by evidence that names it too.
# (in the question, required in the answer sentences); patterns match normalised (lower-case) text.
METRICS = [(m, m) for m in ("产值", "增加值", "进口", "营收", "利润", "税收", "吞吐量", "人口", "地区生产总值",
                             "等级", "实到资金")]
METRICS += [("入驻|进驻", "入驻|进驻|落户")]
# English names of the same measures ("output value" asks for 产值, not 税收)
METRICS += [("output value|gross output", "产值"), ("value added", "增加值"), ("(?<!tax )revenue|turnover", "营收|营业收入|收入"),
            (r"profit", "利润"), (r"\btax", "税收"), (r"throughput|handl\w* (?:\w+ ){0,3}(?:cargo|freight|containers|goods|tons|tonnes|teus?)\b|"
             r"(?:cargo|freight|containers|goods|tons|tonnes|teus?) (?:\w+ ){0,2}handled", "吞吐"), ("population", "人口"),
            (r"(?:how many|number of|new|creat\w*|generat\w*|provid\w*|add\w*)\s+(?:\w+\s+)?jobs\b|"  # not "her job"
             r"jobs? (?:created|generated|added)|employment", "就业|岗位|用工")]
METRICS += [("进出口|外贸|import and export|imports and exports|foreign trade", "进出口|外贸"),
            ("(?<!进)出口(?!基地|加工)", "(?<!进)出口"), ("gdp|经济总量|地区生产总值|gross domestic product|economic output", "gdp|地区生产总值|经济总量"),
             # a role asked for: a byline's names do not name a party secretary
             ("(?<!副)书记|(?<!deputy )party secretary", "(?<!副)书记"),
             ("副书记|deputy (?:party )?secretary", "副书记"), ("区长|mayor", "区长|市长"), ("董事长|chairman", "董事长")]
# Standard indicators of Chinese statistical bulletins: a question about one is not answered by another
# figure of the same district and year ("retail sales in 2024" by 工业税收)
METRICS += [("社会消费品零售|社零|零售|retail", "零售|社零"), ("固定资产投资|fixed[- ]assets?", "固定资产"),
            (r"外资|外商投资|foreign (?:direct )?investment|\bfdi\b|foreign capital", "外资|外商"),
            ("预算收入|财政收入|budget revenue|fiscal revenue|public budget", "预算|财政"),
            ("可支配收入|disposable income", "可支配收入"), ("研发|r&d|research and development", "研发"),
            ("专利|patents?", "专利"), ("用电|electricity|power consumption", "用电|电量"),
            ("能耗|energy consumption", "能耗"), ("游客|旅游|touris[mt]|visitors", "游客|旅游"),
            ("房地产|商品房|real estate|property sales|housing sales", "房地产|商品房"),
            ("城镇化|urbani[sz]ation", "城镇化"), ("失业|unemployment", "失业"),
            ("工资|薪酬|wages?|salar(?:y|ies)", "工资|薪"), ("市值|market (?:value|cap)", "市值"),
            ("小巨人|little giants?", "小巨人"),
            ("旅客|客运|passengers?", "旅客|客运"),
            ("境内|mainland", "国内|境内|全国"),  # (not 国内: "榴莲走中老铁路到国内要几天" is about 中国)
            ("高新技术企业|高新企业|high-tech (?:enterprises|companies|firms)", "高新技术企业|高新企业"),
            ("专精特新|specialized and sophisticated|\\bsrdi\\b", "专精特新"),
            ("交易量|trading volume", "交易量"),
            (r"多大年纪|年龄|几岁|多少岁|how old|\bage\b", r"\d+岁|年龄"), ("存款|deposits", "存款"), ("贷款|loans", "贷款"), ("市场份额|占有率|market share", "份额|占有率"),
            (r"价格|售价|单价|运费|\bprices?\b|how much does it cost|what does it cost|\bcost to\b|freight rate", "价格|售价|单价|元/|运费|费用|成本"),
            (r"货值|cargo value|value of (?:the )?(?:cargo|goods|freight)", "货值|价值"),
            (r"排名|排第几|排在第几|第几名|位列第几|\brank(?:ing|ed|s)?\b", r"排名|排位|位列|位居|位次|第[一二三四五六七八九十百\d]|前列|前\d|领先|首位"),
            (r"评级|\bgrade\b|\bratings?\b|\brated\b", r"等级|评级|[a-e]类|[a-e]级|双a|\d[a-e]|星级")]


# The two corridors' trains (question pattern, sentence pattern): 陆海新通道's 1804列 are no 中欧班列
CORRIDORS = ((r"中欧班列|蓉欧|china[- ]europe|rong-?(?:ou|europe)", r"中欧|蓉欧"),
             (r"陆海新通道|land[- ]sea|new western", r"陆海"))


def named_measures(question: str) -> list[str]:
    """The patterns an answer sentence needs for each measure the question names (see METRICS)."""
    q = normalize(question)
    return [needed for asked, needed in METRICS if re.search(asked, q)]


# "when was it completed" is not answered by the date it broke ground: a date question naming an
# event needs a sentence naming that event (question pattern, required in an answer sentence)
EVENTS = [("建成|竣工|completed?|finished", "建成|竣工"), ("投产|put into (?:production|operation)|start(?:ed)? production",
                                                           "投产|投用|运营"),
          ("开工|break ground|broke ground|construction (?:start|began|begin)|construction .{0,50}kick(?:ed)? off",
           "开工|动工|启动建设"),
          ("签约|sign(?:ed)?", "签约|签订|签署"), ("开通|首发|开行|launch(?:ed)?|first (?:train|departure)",
                                               "开通|首发|开行|发出|启动"),
          ("揭牌|成立|established|set up|founded", "揭牌|成立|设立"), ("投用|put into use", "投用|投入使用|启用")]
def asked_event(question: str) -> str | None:
    """What an answer sentence must name for a date question's event (see EVENTS). Of several the one asked
    comes last: "When was GBT, the company that signed with Jiangjin, founded?" asks when it was founded."""
    q = normalize(question)
    found = [(m.start(), needed) for asked, needed in EVENTS for m in re.finditer(asked, q)]
    return max(found)[1] if found else None


# A part of the year asked for needs that part in the evidence; a whole year is not answered by a part
PERIODS = [(r"上半年|first half|\bh1\b", r"上半年|1月?[-—~至到]6月|前(?:6|六)个?月"), (r"下半年|second half", r"下半年"),
           (r"(?<!前)一季度|第一季度|first quarter|\bq1\b", r"一季度|1月?[-—~至到]3月|前(?:3|三)个?月"),
           (r"(?<!前)二季度|第二季度|second quarter|\bq2\b", r"二季度|4月?[-—~至到]6月"),
           (r"(?<!前)三季度|第三季度|third quarter|\bq3\b", r"(?<!前)三季度|7月?[-—~至到]9月"),
           (r"四季度|fourth quarter|\bq4\b", r"四季度|10月?[-—~至到]12月"),
           (r"前三季度|first three quarters", r"前三季度|1月?[-—~至到]9月")]
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                         "september", "october", "november", "december"), start=1)}
_MONTH_RANGE = re.compile(r"(?:from )?(january|february|march|april|may|june|july|august|september|october|november|"
                          r"december)\s*(?:to|through|-|–|until)\s*(january|february|march|april|may|june|july|august|"
                          r"september|october|november|december)|(\d{1,2})\s*(?:月)?\s*[-—~至到]\s*(\d{1,2})\s*月|"
                          r"前(\d{1,2}|[一二三四五六七八九十]{1,2})个?月|first (\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|"
                          r"eleven) months", re.I)
_NUMBER_WORDS = {w: i for i, w in enumerate("一 二 三 四 五 六 七 八 九 十 十一".split(), start=1)}
_NUMBER_WORDS.update({w: i for i, w in enumerate("one two three four five six seven eight nine ten eleven".split(),
                                                 start=1)})


def asked_periods(question: str) -> list[str]:
    """Patterns the evidence must hold for the part of a year asked: 上半年, 一季度, "January to May" / 1-5月."""
    found = [needed for asked, needed in PERIODS if re.search(asked, question, re.I)]
    question = re.sub(r"\bbetween (\w+) and (\w+)", r"\1 to \2", question, flags=re.I)
    for m in _MONTH_RANGE.finditer(question):
        if m.group(1):
            first, last = _MONTHS[m.group(1).lower()], _MONTHS[m.group(2).lower()]
        elif m.group(3):
            first, last = int(m.group(3)), int(m.group(4))
        else:
            n = m.group(5) or m.group(6)
            first, last = 1, int(n) if n.isdigit() else _NUMBER_WORDS.get(n.lower(), 0)
        if 1 <= first < last <= 12:
            words = "一二三四五六七八九十"
            spoken = words[last - 1] if last <= 10 else "十" + words[last - 11]
            named = {(1, 3): "|一季度", (1, 6): "|上半年", (1, 9): "|前三季度", (7, 12): "|下半年"}.get((first, last), "")
            found.append(rf"{first}月?[-—~至到]{last}月" + (rf"|前(?:{last}|{spoken})个?月" if first == 1 else "") + named)
    return found


FULL_YEAR_Q = re.compile(r"全年|一整年|整年|一年下来|full[- ]year|whole (?:of )?(?:the )?year|whole of (?:19|20)\d\d|entire year|"
                         r"all of (?:19|20)\d\d|(?:19|20)\d\d as a whole", re.I)
PART_OF_YEAR = re.compile(r"上半年|下半年|[一二三四]季度|1月?[-—~至到]\d{1,2}月|前\d{1,2}个?月|\d{1,2}月份|"
                          r"截至(?:今年|(?:19|20)\d\d年)?(?:[1-9]|1[01])月")  # a running total to May is no year's
# "how many in total" is not answered by a count of the year's new ones
TOTAL_Q = re.compile(r"累计|总数|cumulative", re.I)  # not 一共: "一共做了多少单" asks for the year
NEW_ONLY = re.compile(r"新增|新培育|新引进|新认定|新签约")
TOTAL_IN = re.compile(r"累计|总数|总量|共有|共计|已有|拥有|达到?\d")


_PARTS = re.compile(r"[？?；;]|[，,]\s*(?=(?:and )?(?:how|what|when|which|who|where|why)\b)|[，,]\s*(?=(?:其中|那么|并且|而且)?[^，,]{0,12}?"
                    r"(?:多少|几[个家项列台成]|哪))", re.I)


ASKS = re.compile(r"多少|几|什么|哪|谁|何|吗|怎|是否|多大|多高|多快|多长|比例|占比|\b(?:how|what|when|which|who|whom|whose|why|where|is|are|was|"
                   r"were|did|does|do|has|have)\b", re.I)


def sub_questions(question: str) -> list[str]:
    """The questions inside one ("多少家企业进驻？进口的占几成？" is two), each checked on its own."""
    parts: list[str] = []
    context = ""  # a part that asks nothing ("So far", "对于外贸") belongs to the question after it
    for part in (p.strip() for p in _PARTS.split(question)):
        if not part:
            continue
        if ASKS.search(part):
            parts.append(f"{context} {part}".strip())
            context = ""
        else:
            context = f"{context} {part}".strip()
    if context:
        parts = parts[:-1] + [f"{parts[-1]} {context}"] if parts else [context]
    return parts


def as_asked(query: str) -> str:
    """What a question means as the articles would write it: "25年" → "2025年", "Jiangjing" → "jiangjin"."""
    return full_years(correct_place_spelling(query))


def question_years(question: str) -> set[str]:
    return set(YEAR.findall(full_years(normalize(question))))


# "多少列" asks for a count of trains: the answer sentence must hold a number with that unit.
_UNIT_Q = re.compile(r"(?<![第哪])(?:多少|几)(列|标箱|家|台|辆|吨|亩|项|单|GWh|平方米|公里|亿元|万元|亿)|"
                     r"(?:百分之(?:几|多少)|百分比|比例|占比|几成|增速是?多少|增长率|growth rate|how fast)|"
                     r"how many (?:[\w'-]+ ){0,4}?(trains|teus?|containers|companies|firms|enterprises|projects|tonnes|"
                     r"tons|jobs|vehicles|cars|ships|vessels|cranes|stores|shops|merchants|businesses|tenants)\b|"
                     r"what (percentage|share|proportion)|"
                     r"(多久|多长时间|几天|多少天|(?:时效|时间|耗时|用时|周期)[^，,？?]{0,6}(?:多少|几)|how long|"
                     r"how many (?:days|hours|minutes)|how much (?:time|shorter))|(单|箱)量", re.I)
_EN_UNITS = {"trains": "列", "teu": "标箱", "teus": "标箱", "containers": "标箱|个|箱", "companies": "家", "firms": "家",
             "enterprises": "家", "projects": "个", "tonnes": "吨", "tons": "吨", "jobs": "个|人",
             "vehicles": "辆|台", "cars": "辆|台", "ships": "艘", "vessels": "艘", "cranes": "台", "stores": "家|个",
             "shops": "家|个", "merchants": "家|户", "businesses": "家|户", "tenants": "家|户"}


DURATION = r"天|小时|分钟|秒|周|个月|(?<!\d{4})年"  # "3年", not "2025年"
# a company as news names it, with or without 有限公司: 重汽(重庆)轻型汽车, 长安汽车, 天马精密, 巨湾技研
ORG_NAME = re.compile(r"[\u4e00-\u9fff)）]{2,16}(?:公司|集团|企业|汽车|车企|科技|技研|股份|实业|控股|电子|能源|材料|物联|精密|"
                      r"物流|食品|制造|动力|重工|机械|农机|港务|银行)")


# a kind of company, no name: "链主企业的带动作用持续凸显" names none
# ... nor does an industry: "围绕智能网联新能源汽车", "现代制造业", "冷链物流"
_KIND_OF_COMPANY = re.compile(r"(?:(?:链主|龙头|规上|规模以上|生产型|外资|外贸|专精特新|高新技术|科技型|创新型|中小|重点|骨干|相关|"
                              r"配套|头部|实体|工业|民营|国有|贸易|制造业?|物流|上下游)企业|新能源汽车|整车|现代制造|先进制造|"
                              r"智能制造|装备制造|新材料|电子信息|新能源|现代物流|冷链物流|国际物流|绿色食品|预制菜食品)$")


def names_company(text: str) -> bool:
    """A company named outright: "…有限公司", "…集团", or one of the domain dictionary (蜜雪冰城, 成都王牌).
    Stricter than :func:`has_org`, whose suffixes (汽车, 制造) also fit "新能源汽车" or "现代制造"."""
    return bool(COMPANY.search(text)) or any(name in text for name in dictionary_companies())


def has_org(text: str) -> bool:
    """A company named in ``text``: by its suffix (ORG_NAME), as a company of the domain dictionary
    (蜜雪冰城, 巨湾技研: tagged nt, not a port or park), or as jieba tags it (nt)."""
    if any(not _KIND_OF_COMPANY.search(m.group(0)) for m in ORG_NAME.finditer(text)):
        return True
    if any(name in text for name in dictionary_companies()):
        return True
    import jieba.posseg

    return any(flag == "nt" and len(word) >= 2 for word, flag in jieba.posseg.cut(text))


@lru_cache(maxsize=1)
def dictionary_companies() -> frozenset[str]:
    text = resources.files("rag.data").joinpath("userdict.txt").read_text(encoding="utf-8")
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return frozenset(r[0] for r in rows if r[-1] == "nt" and not re.search(r"(?:港|园|区|站|产业城)$", r[0]))


COMPANY_Q = re.compile(r"哪(?:一)?家(?:公司|企业|厂商|厂家|制造商|供应商)?|哪个(?:公司|企业|厂家|厂商)|什么(?:公司|企业|厂家|厂商)|"
                       r"\bwhich (?:company|companies|firm|firms|manufacturer|maker|supplier|enterprise|brand|"
                       r"carmaker|automaker|developer|operator|builder)\b", re.I)
NAME_Q = re.compile(r"(?:负责人|经理|书记|记者|主任|董事长|局长|区长|总裁|专家).{0,6}(?:叫什么|姓名|姓甚名谁|名字|是谁)|"
                     r"哪位(?:高管|领导|官员|负责人|专家|经理|书记)|"
                     r"\b(?:who is|name of) the .{0,30}(?:secretary|head|mayor|manager|director|chairman|chief)|"
                     r"\bwhich (?:[\w-]+ ){0,3}(?:official|executive|expert|manager|leader|researcher)\b",
                     re.I)


# news names a person with a title or a verb of saying: jieba alone tags "由德" or "珞璜" as names
_TITLE = re.compile(r"经理|书记|总裁|董事长|主任|局长|区长|市长|记者|负责人|研究员|专家|主席|部长|厂长|院长|教授|处长|科长|站长|"
                    r"表示|说|介绍|称|指出|认为|坦言")


def has_person(text: str) -> bool:
    """True if ``text`` names a person: a name jieba tags (nr) next to a title or a verb of saying."""
    import jieba.posseg

    at = 0
    for word, flag in jieba.posseg.cut(text):
        after = text[at + len(word) : at + len(word) + 2]
        if (flag == "nr" and 2 <= len(word) <= 4 and _TITLE.search(text[max(0, at - 12) : at + len(word) + 15])
                and word not in dictionary_companies() and not re.match(r"公司|集团|有限", after)):  # 洪九果公司
            return True
        at += len(word)
    return False


_MONEY_Q = re.compile(r"\bin (?:yuan|rmb|renminbi)\b|how much money|多少钱|总投资|投资(?:额|了)?多少|投了多少|砸了多少|"
                      r"\btotal investment|how much (?:\w+ ){0,4}invest", re.I)


def expected_unit(question: str) -> str | None:
    """The unit a quantity question asks for ("多少列" → 列, "what percentage" → %), if any.

    A regular expression: some English nouns have more than one Chinese unit ("jobs" → 个|人).
    """
    match = _UNIT_Q.search(question)
    if not match:
        return "元" if _MONEY_Q.search(question) else None
    if match.group(4):  # how long: a duration
        return DURATION
    if match.group(5):  # "单量", "箱量": a count of orders or containers
        return {"单": "单", "箱": "标箱"}[match.group(5)]
    unit = match.group(1) or match.group(2)
    if unit:
        return _EN_UNITS.get(unit.lower(), unit)
    return "%"


_COUNTED = re.compile(r"(?:多少|几)(?:家|个|台|辆|列|项|名|位|条|座|艘|只|所)([\u4e00-\u9fff]{2,8})")
_GENERIC_NOUN = re.compile(r"(?:企业|公司|项目|单位|机构|主体|平台|国家|地区|城市|人|名|家)$")
_VERB = re.compile(r"[入落上在是被获参实开签有的呢吗了和与及到进出从]")


def counted_noun(question: str) -> str | None:
    """What "多少家汽摩企业" counts, less its generic head: 汽摩 (a count of 高新技术企业 is no answer)."""
    m = _COUNTED.search(question)
    if not m:
        return None
    noun = re.sub(r"^(?:做|搞|生产|从事|经营)", "", _VERB.split(m.group(1))[0])  # "多少家做汽车摩托车的企业"
    while _GENERIC_NOUN.search(noun):
        noun = _GENERIC_NOUN.sub("", noun)
    return noun if len(noun) >= 2 else None


def in_order(word: str, text: str) -> bool:
    """Are most characters of ``word`` in ``text``, in order? Questions paraphrase: 冷藏箱 is in 冷藏集装箱,
    国家级高企 in 国家高新技术企业, 做汽车摩托车的企业 in 汽摩企业; 汽摩 is not in 高新技术企业."""
    prev = [0] * (len(text) + 1)  # longest common subsequence, word × text
    for ch in word:
        row = [0]
        for j, tc in enumerate(text):
            row.append(prev[j] + 1 if ch == tc else max(prev[j + 1], row[j]))
        prev = row
    return prev[-1] >= max(2, (len(word) + 1) // 2)


def figure_pattern(unit: str) -> str:
    """A figure with ``unit`` (a regular expression, e.g. from :func:`expected_unit`): "3000多家", "1.5亿元"."""
    return r"\d[\d.]*\s*(?:万|亿|千|百)?(?:多|余)?\s*(?:" + unit + ")"


def relative_years(sentence: str, doc_date: str) -> set[str]:
    """Years meant by 今年/去年/前年 in an article dated ``doc_date``."""
    year = YEAR.match(doc_date or "")
    if not year:
        return set()
    base = int(year.group(0))
    found = set()
    for word, delta in (("今年", 0), ("去年", -1), ("前年", -2), ("明年", 1)):
        if word in sentence:
            found.add(str(base + delta))
    if "今年" not in sentence and "去年" not in sentence and not YEAR.search(sentence):
        found.add(str(base))  # undated statements in an article are about its own year
    return found


# --------------------------------------------------------------------------- follow-ups

_FOLLOWUP = re.compile(r"^(那|那么|那么在|那在|那如果是)?(.{1,12}?)(呢|的呢|怎么样|如何)[？?。!！]*$|"
                       r"^(and |what about |how about )(.+?)[?.!]*$", re.I)


def resolve_followup(question: str, history: list | None) -> str:
    """Rewrite a short follow-up ("那江津呢？", "what about Jiangjin?") using the previous question."""
    if not history:
        return question
    previous = _last_user_turn(history)
    if not previous:
        return question
    match = _FOLLOWUP.match(question.strip())
    if not match:
        return question
    subject = (match.group(2) or match.group(5) or "").strip()
    if not subject:
        return question
    prev_places = question_places(previous)
    new_places = question_places(subject)
    rewritten = previous
    if prev_places and new_places:
        for place in prev_places:
            new = next(iter(new_places))
            for key in PLACES[place]:
                replacement = PLACES[new][0] if _CJK_RE.search(key) else PLACES[new][1].title()
                rewritten = re.sub(re.escape(key), replacement, rewritten, flags=re.I)
        return rewritten
    years_new = question_years(subject)
    if years_new and question_years(previous):
        return YEAR.sub(next(iter(years_new)), previous)
    return f"{subject} {previous}"


def _last_user_turn(history: list) -> str:
    for turn in reversed(history):
        if isinstance(turn, dict):
            if turn.get("role") == "user" and turn.get("content"):
                return str(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and turn[0]:
            return str(turn[0])
    return ""


_VAGUE = {"about", "怎么样", "如何", "情况", "怎样", "什么", "呢", "那", "tell", "me", "more", "anything", "news"}


def has_content(tokens: list[str]) -> bool:
    """More than place names and vague words: "那江津呢？" with no earlier question asks nothing."""
    return any(t not in _VAGUE and not in_place_name(t) for t in tokens)
