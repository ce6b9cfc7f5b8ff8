"""Incidents for other tools: flat rows with their review, as CSV or JSON Lines, and a CSV for HURIDOCS Uwazi.

The columns (CSV and JSON Lines alike):

==================  ================================================================================
id                  the incident id (``inc-...``)
status              review status: new, confirmed, rejected
reason              why it was rejected (duplicate, not_an_incident, not_in_crimea, wrong_type, other)
type                incident type (search, detention, custody, ...)
event_date          when it happened: YYYY-MM-DD, YYYY-MM or YYYY; empty when unknown
date_precision      day, week, month or year
place               settlement or region; place_id its gazetteer id; lat, lon its coordinates
victims             named victims, separated by "; "; count: how many people, if reported
perpetrator         the agency or unit named as responsible
legal_article       the criminal-code article an analyst recorded
notes               the analyst's notes
reviewed_by/_at     who reviewed it and when
first_reported_at   the first and last report; article_count, source_count: independent reports
sources             the reporting articles' URLs, separated by " "
==================  ================================================================================

The Uwazi CSV follows Uwazi's CSV import: a ``title`` column, then one column per template property (lower-case
names without spaces), several values in one cell separated by ``|``, and a geolocation as ``lat|lon``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from indexer import reviews
from indexer.store import Store

COLUMNS = ("id", "status", "reason", "type", "event_date", "date_precision", "place", "place_id", "lat", "lon",
           "victims", "count", "perpetrator", "legal_article", "notes", "reviewed_by", "reviewed_at",
           "first_reported_at", "last_reported_at", "article_count", "source_count", "sources")
UWAZI_COLUMNS = ("title", "incident_id", "review_status", "incident_type", "event_date", "place", "geolocation",
                 "victims", "victim_count", "perpetrator", "legal_article", "sources", "notes")


def incident_rows(store: Store, statuses: Iterable[str] | None = None, since: str | None = None,
                  until: str | None = None) -> Iterator[dict[str, Any]]:
    """Active incidents (optionally of these review statuses, happened or reported in [since, until]), oldest
    first."""
    wanted = set(statuses or ())
    rows = sorted(store.list_incidents(since=since),
                  key=lambda r: (r["event_date"] or (r["first_reported_at"] or "")[:10], r["seq"]))
    status_of = reviews.statuses(store, [r["id"] for r in rows])
    for row in rows:
        if wanted and status_of[row["id"]] not in wanted:
            continue
        day = row["event_date"] or (row["first_reported_at"] or "")[:10]
        if until and day > until:
            continue
        review = reviews.review(store, row["id"])
        victims = [v.get("name") or v.get("text") or "" for v in json.loads(row["victims_json"] or "[]")]
        yield {
            "id": row["id"], "status": review["status"], "reason": review["reason"], "type": row["type"],
            "event_date": row["event_date"], "date_precision": row["date_precision"], "place": row["place_text"],
            "place_id": row["place_id"], "lat": row["lat"], "lon": row["lon"], "victims": [v for v in victims if v],
            "count": row["count"], "perpetrator": row["perpetrator_text"], "legal_article": review["legal_article"],
            "notes": review["notes"], "reviewed_by": review["reviewed_by"], "reviewed_at": review["reviewed_at"],
            "first_reported_at": row["first_reported_at"], "last_reported_at": row["last_reported_at"],
            "article_count": row["article_count"], "source_count": row["source_count"],
            "sources": [a["url"] for a in store.incident_articles(row["id"])],
        }


def _cell(value: Any, sep: str) -> Any:
    if isinstance(value, list):
        return sep.join(str(v) for v in value)
    return "" if value is None else value


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c], "; " if c == "victims" else " ") for c in COLUMNS])
    return out.getvalue()


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def to_uwazi_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UWAZI_COLUMNS)
    for row in rows:
        when = row["event_date"] or (row["first_reported_at"] or "")[:10]
        title = f"{row['type']}: {row['place'] or 'Crimea'}, {when}"
        geo = f"{row['lat']}|{row['lon']}" if row["lat"] is not None and row["lon"] is not None else ""
        writer.writerow([title, row["id"], row["status"], row["type"], row["event_date"] or "", row["place"] or "",
                         geo, "|".join(row["victims"]), _cell(row["count"], ""), row["perpetrator"] or "",
                         row["legal_article"] or "", "|".join(row["sources"]), row["notes"] or ""])
    return out.getvalue()


FORMATS = {"csv": to_csv, "jsonl": to_jsonl, "uwazi": to_uwazi_csv}
