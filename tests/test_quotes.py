"""crimea_quotes on real sentences of every quote style, and the seed article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.evaluate import names_match

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nlp():
    from nlp.pipeline import build

    return build()


def quotes(nlp, text):
    return nlp(text)._.quotes


def only(nlp, text):
    found = quotes(nlp, text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("opening", "closing"),
    [('"', '"'), ("“", "”"), ("«", "»"), ("„", "“"), ("‘", "’")],
)
def test_direct_quote_in_every_style(nlp, opening, closing):
    text = f"{opening}The court did not even look at the documents,{closing} said lawyer Alim Kurtveliev."
    q = only(nlp, text)
    assert q.kind == "direct" and q.cue == "say"
    assert q.text == "The court did not even look at the documents"
    assert names_match(q.speaker_text, "Alim Kurtveliev")
    assert text[q.start : q.end] == "The court did not even look at the documents,"[:-1]


def test_split_quote_is_one_statement(nlp):
    text = "“They came at six,” she said, “and took every phone in the house.”"
    text = "Lilia Bekirova spent the morning outside the house. " + text
    q = only(nlp, text)
    assert q.text == "They came at six and took every phone in the house."
    assert q.speaker_text == "Lilia Bekirova"
    assert text[q.start : q.end] == "They came at six,"[:-1]


def test_quote_spanning_paragraphs(nlp):
    text = (
        "Refat Chubarov spoke after the hearing.\n\n"
        "“The prosecution has no evidence against these men.\n\n"
        "“The court must release them today,” Chubarov said."
    )
    q = only(nlp, text)
    assert "no evidence against these men" in q.text and "release them today" in q.text
    assert q.speaker_text == "Refat Chubarov"


def test_quote_paragraph_after_the_speaker(nlp):
    text = (
        "Zarema Yakubova told reporters that officers confiscated two phones.\n\n"
        "“My husband is a builder, he has never been involved in any politics.”"
    )
    found = quotes(nlp, text)
    assert [q.kind for q in found] == ["indirect", "direct"]
    assert all(q.speaker_text == "Zarema Yakubova" for q in found)


def test_quote_without_cue_verb(nlp):
    text = (
        "Bekir Ablyazov was transferred to Rostov.\n\n"
        "Ablyazov's sister, Elmaz Ablyazova, on the transfer: «Nobody warned the families. We learned about it late.»"
    )
    q = only(nlp, text)
    assert q.cue is None and q.kind == "direct"
    assert q.speaker_text == "Elmaz Ablyazova"


def test_indirect_speech_forms(nlp):
    text = (
        "Refat Chubarov pointed out that the Mejlis had been banned in 2016. "
        "According to Krym SOS, twelve people were detained in Bakhchysarai. "
        "Four men were taken to the FSB building in Simferopol, Crimean Solidarity reported."
    )
    found = quotes(nlp, text)
    assert [(q.cue, q.kind) for q in found] == [
        ("point out", "indirect"),
        ("according to", "indirect"),
        ("report", "indirect"),
    ]
    assert found[0].text == "the Mejlis had been banned in 2016"
    assert names_match(found[0].speaker_text, "Refat Chubarov")
    assert found[1].speaker_text == "Krym SOS" and "twelve people were detained" in found[1].text
    assert found[2].speaker_text == "Crimean Solidarity" and found[2].text.startswith("Four men were taken")


def test_pronoun_and_role_resolution(nlp):
    text = (
        "Police detained Server Mustafayev on Tuesday, his lawyer said.\n\n"
        "His lawyer, Emil Kurbedinov, said the case was fabricated. “It is the usual scheme,” he added."
    )
    found = quotes(nlp, text)
    assert [q.speaker_text for q in found] == ["Emil Kurbedinov"] * 3


def test_several_speakers_in_one_paragraph(nlp):
    text = (
        "“They took my son in his slippers,” said Meryem Useinova. Lawyer Alim Kurtveliev said the men were "
        "suspects in a terrorism case. “This is collective punishment,” said Lilia Bekirova of Crimean Solidarity."
    )
    found = quotes(nlp, text)
    speakers = [q.speaker_text for q in found]
    assert len(found) == 3
    assert names_match(speakers[0], "Meryem Useinova")
    assert names_match(speakers[1], "Alim Kurtveliev")
    assert names_match(speakers[2], "Lilia Bekirova")


def test_scare_quotes_and_titles_are_not_statements(nlp):
    text = (
        "He was fined for “discrediting the army”. A meeting called ‘Human rights in occupied Crimea’ was held in Kyiv."
    )
    assert quotes(nlp, text) == []


def test_russian_quotes(nlp):
    text = (
        "Адвокат Ильмира Чалашева сообщила, что задержанным может быть предъявлено обвинение. "
        "«Пока нам не дают встретиться с подзащитными», — отметила она."
    )
    found = quotes(nlp, text)
    assert [q.kind for q in found] == ["indirect", "direct"]
    assert all(q.speaker_text == "Ильмира Чалашева" for q in found)


def test_seed_article(nlp):
    seed = json.loads((ROOT / "monitor/demo/corpus/articles_seed.jsonl").read_text(encoding="utf-8").splitlines()[0])
    found = quotes(nlp, seed["text"])
    expected = [
        ("Mustafa Jemilev", "The most pressing challenge we are facing today is liberation of Crimea"),
        ("Refat Chubarov", "For some reason the subject of Crimea’s liberation is not discussed"),
        ("Alim Aliyev", "Since Russia annexed Crimea"),
        ("Sevgil Musayeva", "This is a hitherto unheard of genocide"),
    ]
    assert len(found) == 4
    for q, (speaker, start) in zip(found, expected, strict=True):
        assert q.kind == "direct"
        assert q.text.startswith(start)
        assert names_match(q.speaker_text, speaker), (q.speaker_text, speaker)
        assert q.speaker_id is not None
        assert seed["text"][q.start : q.end].startswith(start)
    # Jemilev is linked to the same entity however he is spelled
    assert found[0].speaker_id == "person:mustafa-dzhemilev" or found[0].speaker_id.startswith("person:")
