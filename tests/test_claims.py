"""crimea_claims: quantities about victims and cases, never dates, ages, money, articles or sentence lengths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.claims import parse_number

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nlp():
    from nlp.pipeline import build

    return build()


def claims(nlp, text):
    return [(c.count, c.what, c.period) for c in nlp(text)._.claims]


def test_seed_article_claims(nlp):
    seed = json.loads((ROOT / "monitor/demo/corpus/articles_seed.jsonl").read_text(encoding="utf-8").splitlines()[0])
    doc = nlp(seed["text"])
    assert [(c.count, c.what, c.period) for c in doc._.claims] == [
        (194, "cases of human rights violations", None),
        (20, "cases", "recent 2 weeks"),
        (8000, "Crimean Tatar refugees", None),
    ]
    for c in doc._.claims:
        assert seed["text"][c.start : c.end] == c.text


def test_counts_in_digits_and_words(nlp):
    text = (
        "At least 30 political prisoners remain in Russian colonies. Police detained twelve people in Bakhchysarai. "
        "Since 2014, two hundred and forty Crimean Tatars have been prosecuted."
    )
    assert claims(nlp, text) == [
        (30, "political prisoners", None),
        (12, "people", None),
        (240, "Crimean Tatars", "since 2014"),
    ]


def test_period_of_a_count(nlp):
    assert claims(nlp, "Russian security forces searched 7 homes in Molodizhne last week.") == [
        (7, "homes", "last week")
    ]


def test_not_claims(nlp):
    text = (
        "On 12 March 2024 the court sentenced the 45-year-old imam to 12 years under Article 205.5 and fined "
        "him 40,000 rubles. The hearing started at 10 o'clock and lasted 3 hours. Prices rose by 15 percent."
    )
    assert claims(nlp, text) == []


@pytest.mark.parametrize(
    ("words", "value"),
    [
        (["8,000"], 8000),
        (["two", "hundred", "and", "forty"], 240),
        (["1.5", "million"], 1_500_000),
        (["twelve"], 12),
        (["twenty-one"], 21),
        (["205.5"], None),
        (["many"], None),
    ],
)
def test_parse_number(words, value):
    assert parse_number(words) == value
