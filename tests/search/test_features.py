"""Sentence features that read the question's focus: is the answer of the kind asked, next to what is asked."""
from __future__ import annotations

from rag.search.analysis import QuestionAnalysis, TermGroup
from rag.search.features import _focus
from rag.text.tokenize import normalize


def question(qtype: str, focus: tuple[str, ...], numbers: frozenset[str] = frozenset(),
             years: frozenset[str] = frozenset()) -> QuestionAnalysis:
    groups = tuple(TermGroup(w, (w,), 1.0) for w in focus)
    return QuestionAnalysis("q", "zh", groups, (), (), years=years, type=qtype, numbers=numbers, focus=groups)


def features(a: QuestionAnalysis, text: str) -> dict[str, float]:
    return _focus(a, text, normalize(text), set())


def test_a_figure_next_to_the_focus_word():
    a = question("number", ("占地",))
    assert features(a, "喀什综合保税区规划占地3.56平方公里，已入驻企业120家。") == {
        "focus_sent": 1.0, "focus_fig": 1.0, "fig_ok": 1.0}


def test_the_focus_word_without_a_figure_or_a_figure_without_the_focus_word():
    a = question("number", ("占地", "面积"))
    assert features(a, "霍尔果斯的物流园区占地广阔，正在建设之中。") == {
        "focus_sent": 0.5, "focus_fig": 0.0, "fig_ok": 0.0}
    far = "喀什综合保税区去年进出口总额达到85亿元，同比增长12%，园区内各类企业发展迅速，带动就业岗位持续增加，周边配套设施日益完善，另有规划正在占地审批中。"
    assert features(a, far)["focus_fig"] == 0.0 and features(a, far)["fig_ok"] == 1.0


def test_dates_and_the_questions_own_figures_are_not_answers_to_how_many():
    a = question("number", ("投产",), numbers=frozenset({"2"}), years=frozenset({"2024"}))
    assert features(a, "2024年6月15日，满洲里2号仓库项目投产。")["fig_ok"] == 0.0
    when = question("date", ("投产",))
    assert features(when, "满洲里仓库项目于2024年6月15日投产。") == {
        "focus_sent": 1.0, "focus_fig": 1.0, "fig_ok": 1.0}


def test_a_question_with_no_focus_is_neutral():
    a = question("person", ())
    assert features(a, "满洲里市副市长王海涛说。") == {"focus_sent": 0.5, "focus_fig": 0.5, "fig_ok": 0.5}


class _Names:
    """The part of Knowledge the focus features read: the kind of a name."""

    def __init__(self, **kinds: str):
        self.kinds = kinds

    def kind(self, word: str) -> str | None:
        return self.kinds.get(word)


def test_a_name_of_the_kind_asked_next_to_the_focus_word():
    a = question("person", ("理事长",))
    names = _Names(王建国="person", 李华="person", 图们="place")
    text = "图们市物流协会理事长王建国出席了签约仪式。"
    assert _focus(a, text, normalize(text), set(), names) == {"focus_sent": 1.0, "focus_fig": 1.0, "fig_ok": 1.0}
    byline = "记者李华报道，图们市物流协会召开了年度会议。"
    assert _focus(a, byline, normalize(byline), set(), names) == {"focus_sent": 0.0, "focus_fig": 0.0,
                                                                   "fig_ok": 1.0}
    nobody = "图们市物流协会召开了年度会议。"
    assert _focus(a, nobody, normalize(nobody), set(), names)["fig_ok"] == 0.0
    assert features(a, text) == {"focus_sent": 1.0, "focus_fig": 0.5, "fig_ok": 0.5}  # without the names
