"""The query language shared by the CLI, the API, the web UI and alert rules.

Grammar (precedence NOT > AND > OR, adjacent terms are joined by an implicit AND)::

    query    := or_expr EOF
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*
    unary    := ("NOT" | "-") unary | primary
    primary  := "(" or_expr ")" | WORD | PREFIX* | "PHRASE" | FIELD:VALUE | FIELD:"QUOTED VALUE"

Fields: ``person:`` ``place:`` ``org:`` ``type:`` ``source:`` ``lang:`` ``date:`` ``has:`` ``modality:`` ``about:``.
``date:`` takes ``2024-01-01..2024-06-30`` (either end may be left open), a day ``2024-03-12`` or a month
``2024-03``. ``has:quote`` keeps articles with a quote; ``modality:any`` makes ``type:`` filters count every
mention of an event type (negated, denied, threatened ...) instead of actual events only. ``modality:`` is a
query-wide flag, so it may only appear as a top-level filter (not under OR or NOT). ``about:crimea`` keeps articles
the NLP judged to be about Crimea (not a search in Moscow, not a deportation from the US); ``about:any`` keeps every
article, and is how a view that filters on ``about:crimea`` by default (the incident list) is told not to.

Only ``AND``, ``OR`` and ``NOT`` in capitals are operators; ``and``/``or``/``not`` are ordinary words.

``parse(text)`` returns a :class:`Query` holding a tree of frozen dataclasses; each search backend translates
that tree with its own query constructors. A malformed query raises :class:`QuerySyntaxError`, which says what
was expected at which column.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Union

__all__ = [
    "ABOUT_VALUES",
    "ENTITY_FIELDS",
    "FILTER_FIELDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "About",
    "And",
    "DateRange",
    "Field",
    "Has",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "Query",
    "QuerySyntaxError",
    "Term",
    "mentions_about",
    "parse",
    "with_default_about",
]

MAX_LENGTH = 1000
MAX_DEPTH = 32
MIN_PREFIX_LENGTH = 2

ENTITY_FIELDS = ("person", "place", "org")
#: fields that become a ``Field(name, value)`` node
FILTER_FIELDS = (*ENTITY_FIELDS, "type", "source", "lang")
KNOWN_FIELDS = (*FILTER_FIELDS, "date", "has", "modality", "about")
ABOUT_VALUES = ("crimea", "any")
HAS_VALUES = ("quote",)
MODALITY_VALUES = ("any", "actual")


# --------------------------------------------------------------------------------------------------- the AST
@dataclass(frozen=True)
class Term:
    """A word, matched stemmed or exactly (case- and diacritics-insensitive)."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Words that must appear in this order (matched case- and diacritics-insensitively, not stemmed)."""

    text: str


@dataclass(frozen=True)
class Prefix:
    """``prefix*``: any word starting with ``text`` (case- and diacritics-insensitive)."""

    text: str


@dataclass(frozen=True)
class Field:
    """A keyword filter: person/place/org (resolved to entity ids), type, source or lang."""

    name: str
    value: str


