"""The English word lists are data (nlp/lexicons/en.toml): every list the components read exists and is sane."""

from __future__ import annotations

import pytest

from nlp.lexicons import LexiconError, mapping, words


def test_event_lists_and_rules_load():
    assert "officer" in words("en", "events", "security_context")
    assert mapping("en", "events", "modality_cues")["deny"] == "denied"
    assert mapping("en", "events", "number_words")["dozen"] == 12
    rules = mapping("en", "events", "rules")
    assert "detained" in rules["detain"] and "raid" in rules["search"]
    # one rule per word: a word listed under two rules would be dispatched to whichever came last
    seen: dict[str, str] = {}
    for name, ws in rules.items():
        for w in ws:
            assert w not in seen, f"{w!r} under both {seen[w]} and {name}"
            seen[w] = name


def test_event_extractor_knows_every_rule_name():
    from nlp import events

    assert set(events.RULE_WORDS) <= {
        "search", "detain", "arrest", "take", "custody", "charge", "sentence", "fine", "deport", "transfer",
        "disappear", "violence", "death", "conscription", "ban", "property", "displacement",
    }  # fmt: skip
    assert "say" in words("en", "quotes", "speech_verbs")
    assert ("point", "out") in __import__("nlp.quotes", fromlist=["PHRASAL_CUES"]).PHRASAL_CUES


def test_missing_table_is_a_clear_error():
    with pytest.raises(LexiconError, match=r"no table \[events.nope\]"):
        mapping("en", "events", "nope")
