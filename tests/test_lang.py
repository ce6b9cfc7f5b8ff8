"""Russian, Ukrainian and Crimean Tatar: language routing, names in base form, events, dates and quotes, on the
real pipelines (natasha, pymorphy3)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from nlp import pipeline
from nlp.lang.dates_cyrillic import find_date
from nlp.lang.detect import detect_language
from nlp.lang.morph import nominative
from nlp.lexicons import words

PUBLISHED = "2026-10-14T10:00:00+03:00"  # a Wednesday


@pytest.fixture(scope="module")
def nlp():
    return pipeline.get_pipeline()


@pytest.fixture(scope="module")
def docs(nlp):
    texts = {
        "ru": "В среду сотрудники ФСБ провели обыски в Бахчисарае. Задержаны Рустем Велиев и Эдем Муратов.\n\n"
        "«Они ворвались и положили мужа на пол», — сказала Ленура Муратова, жена Эдема Муратова.",
        "uk": "5 березня в Сімферополі затримали Рустема Велієва. Про це повідомила його сестра Аліє Велієва.\n\n"
        "— Його вивели в наручниках, — розповіла Аліє Велієва.",
        "crh": "Aqmescitte FSB hadimleri qırımtatar Server Ablayevniñ evinde tintüv keçirdiler. Soñra onı Kezlevdeki "
        "polis bölügine alıp kettiler. Mustafa Cemilevniñ aytqanına köre, bu yañı bir basqı.",
        "en": "Russian FSB officers searched the home of Edem Muratov in Bakhchysarai on Tuesday.",
        "ru_off": "В Москве полиция задержала двух участников акции у здания суда.",
    }
    out = list(pipeline.analyse(nlp, [(t, PUBLISHED) for t in texts.values()]))
    return dict(zip(texts, out, strict=True))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("В среду утром сотрудники ФСБ провели обыски в пяти домах.", "ru"),
        ("У четвер співробітники ФСБ провели обшук у будинку в Джанкої.", "uk"),
        ("Aqmescitte FSB hadimleri bir qırımtatar evinde tintüv keçirdiler.", "crh"),
        ("FSB officers raided six homes in Stroganovka.", "en"),
        # mixed: two Ukrainian sentences outweigh one Russian
        ("Суд продлил арест. Суд продовжив арешт Рустему до січня. Адвокат оскаржить рішення суду.", "uk"),
    ],
)
def test_language_of_an_article(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("words_", "lang", "expected"),
    [
        (["Рустема", "Велієва"], "uk", "Рустем Велієв"),
        (["Андрія", "Коваля"], "uk", "Андрій Коваль"),
        (["Ленура", "Муратова"], "ru", "Ленура Муратова"),  # her name is already nominative
        (["Бахчисарае"], "ru", "Бахчисарай"),
        (["Сімферополі"], "uk", "Сімферополь"),
        (["Исмаилов"], "ru", "Исмаилов"),  # no genitive plural of "Исмаил"
    ],
)
def test_names_to_the_nominative(words_, lang, expected):
    assert nominative(words_, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("В среду утром прошли обыски", "ru", ("2026-10-14", "day")),
        ("5 березня затримали", "uk", ("2026-03-05", "day")),
        ("27 марта 2019 года суд", "ru", ("2019-03-27", "day")),
        ("вчора ввечері", "uk", ("2026-10-13", "day")),
        ("арестовал до 10 января", "ru", None),  # when custody ends, not when something happened
    ],
)
def test_cyrillic_dates_resolve_against_publication(text, lang, expected):
    assert find_date(text, lang, date(2026, 10, 14)) == expected


def test_each_article_goes_to_its_language_pipeline(docs):
    assert {key: doc.lang_ for key, doc in docs.items()} == {
        "ru": "ru", "uk": "uk", "crh": "crh", "en": "en", "ru_off": "ru",
    }  # fmt: skip
    for doc in docs.values():  # one Doc contract
        assert doc._.relevance is not None and doc._.events is not None and doc._.quotes is not None


def test_russian_entities_are_linked_in_base_form(docs):
    ents = {(e.label_, e._.entity_name, e._.entity_id) for e in docs["ru"].ents}
    assert ("GPE", "Bakhchysarai", "place:bakhchysarai") in ents  # "в Бахчисарае" is a place, not a person
    names = {name for label, name, _ in ents if label == "PERSON"}
    assert {"Рустем Велиев", "Эдем Муратов", "Ленура Муратова"} <= names


def test_cyrillic_and_latin_spellings_of_a_person_share_one_id(docs):
    ru = {e._.entity_name: e._.entity_id for e in docs["ru"].ents if e.label_ == "PERSON"}
    uk = {e._.entity_name: e._.entity_id for e in docs["uk"].ents if e.label_ == "PERSON"}
    en = {e._.entity_name: e._.entity_id for e in docs["en"].ents if e.label_ == "PERSON"}
    assert ru["Рустем Велиев"] == uk["Рустем Велієв"]  # Велиев = Велієв
    edem = {e._.entity_id for e in docs["ru"].ents if e.text.startswith("Эдем")}  # "Эдем", "жена Эдема Муратова"
    assert edem == {en["Edem Muratov"]}


def test_russian_events_have_victims_place_and_date(docs):
    events = {e.type: e for e in docs["ru"]._.events if e.actual}
    assert {"search", "detention"} <= set(events)
    search = events["search"]
    assert search.place_id == "place:bakhchysarai"
    assert search.date == "2026-10-14"
    assert {v.text for v in events["detention"].victims} == {"Рустем Велиев", "Эдем Муратов"}
    # the speaker is no victim
    assert all(v.text != "Ленура Муратова" for e in docs["ru"]._.events for v in e.victims)


def test_ukrainian_events_and_dash_speech(docs):
    events = {e.type: e for e in docs["uk"]._.events if e.actual}
    assert events["detention"].date == "2026-03-05"
    assert events["detention"].place_id == "place:simferopol"
    assert [v.text for v in events["detention"].victims] == ["Рустем Велієв"]
    quotes = {(q.kind, q.speaker_text, q.text) for q in docs["uk"]._.quotes}
    assert ("direct", "Аліє Велієва", "Його вивели в наручниках") in quotes


def test_russian_direct_quote_speaker_is_the_subject_of_the_cue(docs):
    [quote] = [q for q in docs["ru"]._.quotes if q.kind == "direct"]
    assert quote.text.startswith("Они ворвались")
    assert quote.speaker_text == "Ленура Муратова"


def test_crimean_tatar_places_and_relevance(docs):
    ids = {e._.entity_id for e in docs["crh"].ents}
    assert {"place:simferopol", "place:yevpatoria"} <= ids  # Aqmescitte, Kezlevdeki
    assert docs["crh"]._.relevance.about_crimea
    persons = {e._.entity_name: e._.entity_id for e in docs["crh"].ents if e.label_ == "PERSON"}
    assert persons["Mustafa Dzhemilev"] == "person:mustafa-dzhemilev"  # Mustafa Cemilevniñ
    assert "Server Ablayev" in persons  # the genitive suffix -niñ is no part of the name


def test_relevance_of_cyrillic_articles(docs):
    assert docs["ru"]._.relevance.about_crimea and docs["uk"]._.relevance.about_crimea
    assert not docs["ru_off"]._.relevance.about_crimea


def test_event_triggers_are_lexicon_data():
    assert "обыск" in words("ru", "triggers", "search")
    assert "обшук" in words("uk", "triggers", "search")
    assert "повідомив" in words("uk", "quotes", "cues")


def test_english_only_work_never_loads_natasha_or_pymorphy3():
    code = (
        "import sys; from nlp import pipeline; nlp = pipeline.get_pipeline(components=['crimea_gazetteer', "
        "'crimea_entity_linker']); list(pipeline.analyse(nlp, [('Officers searched homes in Simferopol.', None)]));"
        "print(sorted(m for m in ('natasha', 'pymorphy3', 'slovnet') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
