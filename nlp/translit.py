"""Transliteration-aware normalisation of names (persons, places, organisations).

Pure Python, no spaCy.  Three layers:

* :func:`fold` -- display-safe normalisation: case-fold, strip Latin diacritics and stress marks, unify
  apostrophes, quotes, dashes and whitespace.  Cyrillic letters stay Cyrillic (``й``, ``ї`` are letters,
  not accents; ``ё`` folds to ``е`` as in ordinary Russian spelling).
* :func:`to_latin` -- a simple, lossy Latin transliteration of Russian and Ukrainian Cyrillic and of
  Crimean Tatar Latin (``ç ş ğ ı ñ ö ü â q`` and ``c`` = *dzh*).
* :func:`name_key` / :func:`key_tokens` -- a phonetic *matching key*: two spellings of the same name in
  English, Russian, Ukrainian or Crimean Tatar transliteration should get the same key, different names
  (and different gender forms) should not.

Key rules, applied per token after ``to_latin`` + ``fold``:

====================================  ===================  ==================================================
rule                                  example              why
====================================  ===================  ==================================================
apostrophes, ``ь``, ``ъ`` dropped     Kam'yanka, Sevastopol' Ukrainian apostrophe / soft sign are not sounds
``dzh`` ``dj`` ``j`` ``c`` -> ``J``   Dzhemilev=Jemilev=Cemilev  English j, Crimean Tatar/Turkish c
``j`` between vowels / word-final     Alijev = Aliyev      Polish/German-style ``j`` is the glide й
after a vowel -> glide ``y``
``kh`` ``gh`` ``h`` ``g`` -> ``G``    Bakhchi=Bağça, Chiygoz=Chiyhoz  ru г=g, uk г=h, х=kh, crh ğ
``ch`` ``tch`` -> ``C``;              Chubarov = Чубаров   one symbol per sound
``sh`` -> ``S``; ``zh`` -> ``Z``
``q`` -> k, ``w`` -> v, ``x`` -> ks,  Qarasuvbazar         Crimean Tatar q, English spellings
``ck`` -> k, ``ph`` -> f
double letters collapsed              Dzhankoi/Djankoy, Massandra  doubled consonants are spelling only
vowel/glide run at word START ->      Yevpatoria=Evpatoria, Yuriy=Iurii  initial ye-/e-, yu-/iu-
its first full vowel (a e o u)
vowel/glide run at word END ->        Aliyev != Aliyeva; -oye=-oe=-e;  gender and adjective endings count,
its last full vowel (a e o u)         Zarechnoye=Zarechnoe  glides (-ye, -iy, -yi, -ay) do not
vowel/glide run INSIDE a word -> ``V``  Aliyev=Aliev=Алиев;  interior vowels are where ru/uk/crh/en
(keeps the syllable count)            Musayeva=Мусаева     spellings differ (и/і/ы/y, е/є/ie, я/ia/ya, ё/yo)
``strict=True`` (people): its first   Dzhemilev!=Dzhemalov  a front vowel never becomes a back one: two
back vowel (a o u), else ``i``                             surnames that differ in a vowel are two people
a run of only i/y counts as ``i``     Saky -> ``sVki``     a final -y/-i/-iy/-yi is one vowel
====================================  ===================  ==================================================

Known limits (handled by aliases in the gazetteer data, not by more rules): Kyiv/Kiev, Russian ``-o`` vs
Ukrainian ``-e`` endings (Lenino/Lenine), ``Centre``/``Center``, Crimean Tatar vs Russian syllable counts
(Qırım/Krym).  The key is for matching, never for display.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "key_tokens", "name_key", "to_latin"]

# --- fold --------------------------------------------------------------------------------------------

_APOSTROPHES = "'’‘‛`´ʹʻʼʽˈ′＇"
_QUOTES = '"“”„‟«»‹›〝〞＂'
_DASHES = "‐‑‒–—―−﹘﹣－"
_KEEP_MARKS = {
    # base letter + combining mark that form a separate letter we keep in Cyrillic text
    ("и", "\u0306"),  # й
    ("і", "\u0308"),  # ї
    ("у", "\u0306"),  # ў (Belarusian)
}
_SPECIAL_FOLD = {"ı": "i", "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ə": "e", "ß": "ss"}
_WS_RE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case-fold, strip Latin diacritics and stress marks, normalise apostrophes/quotes/dashes/spaces."""
    if not text:
        return ""
    out: list[str] = []
    for ch in text:
        if ch in _APOSTROPHES:
            out.append("'")
        elif ch in _QUOTES:
            out.append('"')
        elif ch in _DASHES:
            out.append("-")
        else:
            out.append(ch)
    s = "".join(out).casefold()
    s = "".join(_SPECIAL_FOLD.get(ch, ch) for ch in s)
    decomposed = unicodedata.normalize("NFD", s)
    kept: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            if kept and (kept[-1], ch) in _KEEP_MARKS:
                kept.append(ch)
            continue
        kept.append(ch)
    s = unicodedata.normalize("NFC", "".join(kept))
    return _WS_RE.sub(" ", s).strip()


# --- to_latin ----------------------------------------------------------------------------------------

_CYR_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ў": "u",
}  # fmt: skip
_CYR_UKRAINIAN = {"г": "h", "и": "y"}
_UKRAINIAN_ONLY = frozenset("іїєґ")
_RUSSIAN_ONLY = frozenset("ыэъё")

