"""Tests for nlp.gazetteer and the gazetteer data files in nlp/data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import spacy

from nlp.gazetteer import DATA_DIR, Gazetteer, GazetteerEntry, load_gazetteer
from nlp.translit import fold

DATA_FILES = ("places.jsonl", "organisations.jsonl", "groups.jsonl", "persons.jsonl")
CRIMEA_BOX = (44.38, 46.25, 32.48, 36.65)  # lat min, lat max, lon min, lon max
# Different entries whose spellings share a phonetic key; exact spellings still resolve (see round trip).
KNOWN_KEY_COLLISIONS = {"lVtva", "vVsVlVvka"}  # Latvia/Литва (Lithuania); Vasylivka/Veselivka


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


def _records(name: str) -> list[dict[str, object]]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_files_are_jsonl_utf8(name: str) -> None:
    path = DATA_DIR / name
    text = path.read_text(encoding="utf-8")
    assert "\\u04" not in text, "write with ensure_ascii=False"
    records = _records(name)
    assert records
    for rec in records:
        assert isinstance(rec["id"], str) and isinstance(rec["name"], str)
        assert isinstance(rec["aliases"], list) and all(isinstance(a, str) and a for a in rec["aliases"])


def test_loads_and_is_cached(gaz: Gazetteer) -> None:
    assert load_gazetteer() is gaz
    assert load_gazetteer(DATA_DIR) is gaz
    assert len(gaz) == sum(len(_records(n)) for n in DATA_FILES)


def test_unique_ids(gaz: Gazetteer) -> None:
    ids = Counter(e.id for e in gaz.entries)
    assert not [i for i, n in ids.items() if n > 1]
    prefixes = {"GPE": "place:", "LOC": "place:", "ORG": "org:", "NORP": "group:", "PERSON": "person:"}
    for e in gaz.entries:
        assert e.id.startswith(prefixes[e.label]), e.id


def test_counts(gaz: Gazetteer) -> None:
    places = [e for e in gaz.entries if e.id.startswith("place:")]
    kinds = Counter(e.kind for e in places)
    assert kinds["raion"] == 14
    assert kinds["settlement"] >= 150
    assert kinds["city"] >= 15
    assert kinds["region"] >= 1
    assert sum(1 for e in places if not e.in_crimea) >= 25
    assert len(gaz.by_label("ORG")) >= 45
    assert len(gaz.by_label("PERSON")) >= 50
    assert len(gaz.by_label("NORP")) >= 5


def test_crimean_places_inside_box_with_names(gaz: Gazetteer) -> None:
    lat_min, lat_max, lon_min, lon_max = CRIMEA_BOX
    raions = {e.name for e in gaz.entries if e.kind == "raion"}
    for e in gaz.entries:
        if not e.in_crimea:
            continue
        assert e.lat is not None and e.lon is not None, e.id
        assert lat_min <= e.lat <= lat_max and lon_min <= e.lon <= lon_max, (e.id, e.lat, e.lon)
        assert e.names.get("uk") and e.names.get("ru"), e.id
        if e.raion is not None:
            assert e.raion in raions, (e.id, e.raion)


def test_places_outside_crimea_have_coordinates(gaz: Gazetteer) -> None:
    for e in gaz.entries:
        if e.id.startswith("place:"):
            assert e.lat is not None and -90 <= e.lat <= 90 and e.lon is not None and -180 <= e.lon <= 180


def test_aliases_unique_across_entries(gaz: Gazetteer) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for e in gaz.entries:
        for text in e.all_names:
            other = owner.setdefault(fold(text), e.id)
            if other != e.id:
                clashes.append((text, other, e.id))
    assert not clashes


def test_phonetic_key_collisions_are_known(gaz: Gazetteer) -> None:
    assert set(gaz.ambiguous_keys()) <= KNOWN_KEY_COLLISIONS


def test_every_name_round_trips(gaz: Gazetteer) -> None:
    wrong = [(t, e.id) for e in gaz.entries for t in e.all_names if (hit := gaz.lookup(t)) is None or hit.id != e.id]
    assert not wrong


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Bağçasaray", "place:bakhchysarai"),
        ("Бахчисарай", "place:bakhchysarai"),
        ("Bakhchisarai", "place:bakhchysarai"),
        ("Jemilev", "person:mustafa-dzhemilev"),
        ("Мустафа Джемилев", "person:mustafa-dzhemilev"),
        ("Mustafa Jemiliev", "person:mustafa-dzhemilev"),
        ("Krym SOS", "org:krym-sos"),
        ("КрымSOS", "org:krym-sos"),
        ("Center E", "org:center-e"),
        ("Centre “E”", "org:center-e"),
        ("Kiev", "place:kyiv"),
        ("Crimea", "place:crimea"),
        ("Qırım", "place:crimea"),
        ("Stroganovka", "place:strohonivka"),
        ("Kam'yanka", "place:kamianka"),
        ("Evpatoriya", "place:yevpatoria"),
        ("Zarechnoe", "place:zarichne"),
        ("Gvardeyskoye", "place:hvardiiske"),
        ("Krasnogvardeysky District", "place:krasnohvardiiske-raion"),
        ("Leninsky raion", "place:lenine-raion"),
        ("крымские татары", "group:crimean-tatars"),
        ("Mejlis", "org:mejlis"),
        ("Меджлис", "org:mejlis"),
    ],
)
def test_lookup(gaz: Gazetteer, query: str, expected: str) -> None:
    hit = gaz.lookup(query)
    assert hit is not None and hit.id == expected


def test_lookup_unknown(gaz: Gazetteer) -> None:
    assert gaz.lookup("Atlantis") is None
    assert gaz.lookup("") is None


def test_entry_fields(gaz: Gazetteer) -> None:
    bakh = gaz.get("place:bakhchysarai")
    assert bakh is not None
    assert bakh.label == "GPE" and bakh.kind == "city" and bakh.in_crimea
    assert bakh.raion == "Bakhchysarai Raion"
    assert bakh.names["crh"] == "Bağçasaray"
    assert bakh.lat == pytest.approx(44.754, abs=0.05) and bakh.lon == pytest.approx(33.861, abs=0.05)
    albat = gaz.lookup("Albat")
    assert albat is not None and albat.raion == "Bakhchysarai Raion"
    sivash = gaz.lookup("Sivash")
    assert sivash is not None and sivash.label == "LOC"
    kyiv = gaz.get("place:kyiv")
    assert kyiv is not None and kyiv.in_crimea is False and kyiv.kind == "city_abroad"
    jemilev = gaz.get("person:mustafa-dzhemilev")
    assert jemilev is not None and jemilev.label == "PERSON" and jemilev.role


def test_phrase_patterns_cover_every_name(gaz: Gazetteer) -> None:
    patterns = gaz.phrase_patterns()
    assert all(set(p) == {"label", "pattern", "id"} for p in patterns)
    covered = {(p["id"], p["pattern"]) for p in patterns}
    for e in gaz.entries:
        for text in (e.name, *e.aliases):
            assert (e.id, text) in covered
    labels = {p["label"] for p in patterns}
    assert labels == {"GPE", "LOC", "ORG", "PERSON", "NORP"}


def test_entity_ruler_tags_entities(gaz: Gazetteer) -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(gaz.phrase_patterns())  # type: ignore[attr-defined]
    doc = nlp("The Mejlis said FSB officers searched homes in Crimea and detained Nariman Dzhelyal.")
    found = {(ent.text, ent.label_, ent.ent_id_) for ent in doc.ents}
    assert ("Mejlis", "ORG", "org:mejlis") in found
    assert ("Crimea", "GPE", "place:crimea") in found
    assert ("FSB", "ORG", "org:fsb") in found
    assert ("Nariman Dzhelyal", "PERSON", "person:nariman-dzhelyal") in found


def test_gazetteer_rejects_duplicate_ids() -> None:
    entry = GazetteerEntry(id="place:x", name="X", label="GPE", kind="city")
    with pytest.raises(ValueError, match="duplicate"):
        Gazetteer([entry, entry])


def test_bad_data_reports_file_and_line(tmp_path: Path) -> None:
    for name in DATA_FILES:
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "places.jsonl").write_text('{"id": "place:a", "name": "A", "kind": "planet"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"places\.jsonl:1"):
        load_gazetteer(tmp_path)
