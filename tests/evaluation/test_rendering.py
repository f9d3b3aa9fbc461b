"""What "the English rendering holds the key figure" means (rag.evaluation.rendering)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from rag.evaluation.rendering import en_values, holds_key, key_parts


def test_key_figures_are_values_and_dates_are_words():
    assert key_parts("3.5万辆") == ({Decimal(35000)}, set())
    assert key_parts("20-45万吨") == ({Decimal(200000), Decimal(450000)}, set())
    assert key_parts("第四") == ({Decimal(4)}, set())
    assert key_parts("2022年9月3日") == (set(), {"2022", "September", "3"})
    assert key_parts("绥芬河口岸") == (set(), set())


def test_english_values_read_commas_and_scales():
    assert en_values("1.25 million tonnes and 3,400 trains") == {Decimal(1250000), Decimal(3400)}


@pytest.mark.parametrize("en, phrase, keys, held", [
    ("35,000 vehicles", "3.5万辆", ["3.5万辆"], True),
    ("3,500 vehicles", "3500辆", ["3.5万辆"], False),
    ("3 September 2022", "2022年9月3日", ["2022年9月3日"], True),
    ("September 2022", "2022年9月", ["2022年9月3日"], False),
    (None, "3.5万辆", ["3.5万辆"], False),
    ("Suifenhe Port", "绥芬河口岸", ["绥芬河口岸"], True),
    ("Suifenhe", "绥芬河", ["东兴口岸"], False),
    ("4th", "第四", ["第四位", "12亿元"], True),
])
def test_a_rendering_holds_a_key_only_with_its_exact_figures(en, phrase, keys, held):
    assert holds_key(en, phrase, keys) is held