_CRH_LATIN = {
    "ç": "ch", "ş": "sh", "ğ": "gh", "ı": "y", "ñ": "n", "ö": "o", "ü": "u", "â": "a", "q": "k", "c": "dzh",
}  # fmt: skip
_CRH_MARKERS = frozenset("çşğıñöüâ")
_OTHER_LATIN = {"č": "ch", "ć": "ch", "š": "sh", "ś": "sh", "ž": "zh", "ź": "z", "ł": "l", "đ": "d", "ø": "o"}
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _is_crimean_tatar_word(word: str) -> bool:
    low = word.casefold()
    if any(ch in _CRH_MARKERS for ch in low):
        return True
    # Crimean Tatar q (Qırım, Aqmescit, Qarasuvbazar); English q is nearly always followed by u.
    return any(ch == "q" and low[i + 1 : i + 2] != "u" for i, ch in enumerate(low))


def _case_like(src: str, out: str, word_upper: bool) -> str:
    if not out or not src.isupper():
        return out
    return out.upper() if word_upper else out[0].upper() + out[1:]


def _latin_word(word: str) -> str:
    low = word.casefold()
    has_cyr = any("\u0400" <= ch <= "\u04ff" for ch in low)
    table: dict[str, str] = {}
    if has_cyr:
        table = dict(_CYR_COMMON)
        if any(ch in _UKRAINIAN_ONLY for ch in low) and not any(ch in _RUSSIAN_ONLY for ch in low):
            table.update(_CYR_UKRAINIAN)
    table.update(_OTHER_LATIN)
    if _is_crimean_tatar_word(word):
        table.update(_CRH_LATIN)
    word_upper = len(word) > 1 and word.isupper()
    out: list[str] = []
    for ch in word:
        lo = ch.lower()
        rep = table.get(lo)
        out.append(ch if rep is None else _case_like(ch, rep, word_upper))
    s = "".join(out)
    # strip any remaining diacritics (é, à, ...) from Latin letters
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", s)


def to_latin(text: str) -> str:
    """Transliterate Cyrillic (Russian/Ukrainian) and Crimean Tatar Latin to plain Latin letters.

    Case is kept.  Ukrainian is recognised per word by і/ї/є/ґ (then г -> h, и -> y).  Crimean Tatar is
    recognised per word by one of ç ş ğ ı ñ ö ü â or a q not followed by u (then c -> dzh, q -> k);
    ``Cemilev`` alone is left as is (:func:`name_key` treats c as dzh anyway).
    """
    if not text:
        return ""
    return _WORD_RE.sub(lambda m: _latin_word(m.group(0)), text)


# --- name_key ----------------------------------------------------------------------------------------

_DIGRAPH_RE = re.compile(r"dzh|dj|tch|shch|kh|gh|zh|ch|sh|ck|ph|[jcghqwx]")
_DIGRAPHS = {
    "dzh": "J", "dj": "J", "tch": "C", "shch": "SC", "kh": "G", "gh": "G", "zh": "Z", "ch": "C", "sh": "S",
    "ck": "k", "ph": "f", "c": "J", "j": "J", "g": "G", "h": "G", "q": "k", "w": "v", "x": "ks",
}  # fmt: skip
_VOWELS = frozenset("aeiouy")
_FULL_VOWELS = "aeou"
_BACK_VOWELS = "aou"
_TOKEN_SPLIT_RE = re.compile(r"[^0-9a-z]+")
_VOWEL_RUN_RE = re.compile(r"[aeiouy]+")
_DOUBLE_RE = re.compile(r"(.)\1+")


def _mark_glide_j(token: str) -> str:
    """Turn ``j`` into the glide ``y`` between vowels or word-finally after a vowel (Alijev, Andrij)."""
    chars = list(token)
    for i, ch in enumerate(chars):
        if ch != "j" or i == 0 or chars[i - 1] not in _VOWELS:
            continue
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if nxt == "" or nxt in _VOWELS:
            chars[i] = "y"
    return "".join(chars)


def _reduce_run(run: str, position: str, strict: bool = False) -> str:
    full = [ch for ch in run if ch in _FULL_VOWELS]
    if position == "inner":
        if not strict:
            return "V"
        back = [ch for ch in run if ch in _BACK_VOWELS]
        return back[0] if back else "i"
    if not full:
        return "i"
    return full[0] if position == "start" else full[-1]


def _token_key(token: str, strict: bool = False) -> str:
    token = _mark_glide_j(token)
    token = _DIGRAPH_RE.sub(lambda m: _DIGRAPHS[m.group(0)], token)
    token = _DOUBLE_RE.sub(r"\1", token)

    def vowel_run(m: re.Match[str]) -> str:
        if m.start() == 0:
            return _reduce_run(m.group(0), "start")
        if m.end() == len(token):
            return _reduce_run(m.group(0), "end")
        return _reduce_run(m.group(0), "inner", strict)

    token = _VOWEL_RUN_RE.sub(vowel_run, token)
    return _DOUBLE_RE.sub(r"\1", token)


def key_tokens(text: str, strict: bool = False) -> tuple[str, ...]:
    """Per-token matching keys (for matching a surname alone, or token overlap); ``strict`` keeps front and back
    interior vowels apart, for people's names."""
    if not text:
        return ()
    s = fold(to_latin(text)).replace("'", "")
    return tuple(_token_key(tok, strict) for tok in _TOKEN_SPLIT_RE.split(s) if tok)


def name_key(text: str, strict: bool = False) -> str:
    """Phonetic matching key of a whole name: tokens keyed one by one, joined by single spaces."""
    return " ".join(key_tokens(text, strict))