@dataclass(frozen=True)
class DateRange:
    """Publication date between ``start`` and ``end`` inclusive (UTC days); ``None`` leaves that end open."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class Has:
    """``has:quote``."""

    what: str


@dataclass(frozen=True)
class About:
    """``about:crimea`` (articles about Crimea) or ``about:any`` (every article)."""

    what: str


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class MatchAll:
    """Every document (a query made only of flags, e.g. ``modality:any``)."""


Node = Union[Term, Phrase, Prefix, Field, DateRange, Has, About, And, Or, Not, MatchAll]  # noqa: UP007


@dataclass(frozen=True)
class Query:
    """A parsed query: the AST plus query-wide flags."""

    root: Node
    modality_any: bool = False
    text: str = field(default="", compare=False)


# -------------------------------------------------------------------------------------------------- errors
class QuerySyntaxError(ValueError):
    """A malformed query: ``message`` at ``position`` (0-based), with what was ``expected`` there."""

    def __init__(self, message: str, position: int, expected: str, query: str = "") -> None:
        self.message = message
        self.position = max(0, position)
        self.expected = expected
        self.query = query
        super().__init__(str(self))

    @property
    def column(self) -> int:
        """1-based column, as shown to people."""
        return self.position + 1

    def __str__(self) -> str:
        return f"{self.message} at column {self.column}: expected {self.expected}"

    def pointer(self) -> str:
        """The query on one line and a caret under the offending column on the next."""
        text = self.query.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        return f"{text}\n{' ' * self.position}^"


# --------------------------------------------------------------------------------------------------- lexer
@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PREFIX PHRASE FIELD AND OR NOT NEG LPAREN RPAREN EOF
    pos: int
    text: str = ""
    name: str = ""  # FIELD: field name
    quoted: bool = False  # FIELD: value was quoted


_SPECIAL = set('()"')
_FIELD_NAME = re.compile(r"[A-Za-z_]+")
_ALNUM = re.compile(r"[^\W_]", re.UNICODE)
_OPERATORS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR"}
_TERM_START = ("WORD", "PREFIX", "PHRASE", "FIELD", "NOT", "NEG", "LPAREN")
_WHAT = "a word, a \"phrase\", a field filter or '('"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)

    def error(self, message: str, pos: int, expected: str) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos, expected, self.text)

    def _quoted(self, start: int) -> tuple[str, int]:
        """Read a quoted string whose opening quote is at ``start``; returns (content, index after it)."""
        out: list[str] = []
        i = start + 1
        while i < self.n:
            c = self.text[i]
            if c == "\\" and i + 1 < self.n and self.text[i + 1] in '"\\':
                out.append(self.text[i + 1])
                i += 2
                continue
            if c == '"':
                return "".join(out), i + 1
            out.append(c)
            i += 1
        raise self.error("unclosed quote", start, "a closing '\"' for the quote opened here")

    def tokens(self) -> list[_Tok]:
        toks: list[_Tok] = []
        i, text, n = 0, self.text, self.n
        while i < n:
            c = text[i]
            if c.isspace():
                i += 1
                continue
            if c == "(":
                toks.append(_Tok("LPAREN", i))
                i += 1
                continue
            if c == ")":
                toks.append(_Tok("RPAREN", i))
                i += 1
                continue
            if c == '"':
                content, j = self._quoted(i)
                toks.append(_Tok("PHRASE", i, content))
                i = j
                continue
            if c in "-!" and (i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")"):
                raise self.error(f"'{c}' with nothing to exclude", i, f"{_WHAT} right after '{c}'")
            if c in "-!":
                toks.append(_Tok("NEG", i, c))
                i += 1
                continue
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            colon = word.find(":")
            if colon > 0 and _FIELD_NAME.fullmatch(word[:colon]):
                name = word[:colon]
                value = word[colon + 1 :]
                quoted = False
                if value == "" and j < n and text[j] == '"':
                    value, j = self._quoted(j)
                    quoted = True
                toks.append(_Tok("FIELD", i, value, name=name, quoted=quoted))
                i = j
                continue
            if word in _OPERATORS:
                toks.append(_Tok(_OPERATORS[word], i, word))
            elif word.endswith("*"):
                toks.append(_Tok("PREFIX", i, word))
            else:
                toks.append(_Tok("WORD", i, word))
            i = j
        toks.append(_Tok("EOF", n))
        return toks


# -------------------------------------------------------------------------------------------------- parser
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DATE_EXPECTED = "a date YYYY-MM-DD or YYYY-MM, or a range START..END with either end open"


class _Modality:
    """Placeholder for ``modality:`` while parsing; removed from the tree before it is returned."""

    def __init__(self, value: str, pos: int, depth: int) -> None:
        self.value = value
        self.pos = pos
        self.depth = depth


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = _Lexer(text)
        self.toks = self.lexer.tokens()
        self.i = 0
        self.depth = 0
        self.modality: list[_Modality] = []
        self.top_level_or = False

    # helpers
    def error(self, message: str, pos: int, expected: str) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos, expected, self.text)

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def advance(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"query nested more than {MAX_DEPTH} levels deep", pos, "a flatter query")

    # grammar
    def parse(self) -> Node:
        tok = self.tok
        if tok.kind == "EOF":
            raise self.error("empty query", 0, _WHAT)
        node = self.or_expr()
        tok = self.tok
        if tok.kind == "RPAREN":
            raise self.error("unmatched ')'", tok.pos, "an opening '(' before it, or the end of the query")
        if tok.kind != "EOF":  # pragma: no cover - every other token starts a unary or is an operator
            raise self.error(f"unexpected {tok.text!r}", tok.pos, "the end of the query")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.kind == "OR":
            op = self.advance()
            if self.tok.kind not in _TERM_START:
                raise self.error(f"nothing after {op.text}", self.tok.pos, f"{_WHAT} after {op.text}")
            items.append(self.and_expr())
        if len(items) == 1:
            return items[0]
        if self.depth == 0:
            self.top_level_or = True
        for item in items:
            if isinstance(item, _Modality):
                self.modality.append(item)
        return _flatten(Or, [MatchAll() if isinstance(item, _Modality) else item for item in items])

    def and_expr(self) -> Node:
        tok = self.tok
        if tok.kind in ("AND", "OR"):
            raise self.error(f"{tok.text} with nothing before it", tok.pos, f"{_WHAT} before {tok.text}")
        if tok.kind == "RPAREN":
            raise self.error("unexpected ')'", tok.pos, _WHAT)
        if tok.kind == "EOF":
            raise self.error("query ends too early", tok.pos, _WHAT)
        items = [self.unary()]
        while True:
            tok = self.tok
            if tok.kind == "AND":
                self.advance()
                if self.tok.kind not in _TERM_START:
                    raise self.error(f"nothing after {tok.text}", self.tok.pos, f"{_WHAT} after {tok.text}")
                items.append(self.unary())
            elif tok.kind in _TERM_START:
                items.append(self.unary())
            else:
                break
        real = [item for item in items if not isinstance(item, _Modality)]
        self.modality.extend(item for item in items if isinstance(item, _Modality))
        if not real:
            if len(items) == 1:
                return items[0]  # a lone modality: the caller decides whether that is allowed
            return MatchAll()
        if len(real) == 1:
            return real[0]
        return _flatten(And, real)

    def unary(self) -> Node:
        tok = self.tok
        if tok.kind in ("NOT", "NEG"):
            self.advance()
            nxt = self.tok
            if nxt.kind not in _TERM_START:
                raise self.error(f"nothing after {tok.text}", nxt.pos, f"{_WHAT} after {tok.text}")
            self.enter(tok.pos)
            item = self.unary()
            self.depth -= 1
            if isinstance(item, _Modality):
                raise self.error("modality: cannot be negated", item.pos, "modality: without NOT")
            if isinstance(item, MatchAll):
                raise self.error("NOT of everything matches nothing", tok.pos, f"{_WHAT} to exclude")
            return Not(item)
        return self.primary()

    def primary(self) -> Node:
        tok = self.advance()
        kind = tok.kind
        if kind == "LPAREN":
            self.enter(tok.pos)
            if self.tok.kind == "RPAREN":
                raise self.error("empty parentheses", self.tok.pos, f"{_WHAT} inside '()'")
            node = self.or_expr()
            self.depth -= 1
            close = self.tok
            if close.kind != "RPAREN":
                raise self.error(f"'(' at column {tok.pos + 1} is not closed", close.pos, "')' to close it")
            self.advance()
            return node
        if kind == "WORD":
            self.check_word(tok.text, tok.pos)
            if "*" in tok.text:
                star = tok.pos + tok.text.index("*")
                raise self.error("'*' inside a word", star, "'*' only at the end of a word (prefix*)")
            return Term(tok.text)
        if kind == "PREFIX":
            stem = tok.text[:-1]
            if "*" in stem:
                star = tok.pos + stem.index("*")
                raise self.error("'*' inside a word", star, "'*' only at the end of a word (prefix*)")
            if not stem or not all(ch.isalnum() for ch in stem):
                raise self.error(
                    "a prefix must be letters or digits", tok.pos, "only letters or digits before '*'"
                )
            if len(stem) < MIN_PREFIX_LENGTH:
                raise self.error(
                    "prefix too short", tok.pos, f"at least {MIN_PREFIX_LENGTH} letters or digits before '*'"
                )
            return Prefix(stem)
        if kind == "PHRASE":
            if not tok.text.strip():
                raise self.error("empty phrase", tok.pos, "words between the quotes")
            self.check_word(tok.text, tok.pos)
            return Phrase(" ".join(tok.text.split()))
        if kind == "FIELD":
            return self.field(tok)
        # operators and EOF are handled by the callers; this is defensive
        raise self.error(f"unexpected {tok.text or kind}", tok.pos, _WHAT)  # pragma: no cover

    def check_word(self, text: str, pos: int) -> None:
        if not _ALNUM.search(text):
            raise self.error(f"{text!r} has no letters or digits", pos, "a word with letters or digits")

    def field(self, tok: _Tok) -> Node | _Modality:
        name = tok.name.lower()
        value_pos = tok.pos + len(tok.name) + 1
        if name not in KNOWN_FIELDS:
            raise self.error(
                f"unknown field {tok.name!r}", tok.pos, "one of " + ", ".join(f"{f}:" for f in KNOWN_FIELDS)
            )
        value = " ".join(tok.text.split()) if tok.quoted else tok.text
        if not value:
            raise self.error(f"empty value for {name}:", value_pos, f"a value after '{name}:'")
        if name == "date":
            return self.date(value, value_pos)
        if name == "has":
            if value.lower() not in HAS_VALUES:
                raise self.error(f"unknown has: value {value!r}", value_pos, "has:quote")
            return Has(value.lower())
        if name == "about":
            if value.lower() not in ABOUT_VALUES:
                raise self.error(f"unknown about: value {value!r}", value_pos, "about:crimea or about:any")
            return About(value.lower())
        if name == "modality":
            if value.lower() not in MODALITY_VALUES:
                raise self.error(f"unknown modality {value!r}", value_pos, "modality:any or modality:actual")
            return _Modality(value.lower(), tok.pos, self.depth)
        if name == "type":
            value = re.sub(r"[\s-]+", "_", value.strip().lower())
        elif name == "lang":
            value = value.strip().lower()
        if not _ALNUM.search(value):
            raise self.error(f"{name}: value has no letters or digits", value_pos, f"a value after '{name}:'")
        return Field(name, value)

    def date(self, value: str, pos: int) -> DateRange:
        if ".." in value:
            left, _, right = value.partition("..")
            if not left and not right:
                raise self.error("date range with no ends", pos, _DATE_EXPECTED)
            start = self.one_date(left, pos, end=False) if left else None
            end = self.one_date(right, pos + len(left) + 2, end=True) if right else None
            if start is not None and end is not None and end < start:
                raise self.error("date range ends before it starts", pos, "an end date on or after the start")
            return DateRange(start, end)
        return DateRange(self.one_date(value, pos, end=False), self.one_date(value, pos, end=True))

    def one_date(self, value: str, pos: int, *, end: bool) -> date:
        try:
            m = _DAY.fullmatch(value)
            if m:
                return date(int(m[1]), int(m[2]), int(m[3]))
            m = _MONTH.fullmatch(value)
            if m:
                year, month = int(m[1]), int(m[2])
                day = calendar.monthrange(year, month)[1] if end else 1
                return date(year, month, day)
        except ValueError:
            raise self.error(f"invalid date {value!r}", pos, _DATE_EXPECTED) from None
        raise self.error(f"invalid date {value!r}", pos, _DATE_EXPECTED)


def _flatten(kind: type, items: list) -> Node:
    out: list[Node] = []
    for item in items:
        if isinstance(item, kind):
            out.extend(item.items)
        else:
            out.append(item)
    return kind(tuple(out))


def parse(text: str) -> Query:
    """Parse ``text`` into a :class:`Query`; raises :class:`QuerySyntaxError` when it is malformed."""
    if not isinstance(text, str):
        raise TypeError("query text must be a str")
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(
            f"query longer than {MAX_LENGTH} characters", MAX_LENGTH, "a shorter query", text[:MAX_LENGTH]
        )
    parser = _Parser(text)
    root = parser.parse()
    if isinstance(root, _Modality):
        parser.modality.append(root)
        root = MatchAll()
    modality_any = False
    for flag in parser.modality:
        if flag.depth > 0 or parser.top_level_or:
            raise QuerySyntaxError(
                "modality: applies to the whole query",
                flag.pos,
                "modality: as a top-level filter (not inside parentheses, NOT or OR)",
                text,
            )
        modality_any = flag.value == "any"
    return Query(root=root, modality_any=modality_any, text=text)


def mentions_about(node: Node) -> bool:
    """Does the query say anything about relevance (``about:crimea`` / ``about:any``) anywhere?"""
    if isinstance(node, About):
        return True
    if isinstance(node, And | Or):
        return any(mentions_about(item) for item in node.items)
    if isinstance(node, Not):
        return mentions_about(node.item)
    return False


def with_default_about(query: Query | None, what: str = "crimea") -> Query:
    """``query`` restricted to ``about:{what}`` unless it says ``about:`` itself (a view's default filter)."""
    if query is None:
        return Query(root=About(what), text=f"about:{what}")
    if mentions_about(query.root):
        return query
    root = query.root
    items = root.items if isinstance(root, And) else (root,)
    if isinstance(root, MatchAll):
        items = ()
    return Query(root=And((*items, About(what))) if items else About(what), modality_any=query.modality_any,
                 text=query.text)
