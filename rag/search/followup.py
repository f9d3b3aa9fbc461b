"""Short follow-up questions rewritten with the previous one: "那钦州呢？", "what about 2022?".

A follow-up names a new place or year (or a new subject) and leans on the previous question for
the rest. Places and years are found by the question analysis, so any place the corpus names works.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from rag.text.timeexpr import YEAR

_FOLLOWUP = re.compile(r"^(?:那|那么|那么在|那在|那如果是)?(.{1,12}?)(?:呢|的呢|怎么样|如何)[？?。!！]*$|"
                       r"^(?:and |what about |how about )(.{1,40}?)[?.!]*$", re.I)


def resolve_followup(question: str, history: list | None, analyse: Callable | None = None) -> str:
    """``question`` made whole from the last user turn of ``history`` when it is a short follow-up."""
    if not history:
        return question
    previous = _last_user_turn(history)
    match = _FOLLOWUP.match(question.strip())
    if not previous or not match:
        return question
    subject = (match.group(1) or match.group(2) or "").strip()
    if not subject:
        return question
    new_years = set(YEAR.findall(subject))
    if new_years and YEAR.search(previous):
        return YEAR.sub(next(iter(sorted(new_years))), previous)
    if analyse is not None:
        old_places = [p.source for p in analyse(previous).places]
        if old_places:
            rewritten = previous
            for place in old_places:
                rewritten = re.sub(re.escape(place), subject, rewritten, flags=re.I)
            return rewritten
    return f"{subject} {previous}"


def _last_user_turn(history: list) -> str:
    for turn in reversed(history):
        if isinstance(turn, dict):
            if turn.get("role") == "user" and turn.get("content"):
                return str(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and turn[0]:
            return str(turn[0])
    return ""
