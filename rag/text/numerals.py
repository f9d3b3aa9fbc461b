"""Chinese numerals (八十, 一百二十, 两) as numbers, through cn2an."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def zh_number(text: str) -> float | None:
    """The value of ``text`` written in Chinese numerals or digits, or None when it is not a number."""
    import cn2an  # ~0.1 s to import; only questions that spell a figure in characters need it

    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None
