"""The query language: grammar, precedence, errors with positions, and property tests."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import tantivy  # noqa: E402

from indexer.query import (  # noqa: E402
    FILTER_FIELDS,
    MAX_DEPTH,
    MAX_LENGTH,
    About,
    And,
    DateRange,
    Field,
    Has,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    QuerySyntaxError,
    Term,
    parse,
)
from indexer.search.elasticsearch_backend import to_es_query  # noqa: E402
from indexer.search.resolver import KeyResolver  # noqa: E402
from indexer.search.tantivy_backend import TantivyBackend  # noqa: E402

T = Term


def root(text: str):
    return parse(text).root


# ------------------------------------------------------------------------------------------------ grammar
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("crimea", T("crimea")),
        ("  crimea  ", T("crimea")),
        ("fsb searches", And((T("fsb"), T("searches")))),
        ("fsb AND searches", And((T("fsb"), T("searches")))),
        ("fsb && searches", And((T("fsb"), T("searches")))),
        ("fsb OR searches", Or((T("fsb"), T("searches")))),
        ("fsb || searches", Or((T("fsb"), T("searches")))),
        ("a OR b OR c", Or((T("a"), T("b"), T("c")))),
        ("a b c", And((T("a"), T("b"), T("c")))),
        ('"mass searches"', Phrase("mass searches")),
        ('"  mass   searches "', Phrase("mass searches")),
        ('"say \\"no\\""', Phrase('say "no"')),
        ("deport*", Prefix("deport")),
        ("-fsb", Not(T("fsb"))),
        ("!fsb", Not(T("fsb"))),
        ("NOT fsb", Not(T("fsb"))),
        ("NOT NOT fsb", Not(Not(T("fsb")))),
        ("Rostov-on-Don", T("Rostov-on-Don")),
        ("10:30", T("10:30")),
        ("and or not", And((T("and"), T("or"), T("not")))),  # lower case: plain words
        ("person:Jemilev", Field("person", "Jemilev")),
        ('person:"Mustafa  Jemilev"', Field("person", "Mustafa Jemilev")),
        ("PLACE:Yalta", Field("place", "Yalta")),
        ("org:FSB", Field("org", "FSB")),
        ("source:qha", Field("source", "qha")),
        ("lang:EN", Field("lang", "en")),
        ("type:Property-Seizure", Field("type", "property_seizure")),
        ('type:"property seizure"', Field("type", "property_seizure")),
        ("has:quote", Has("quote")),
        ("about:crimea", About("crimea")),
        ("about:ANY", About("any")),
        ("date:2024-01-01..2024-06-30", DateRange(date(2024, 1, 1), date(2024, 6, 30))),
        ("date:..2024-06-30", DateRange(None, date(2024, 6, 30))),
        ("date:2024-01-01..", DateRange(date(2024, 1, 1), None)),
        ("date:2024-03-12", DateRange(date(2024, 3, 12), date(2024, 3, 12))),
        ("date:2024-02", DateRange(date(2024, 2, 1), date(2024, 2, 29))),
        ("date:2023-02", DateRange(date(2023, 2, 1), date(2023, 2, 28))),
        ("date:2024-01..2024-03", DateRange(date(2024, 1, 1), date(2024, 3, 31))),
        ('date:"2024-01-01..2024-01-02"', DateRange(date(2024, 1, 1), date(2024, 1, 2))),
        ("date:2024-03-12..2024-03-12", DateRange(date(2024, 3, 12), date(2024, 3, 12))),
        ("((fsb))", T("fsb")),
        ("(a OR b) c", And((Or((T("a"), T("b"))), T("c")))),
        ("(a b) (c d)", And((T("a"), T("b"), T("c"), T("d")))),
        ("modality:any", MatchAll()),
    ],
)
def test_grammar(text, expected):
    assert root(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NOT binds tighter than AND, AND tighter than OR
        ("a b OR c", Or((And((T("a"), T("b"))), T("c")))),
        ("a OR b c", Or((T("a"), And((T("b"), T("c")))))),
        ("a AND b OR c AND d", Or((And((T("a"), T("b"))), And((T("c"), T("d")))))),
        ("NOT a b", And((Not(T("a")), T("b")))),
        ("NOT a OR b", Or((Not(T("a")), T("b")))),
        ("a OR NOT b c", Or((T("a"), And((Not(T("b")), T("c")))))),
        ("-a -b", And((Not(T("a")), Not(T("b"))))),
        ("NOT (a OR b)", Not(Or((T("a"), T("b"))))),
        ("a (b OR c)", And((T("a"), Or((T("b"), T("c")))))),
        ('-"x y" zo*', And((Not(Phrase("x y")), Prefix("zo")))),
        ("a OR b OR c d", Or((T("a"), T("b"), And((T("c"), T("d")))))),
    ],
)
def test_precedence(text, expected):
    assert root(text) == expected


def test_query_flags_and_text():
    q = parse("type:search modality:any fsb")
    assert q == Query(And((Field("type", "search"), T("fsb"))), modality_any=True)
    assert q.text == "type:search modality:any fsb"
    assert parse("type:search").modality_any is False
    assert parse("type:search modality:actual").modality_any is False
    assert parse("modality:any type:search").root == Field("type", "search")


def test_ast_is_frozen_and_hashable():
    q = parse('a "b c" do* person:x date:2024-01 has:quote -e OR f')
    with pytest.raises(AttributeError):
        q.root.items = ()  # type: ignore[misc]
    assert hash(q) == hash(parse(q.text))


def test_depth_limit_allows_max_depth():
    assert root("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == T("a")
    assert parse("NOT " * 2 + "a").root == Not(Not(T("a")))


def test_length_limit_allows_max_length():
    text = ("ab " * (MAX_LENGTH // 3))[: MAX_LENGTH - 1] + "c"
    assert len(text) == MAX_LENGTH
    parse(text)


# ------------------------------------------------------------------------------------------------- errors
ERRORS = [
    # (query, 0-based position, words expected in the message)
    ("", 0, "empty query"),
    ("   ", 0, "empty query"),
    ("a AND", 5, "after AND"),
    ("a OR", 4, "after OR"),
    ("a AND OR b", 6, "after AND"),
    ("OR a", 0, "OR with nothing before it"),
    ("AND", 0, "AND with nothing before it"),
    ("NOT", 3, "after NOT"),
    ("a NOT", 5, "after NOT"),
    ("-", 0, "nothing to exclude"),
    ("a - b", 2, "nothing to exclude"),
    ("(a", 2, "'(' at column 1 is not closed"),
    ("((a) b", 6, "'(' at column 1 is not closed"),
    ("a)", 1, "unmatched ')'"),
    ("a))", 1, "unmatched ')'"),
    (")", 0, "unexpected ')'"),
    ("()", 1, "empty parentheses"),
    ("a (", 3, "query ends too early"),
    ('"mass searches', 0, "unclosed quote"),
    ('a "b" "c', 6, "unclosed quote"),
    ('person:"Mustafa', 7, "unclosed quote"),
    ('""', 0, "empty phrase"),
    ('"  "', 0, "empty phrase"),
    ("foo:bar", 0, "unknown field 'foo'"),
    ("a persn:x", 2, "unknown field 'persn'"),
    ("person:", 7, "empty value"),
    ('person:""', 7, "empty value"),
    ("person:-", 7, "no letters or digits"),
    ("date:2024-13-01", 5, "invalid date"),
    ("date:2024-02-30", 5, "invalid date"),
    ("date:2024-1-1", 5, "invalid date"),
    ("date:yesterday", 5, "invalid date"),
    ("date:2024", 5, "invalid date"),
    ("date:2024-01-01..2024-13-01", 17, "invalid date"),
    ("date:..", 5, "no ends"),
    ("date:2024-06-01..2024-01-01", 5, "ends before it starts"),
    ("date:2024-06..2024-05", 5, "ends before it starts"),
    ("has:video", 4, "unknown has: value"),
    ("modality:maybe", 9, "unknown modality"),
    ("NOT modality:any", 4, "cannot be negated"),
    ("a OR modality:any", 5, "whole query"),
    ("a OR b modality:any", 7, "whole query"),
    ("(a modality:any)", 3, "whole query"),
    ("s*", 0, "prefix too short"),
    ("*", 0, "letters or digits"),
    ("a-b*", 0, "letters or digits"),
    ("se*rch", 2, "'*' inside a word"),
    ("se**", 2, "'*' inside a word"),
    ("&", 0, "no letters or digits"),
    ("a ... b", 2, "no letters or digits"),
    ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, "nested more than"),
    ("NOT " * (MAX_DEPTH + 1) + "a", 4 * MAX_DEPTH, "nested more than"),
    ("a" * (MAX_LENGTH + 1), MAX_LENGTH, "longer than"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS, ids=[e[0][:40] or "empty" for e in ERRORS])
def test_errors(text, position, message):
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    err = info.value
    assert err.position == position
    assert message in err.message
    assert err.expected
    line = str(err)
    assert "\n" not in line
    assert f"at column {position + 1}: expected " in line
    assert err.expected in line


def test_error_pointer():
    with pytest.raises(QuerySyntaxError) as info:
        parse("fsb AND (searches OR")
    err = info.value
    assert str(err).startswith("nothing after OR at column 21: expected ")
    assert err.pointer() == "fsb AND (searches OR\n" + " " * 20 + "^"
    with pytest.raises(QuerySyntaxError) as info:
        parse("date:2024-06-01..2024-01-01")
    assert info.value.pointer().splitlines()[1] == "     ^"


def test_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse("(")


def test_non_string_input():
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ property tests
QUERYISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "AND", "OR", "NOT", "&&", "||", "(", ")", '"', "-", "!", "*", ":", "..", " ", "  ",
                "person:", "place:", "org:", "type:", "source:", "lang:", "date:", "has:", "modality:",
                "foo:",
                "quote", "any", "2024-01-01", "2024-02", "2024-13-40", "fsb", "Bağçasaray", "de", "\\", "\t",
            ]
        ),
        st.text(max_size=4),
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), QUERYISH))
def test_parser_never_crashes(text):
    try:
        q = parse(text)
    except QuerySyntaxError as err:
        assert 0 <= err.position <= len(text)
        assert "\n" not in str(err)
        err.pointer()
    else:
        assert isinstance(q, Query)


_word = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_leaf = st.one_of(
    st.builds(Term, _word),
    st.builds(Phrase, _word),
    st.builds(Prefix, _word),
    st.builds(Field, st.sampled_from(FILTER_FIELDS), _word),
    st.builds(
        DateRange,
        st.one_of(st.none(), st.dates()),
        st.one_of(st.none(), st.dates()),
    ),
    st.builds(Has, st.just("quote")),
    st.just(MatchAll()),
)
AST = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(And, st.lists(inner, min_size=2, max_size=4).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=4).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=12,
)
QUERIES = st.builds(Query, AST, st.booleans())


@pytest.fixture(scope="module")
def tantivy_backend(tmp_path_factory):
    return TantivyBackend(tmp_path_factory.mktemp("prop-index"), KeyResolver())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_tantivy_gets_query_objects(tantivy_backend, query):
    tq = tantivy_backend.to_tantivy(query)
    assert isinstance(tq, tantivy.Query)
    tantivy_backend._index.searcher().search(tq, 1)  # and tantivy accepts it


# every key that may appear in a translated ES query; user text is never a key
ES_CLAUSES = {"term", "terms", "match", "match_phrase", "prefix", "range"}
ES_KEYS = ES_CLAUSES | {
    "bool", "must", "must_not", "should", "filter", "minimum_should_match", "match_all", "match_none",
    "exists", "field", "query", "value", "boost", "gte", "lt", "lte", "format", "time_zone",
    "title", "body", "quotes", "title.folded", "body.folded", "quotes.folded",
    "persons", "places", "orgs", "event_types", "event_types_any", "source", "lang", "has_quote",
    "published_at",
}  # fmt: skip
VALUE_KEYS = {"query", "value", "gte", "lt", "lte"}


def _strings_outside_clauses(node, path=()):
    """Yield (path, string) for every string value not inside a term/terms/match/match_phrase/prefix/range."""
    if isinstance(node, dict):
        for key, value in node.items():
            assert key in ES_KEYS, f"unexpected key {key!r} at {path}"
            yield from _strings_outside_clauses(value, (*path, key))
    elif isinstance(node, list):
        for item in node:
            yield from _strings_outside_clauses(item, path)
    elif isinstance(node, str):
        if path[-2:] == ("exists", "field"):
            assert node == "published_at"  # our own field name, not user text
        elif not ES_CLAUSES & set(path):
            yield path, node
        else:
            last = path[-1]
            clause_pos = max(i for i, k in enumerate(path) if k in ES_CLAUSES)
            clause = path[clause_pos]
            if clause == "terms":
                assert len(path) == clause_pos + 2, path  # {"terms": {"persons": [ids]}}
            elif clause == "range":
                assert last in VALUE_KEYS | {"format", "time_zone"}, path
            else:
                assert last in VALUE_KEYS, path


def _user_values(node) -> list[str]:
    if isinstance(node, (Term, Phrase, Prefix)):
        return [node.text]
    if isinstance(node, Field):
        return [node.value]
    if isinstance(node, (And, Or)):
        return [v for item in node.items for v in _user_values(item)]
    if isinstance(node, Not):
        return _user_values(node.item)
    return []


@settings(max_examples=300, deadline=None)
@given(QUERIES)
def test_es_gets_dicts_with_values_only_inside_clauses(query):
    es = to_es_query(query, KeyResolver())
    assert isinstance(es, dict)
    dumped = json.dumps(es)
    assert "query_string" not in dumped
    stray = list(_strings_outside_clauses(es))
    assert stray == [], stray
    # user text only ever becomes string values (of clauses, as checked above), never keys
    keys: set[str] = set()
    values: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            for k, v in node.items():
                keys.add(k)
                collect(v)
        elif isinstance(node, list):
            for item in node:
                collect(item)
        elif isinstance(node, str):
            values.add(node)

    collect(es)
    assert keys <= ES_KEYS
    for node in _leaves(query.root):
        if isinstance(node, (Term, Phrase)) or (
            isinstance(node, Field) and node.name in ("source", "lang", "type")
        ):
            assert _user_values(node)[0] in values


def _leaves(node):
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from _leaves(item)
    elif isinstance(node, Not):
        yield from _leaves(node.item)
    else:
        yield node


def test_hostile_text_stays_a_value():
    q = parse('"query_string OR *:*" source:query_string')
    es = to_es_query(q, KeyResolver())
    assert list(_strings_outside_clauses(es)) == []
    text = json.dumps(es)
    assert '"query_string":' not in text.replace('\\"query_string\\":', "")


def test_about_filter_and_the_views_default():
    from indexer.query import with_default_about

    with pytest.raises(QuerySyntaxError, match="unknown about: value"):
        parse("about:moscow")
    q = with_default_about(parse("type:search person:x"))
    assert q.root == And((Field("type", "search"), Field("person", "x"), About("crimea")))
    assert with_default_about(parse("type:search about:any")).root == parse("type:search about:any").root
    assert with_default_about(parse("NOT about:crimea")).root == Not(About("crimea"))
    assert with_default_about(parse("modality:any")).root == About("crimea")
    assert with_default_about(None).root == About("crimea")


def test_about_in_elasticsearch():
    assert to_es_query(parse("about:any"), KeyResolver()) == {"match_all": {}}
    assert "about_crimea" in json.dumps(to_es_query(parse("deport* about:crimea"), KeyResolver()))
