"""NLP core: gazetteer ruler, entity linking, relevance, incident events and dates, on real spaCy processing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from nlp import pipeline
from nlp.dates import resolve
from nlp.gazetteer import load_gazetteer
from nlp.linking import EntityLinker
from nlp.translit import fold, to_latin

ROOT = Path(__file__).resolve().parents[1]
CORE = [name for name, _ in pipeline.ALL_COMPONENTS if name not in ("crimea_quotes", "crimea_claims")]
DEV_FILES = [*sorted((ROOT / "monitor/demo/corpus").glob("articles_*.jsonl")), ROOT / "nlp/eval/dev_hard.jsonl"]


@pytest.fixture(scope="module")
def nlp():
    return pipeline.get_pipeline(components=CORE)


def run(nlp, text: str, published: str | None = "2026-09-10T12:00:00+03:00"):
    doc = next(pipeline.analyse(nlp, [(text, published)]))
    return doc, pipeline.enrichment(doc)


def actual_types(enr) -> set[str]:
    return {e.type for e in enr.events if e.actual}


def ids(enr, label: str) -> set[str]:
    return {m.entity_id for m in enr.mentions if m.label == label}


# --- seed article ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed(nlp):
    item = json.loads((ROOT / "monitor/demo/corpus/articles_seed.jsonl").read_text(encoding="utf-8").splitlines()[0])
    return run(nlp, item["text"], item["published_at"])


def test_seed_persons_orgs_places(seed):
    _, enr = seed
    persons = ids(enr, "PERSON")
    assert {"person:mustafa-dzhemilev", "person:refat-chubarov"} <= persons
    names = {m.name for m in enr.mentions if m.label == "PERSON"}
    assert {"Alim Aliyev", "Sevgil Musayeva"} <= names
    assert {"org:mejlis", "org:world-congress-of-crimean-tatars", "org:krym-sos", "org:osce", "org:eu"} <= ids(
        enr, "ORG"
    )
    places = ids(enr, "GPE") | ids(enr, "LOC")
    assert {"place:crimea", "place:kyiv", "place:minsk", "place:ukraine", "place:russia"} <= places
    assert "group:crimean-tatars" in ids(enr, "NORP")
    # "said Jemilev" and "Mustafa Jemilev" are one entity, the gazetteer's Dzhemilev
    jemilev = {m.entity_id for m in enr.mentions if "Jemilev" in m.text}
    assert jemilev == {"person:mustafa-dzhemilev"}


def test_seed_events_and_relevance(seed):
    _, enr = seed
    assert enr.relevance.about_crimea and enr.relevance.score > 0.8
    deport = [e for e in enr.events if e.type == "deportation"]
    assert deport and deport[0].actual and any("Turkish" in v.text for v in deport[0].victims)
    displacement = [e for e in enr.events if e.type == "displacement"]
    # "as many as 8,000 Crimean Tatar refugees we are aware of" is a statistic: an aggregate with its count
    assert any(e.modality == "aggregate" and e.count == 8000 for e in displacement)
    forced_out = [e for e in displacement if e.trigger == "force"]
    assert forced_out and not forced_out[0].actual


# --- linking -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["Dzhemilev", "Jemilev", "Cemilev", "Джемилев"])
def test_transliterated_names_link_to_one_entity(nlp, spelling):
    _, enr = run(nlp, f"Mustafa {spelling} spoke in Kyiv on Monday about the situation in Crimea.")
    assert "person:mustafa-dzhemilev" in ids(enr, "PERSON")


def test_surname_alone_links_to_full_name_of_article(nlp):
    text = (
        "Lawyer Emil Kurbedinov said the court ignored the evidence. "
        "\u201cThis is a political case,\u201d said Kurbedinov after the hearing in Simferopol."
    )
    _, enr = run(nlp, text)
    people = [m for m in enr.mentions if m.label == "PERSON"]
    assert len({m.entity_id for m in people}) == 1
    assert {m.name for m in people} == {"Emil Kurbedinov"}


def test_unknown_spelling_variants_share_a_key(nlp):
    _, a = run(nlp, "Enver Seitumerov was detained in Stroganovka.")
    _, b = run(nlp, "Enver Seytumerov was detained in Stroganovka.")
    assert ids(a, "PERSON") == ids(b, "PERSON") and next(iter(ids(a, "PERSON"))).startswith("person:~")


def test_family_member_is_not_the_gazetteer_person_with_same_surname(nlp):
    _, enr = run(nlp, "His wife, Gulnara Dzhaparova, was in the courtroom in Simferopol.")
    assert "Gulnara Dzhaparova" in {m.name for m in enr.mentions if m.label == "PERSON"}


def test_outlet_name_is_not_a_place(nlp):
    _, enr = run(nlp, "His sister told Black Sea Daily that he was beaten.")
    assert "place:black-sea" not in ids(enr, "LOC")


def test_cyrillic_inflected_place_resolves():
    linker = EntityLinker(load_gazetteer())
    assert linker.resolve_name("Бахчисарае").id == "place:bakhchysarai"
    assert linker.resolve_name("Сімферополя").id == "place:simferopol"


# --- relevance -------------------------------------------------------------------------------------------------
def test_relevance_on_topic_off_topic_and_passing(nlp):
    _, on = run(nlp, "FSB officers searched three homes in Bakhchysarai on Tuesday and detained two Crimean Tatars.")
    assert on.relevance.about_crimea and any("Bakhchysarai" in r for r in on.relevance.reasons)
    _, off = run(nlp, "Dynamo Kyiv beat Polissya Zhytomyr 3-1 at the Olympic Stadium on Sunday.")
    assert not off.relevance.about_crimea
    passing = (
        "Moscow police detained a student after he unfurled a banner reading Crimea is Ukraine in central Moscow. "
        "A Moscow court fined him the next day. His friends in Moscow collected money for the fine."
    )
    _, enr = run(nlp, passing)
    assert not enr.relevance.about_crimea


def test_relevance_of_russian_text(nlp):
    text = "В среду сотрудники ФСБ провели обыски в домах крымских татар в Бахчисарае. Задержаны четверо мужчин."
    _doc, enr = run(nlp, text)
    assert enr.relevance.about_crimea
    assert {"search", "detention"} <= actual_types(enr)


# --- events ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "etype"),
    [
        ("FSB officers searched the homes of four Crimean Tatar men in Stroganovka on Tuesday.", "search"),
        ("Police detained Server Mustafayev outside his home in Dzhankoi.", "detention"),
        ("Dzhelyalov was arrested by police officers and taken to the police station.", "detention"),
        ("The Kyivskyi district court of Simferopol remanded him in custody for two months.", "custody"),
        ("A court in Feodosia placed Andrii Kravets under house arrest.", "custody"),
        ("Investigators charged Halyna Shevchuk under Article 275 of the Russian Criminal Code.", "charge"),
        ("The court sentenced Izzet Chalbash to 17 years in a strict-regime penal colony.", "sentence"),
        ("A court in Yalta fined two women 30,000 roubles for discrediting the army.", "fine"),
        ("Oleh Rudenko received 12 days of administrative arrest for displaying banned symbols.", "fine"),
        ("A court in Kerch ordered the deportation of Vira Kovalchuk under Article 18.8.", "deportation"),
        ("Five men have been transferred from Simferopol to a detention facility in Taganrog.", "transfer"),
        ("Rustem Kurtmollaev has not been seen since Tuesday evening, when he left his house.", "disappearance"),
        ("He said he was tortured with electric shocks in the FSB building.", "torture"),
        ("The journalist was attacked and beaten by three masked men outside his home in Bakhchysarai.", "assault"),
        ("Ismet Dzhemalov died on Sunday in a penal colony in Novocherkassk.", "death"),
        ("Officers handed mobilisation summonses to 40 men in Kolchugino.", "conscription"),
        ("The Supreme Court of Crimea declared the foundation an extremist organisation.", "ban"),
        ("Bailiffs demolished six houses belonging to Crimean Tatar families in Molodizhne.", "property_seizure"),
        ("Gulnara Ismailova has left Crimea with her two children and arrived in Kyiv.", "displacement"),
    ],
)
def test_each_event_type(nlp, text, etype):
    _, enr = run(nlp, text)
    assert etype in actual_types(enr), [(e.type, e.modality, e.trigger) for e in enr.events]


@pytest.mark.parametrize(
    ("text", "etype", "modality"),
    [
        ("\u201cNo one was detained, and no search took place,\u201d a police spokesperson said.", "search", "negated"),
        ("Officers did not detain anyone at the mosque in Bilohirsk.", "detention", "negated"),
        ("Police and the FSB denied detaining Seitkhalilov in Saky.", "detention", "denied"),
        ("If convicted, he could face up to 15 years in prison.", "sentence", "hypothetical"),
        ("Oleh Hnatiuk fears he could be deported from Yevpatoria.", "deportation", "hypothetical"),
        ("The Kerch court stopped short of ordering his expulsion.", "deportation", "negated"),
        ("A second fine could lead to a criminal case against him.", "charge", "hypothetical"),
        ("The authorities will do their utmost to force the squatters out of Kamenka.", "displacement", "hypothetical"),
    ],
)
def test_negation_denial_hypothetical(nlp, text, etype, modality):
    _, enr = run(nlp, text)
    found = [e for e in enr.events if e.type == etype]
    assert found, [(e.type, e.modality) for e in enr.events]
    assert all(not e.actual for e in found)
    assert found[0].modality == modality


def test_non_events_are_not_events(nlp):
    for text in (
        "Heavy rain in August arrested the decline of the reservoir.",
        "The search for a compromise will continue next week.",
        "Lytvyn charged the net and beat the second seed 7-5, 6-4.",
        "She transferred money to a fund for a children's hospital.",
    ):
        _, enr = run(nlp, text)
        assert not actual_types(enr), (text, [(e.type, e.trigger) for e in enr.events])


def test_arguments_date_count_perpetrator_article_place(nlp):
    text = (
        "Russian FSB officers raided six homes in the village of Stroganovka near Simferopol on Tuesday "
        "and detained four Crimean Tatar men under Article 205.5."
    )
    _, enr = run(nlp, text, "2026-09-10T12:00:00+03:00")  # a Thursday
    search = next(e for e in enr.events if e.type == "search")
    assert search.count == 6
    assert search.date == "2026-09-08" and search.date_precision == "day"
    assert search.perpetrator_id == "org:fsb"
    assert search.legal_article == "205.5"
    assert search.place_text == "Stroganovka" and search.place_id == "place:strohonivka"
    detention = next(e for e in enr.events if e.type == "detention")
    assert detention.count == 4


def test_recap_of_old_case(nlp):
    _, enr = run(nlp, "Eskender Sadykov was sentenced in 2021 to 12 years in prison.", "2026-09-10")
    sentence = next(e for e in enr.events if e.type == "sentence")
    assert sentence.is_recap and sentence.date == "2021"


# --- dates -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("on Tuesday", ("2026-09-08", "day")),
        ("on Thursday", ("2026-09-10", "day")),  # the publication day itself
        ("last Thursday", ("2026-09-03", "day")),
        ("last week", ("2026-08-31", "week")),
        ("earlier this month", ("2026-09", "month")),
        ("on 14 October", ("2025-10-14", "day")),  # would be in the future: the year before
        ("5 September", ("2026-09-05", "day")),
        ("March 2025", ("2025-03", "month")),
        ("in 2019", ("2019", "year")),
        ("yesterday", ("2026-09-09", "day")),
        ("two weeks", None),
    ],
)
def test_date_resolution(expr, expected):
    assert resolve(expr, date(2026, 9, 10)) == expected


# --- build contract ----------------------------------------------------------------------------------------------
def test_build_rejects_unknown_components():
    with pytest.raises(ValueError):
        pipeline.build(components=["crimea_nonsense"])


def test_component_order(nlp):
    names = nlp.pipe_names
    assert names.index("crimea_gazetteer") < names.index("ner") < names.index("crimea_entity_linker")
    assert names.index("crimea_relevance") < names.index("crimea_events")


# --- dev-set floors ----------------------------------------------------------------------------------------------
def _same(a: str, b: str, resolve_name) -> bool:
    na, nb = fold(to_latin(a)), fold(to_latin(b))
    if na == nb:
        return True
    ea, eb = resolve_name(a), resolve_name(b)
    if ea is not None and eb is not None and ea.id == eb.id:
        return True
    ta, tb = na.split(), nb.split()
    return (len(ta) == 1 and bool(tb) and ta[0] == tb[-1]) or (len(tb) == 1 and bool(ta) and tb[0] == ta[-1])


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def test_dev_set_floors(nlp):
    """The whole dev set (demo corpus + hard cases) scored as EVAL.md says; floors a little under what we reach."""
    resolve_name = EntityLinker(load_gazetteer()).resolve_name
    gold = [json.loads(line) for path in DEV_FILES for line in path.read_text(encoding="utf-8").splitlines() if line]
    docs = pipeline.analyse(nlp, [(g["text"], g.get("published_at")) for g in gold])
    counts = {k: [0, 0, 0] for k in ("relevance", "events", "persons", "places")}
    for g, doc in zip(gold, docs, strict=True):
        enr = pipeline.enrichment(doc)
        rel = counts["relevance"]
        rel[0 if g["about_crimea"] and enr.relevance.about_crimea else 1 if enr.relevance.about_crimea else 2] += (
            g["about_crimea"] or enr.relevance.about_crimea
        )
        gt = {e["type"] for e in g.get("events", []) if not e.get("negated_or_hypothetical") and e["type"] != "other"}
        pt = actual_types(enr)
        counts["events"][0] += len(gt & pt)
        counts["events"][1] += len(pt - gt)
        counts["events"][2] += len(gt - pt)
        for key, labels in (("persons", {"PERSON"}), ("places", {"GPE", "LOC"})):
            gl = list(dict.fromkeys(g.get(key, [])))
            pl = list(dict.fromkeys(m.name for m in enr.mentions if m.label in labels))
            tp = sum(1 for x in gl if any(_same(x, y, resolve_name) for y in pl))
            fp = sum(1 for y in pl if not any(_same(x, y, resolve_name) for x in gl))
            counts[key][0] += tp
            counts[key][1] += fp
            counts[key][2] += len(gl) - tp
    scores = {k: _f1(*v) for k, v in counts.items()}
    assert scores["events"] >= 0.95, scores
    assert scores["persons"] >= 0.93, scores
    assert scores["places"] >= 0.91, scores
    assert scores["relevance"] >= 0.97, scores
