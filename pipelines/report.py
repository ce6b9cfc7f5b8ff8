"""The monthly report: the confirmed incidents of one month, counted per type, per place and per week, with the list
of incidents and their sources. Markdown and CSV are written here; the HTML (printable, with the chart and the map)
is a page of the web UI, which ``crimea-monitor report --format html`` renders the same way.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from typing import Any

from indexer.store import Store
from pipelines.exports import incident_rows


class ReportError(ValueError):
    """A month that cannot be reported on (malformed); the message says what to give."""


def month_bounds(month: str) -> tuple[date, date]:
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise ReportError(f"--month {month!r}: give a month as YYYY-MM, e.g. 2026-11") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def _day(row: dict[str, Any]) -> str:
    return row["event_date"] or (row["first_reported_at"] or "")[:10]


def monthly(store: Store, month: str) -> dict[str, Any]:
    """Confirmed incidents that happened in ``month`` (YYYY-MM; by their date, else their first report)."""
    first, last = month_bounds(month)
    # an incident dated only to the year is not in any month's report
    rows = [r for r in incident_rows(store, ["confirmed"]) if _day(r)[:7] == month]
    weeks: Counter[str] = Counter()
    for r in rows:
        try:
            year, week, _ = date.fromisoformat(_day(r)[:10]).isocalendar()
            weeks[f"{year}-W{week:02d}"] += 1
        except ValueError:
            weeks["undated"] += 1
    return {
        "month": month, "from": first.isoformat(), "to": last.isoformat(), "total": len(rows),
        "by_type": Counter(r["type"] for r in rows).most_common(),
        "by_place": Counter(r["place"] or "unknown" for r in rows).most_common(),
        "by_week": sorted(weeks.items()),
        "incidents": rows,
    }


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Confirmed incidents, {report['month']}", "",
             f"{report['total']} confirmed incident{'s' if report['total'] != 1 else ''} "
             f"({report['from']} to {report['to']}).", ""]
    for title, key, label in (("Per type", "by_type", "type"), ("Per place", "by_place", "place"),
                              ("Per week", "by_week", "week")):
        lines += [f"## {title}", "", f"| {label} | incidents |", "|---|---:|"]
        lines += [f"| {_md(name)} | {n} |" for name, n in report[key]]
        lines.append("")
    lines += ["## Incidents", ""]
    for r in report["incidents"]:
        victims = ", ".join(r["victims"]) or "victims not named"
        lines.append(f"- **{_md(_day(r))} {_md(r['type'])}**, {_md(r['place'] or 'place unknown')}: {_md(victims)}"
                     + (f" (count {r['count']})" if r["count"] else "")
                     + (f"; {_md(r['legal_article'])}" if r["legal_article"] else "") + f" `{r['id']}`")
        lines += [f"  - <{url}>" for url in r["sources"]]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    # article-derived text must not become Markdown links, emphasis or table cells
    return "".join("\\" + c if c in "\\`*_[]()<>|#!" else c for c in str(text))


def to_csv(report: dict[str, Any]) -> str:
    """One row per count: section (type, place, week), name, incidents; then the incidents themselves."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "name", "incidents"])
    for section, key in (("type", "by_type"), ("place", "by_place"), ("week", "by_week")):
        for name, n in report[key]:
            writer.writerow([section, name, n])
    writer.writerow([])
    writer.writerow(["id", "date", "type", "place", "victims", "count", "legal_article", "sources"])
    for r in report["incidents"]:
        writer.writerow([r["id"], _day(r), r["type"], r["place"] or "", "; ".join(r["victims"]), r["count"] or "",
                         r["legal_article"] or "", " ".join(r["sources"])])
    return out.getvalue()
