"""What the API returns and the pages show, gathered from the store and the search backend as plain dicts.

The API serialises these dicts as they are; the pages render the same dicts, so the two never disagree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from indexer import audit, reviews
from indexer.query import parse
from indexer.search.document import SearchRequest
from monitor.web.context import WebContext
from monitor.web.render import entity_url, safe_href, snippet_html, snippet_plain

# The map's frame: the peninsula and its isthmus (points outside are listed, not drawn).
MAP_BOUNDS = {"lat_min": 44.3, "lat_max": 46.3, "lon_min": 32.4, "lon_max": 36.7}

TYPES = ("search", "detention", "custody", "charge", "sentence", "fine", "deportation", "transfer", "disappearance",
         "torture", "assault", "death", "conscription", "ban", "property_seizure", "displacement")


def _gazetteer():  # type: ignore[no-untyped-def]  # load_gazetteer caches
    from nlp.gazetteer import load_gazetteer

    return load_gazetteer()


def entity_labels(ctx: WebContext, ids: list[str]) -> dict[str, str]:
    """Display names of entity ids: the store's canonical name, else the gazetteer's, else the id."""
    names = ctx.store().entity_names(ids)
    gazetteer = _gazetteer()
    out = {}
    for entity_id in ids:
        entry = gazetteer.get(entity_id)
        out[entity_id] = names.get(entity_id) or (entry.name if entry is not None else entity_id)
    return out


# ------------------------------------------------------------------------------------------------- search
def search(ctx: WebContext, query: str, limit: int = 20, offset: int = 0, sort: str = "relevance",
           facets: bool = True) -> dict[str, Any]:
    """Raises QuerySyntaxError for a malformed query (before the backend is touched)."""
    parse(query)
    result = ctx.backend().search(SearchRequest(query=query, limit=limit, offset=offset, sort=sort, facets=facets))
    hits = []
    for hit in result.hits:
        hits.append({
            **hit.as_json(),
            "snippet_html": str(snippet_html(hit.snippet_html, tag="b")),
            "snippet": snippet_plain(hit.snippet_html),
        })
    facet_out: dict[str, list[dict[str, Any]]] = {}
    if facets:
        entity_ids = [v for name in ("person", "place", "org") for v, _ in result.facets.get(name, [])]
        labels = entity_labels(ctx, entity_ids) if entity_ids else {}
        for name, pairs in result.facets.items():
            facet_out[name] = [{"value": v, "count": n, "label": labels.get(v, v)} for v, n in pairs]
    return {"query": query, "total": result.total, "offset": offset, "limit": limit, "sort": sort, "hits": hits,
            "facets": facet_out}


# ------------------------------------------------------------------------------------------------ article
def article(ctx: WebContext, article_id: str) -> dict[str, Any] | None:
    store = ctx.store()
    a = store.article(article_id)
    if a is None:
        return None
    rows = store.enrichment_rows(article_id)
    entities = []
    for r in store.web_article_entities(article_id):
        entities.append({"id": r["id"], "label": r["label"], "name": r["name"], "lat": r["lat"], "lon": r["lon"],
                         "mentions": r["mentions"], "spellings": json.loads(r["spellings_json"] or "[]")})
    events = []
    for e in rows["events"]:
        victims = json.loads(e["victims_json"] or "[]")
        events.append({
            "id": e["id"], "type": e["type"], "trigger": e["trigger"], "sentence": e["sentence"],
            "modality": e["modality"], "is_recap": bool(e["is_recap"]), "event_date": e["event_date"],
            "date_precision": e["date_precision"], "place_text": e["place_text"], "place_id": e["place_id"],
            "victims": [{"text": v.get("text"), "entity_id": v.get("entity_id")} for v in victims],
            "count": e["count"], "perpetrator_text": e["perpetrator_text"], "perpetrator_id": e["perpetrator_id"],
            "legal_article": e["legal_article"],
        })
    quotes = [{"id": q["id"], "text": q["text"], "speaker_text": q["speaker_text"], "speaker_id": q["speaker_id"],
               "cue": q["cue"], "kind": q["kind"]} for q in rows["quotes"]]
    claims = [{"id": c["id"], "count": c["count"], "what": c["what"], "period": c["period"], "text": c["text"]}
              for c in rows["claims"]]
    snapshots = [{**{k: s[k] for k in ("id", "url", "sha256", "first_fetched_at", "last_fetched_at", "http_status",
                                       "content_type", "size")},
                  "href": f"/articles/{article_id}/snapshots/{s['id']}"} for s in store.snapshots(article_id)]
    return {
        "id": a.id, "url": a.url, "safe_url": safe_href(a.url), "source": a.source_id, "title": a.title,
        "text": a.text, "author": a.author, "lang": a.lang, "published_at": a.published_at,
        "first_seen_at": a.first_seen_at, "fetched_at": a.fetched_at, "status": a.status,
        "near_duplicate_of": a.near_duplicate_of, "near_duplicate_score": a.near_duplicate_score,
        "other_urls": [dict(u) for u in store.article_urls(article_id)],
        "entities": entities, "events": events, "quotes": quotes, "claims": claims, "snapshots": snapshots,
        "mentions": [{"start": m["start"], "end": m["end"], "entity_id": m["entity_id"]} for m in rows["mentions"]],
    }


# ------------------------------------------------------------------------------------------------- entity
def entity(ctx: WebContext, entity_id: str, limit: int = 50) -> dict[str, Any] | None:
    from pipelines.resolver import GazetteerResolver, entity_profile

    store = ctx.store()
    resolver = GazetteerResolver(store, _gazetteer())
    profile = next((p for p in entity_profile(store, resolver, entity_id, limit=limit) if p.id == entity_id), None)
    if profile is None:
        return None
    row = store.entity_row(entity_id)
    entry = _gazetteer().get(entity_id)
    lat = row["lat"] if row is not None and row["lat"] is not None else (entry.lat if entry is not None else None)
    lon = row["lon"] if row is not None and row["lon"] is not None else (entry.lon if entry is not None else None)
    gazetteer_aliases = list(entry.all_names) if entry is not None else []
    timeline = [{"month": m, "articles": a, "mentions": n} for m, a, n in store.web_entity_mentions_by_month(entity_id)]
    case_timeline = sorted(
        ({"date": e["event_date"], "type": e["type"], "modality": e["modality"], "place_text": e["place_text"],
          "sentence": e["sentence"], "article_id": e["article_id"], "title": e["title"], "victims": e["victims"]}
         for e in profile.victim_of),
        key=lambda e: (e["date"] or "", e["article_id"]),
    )
    cases, _ = store.web_incidents(victim_id=entity_id, limit=limit)
    incidents_where_victim = sorted((incident_summary(r) for r in cases), key=lambda i: (i["date"] or "", i["id"]))
    return {
        "id": profile.id, "name": profile.name, "label": profile.label, "in_gazetteer": profile.in_gazetteer,
        "incidents": incidents_where_victim,
        "lat": lat, "lon": lon, "aliases": profile.aliases, "gazetteer_aliases": gazetteer_aliases,
        "mention_count": profile.mention_count, "mentions_by_month": timeline, "articles": profile.articles,
        "quotes": profile.quotes, "case_timeline": case_timeline,
        "search": f'{profile.id.split(":", 1)[0]}:"{profile.id}"',
    }


# ---------------------------------------------------------------------------------------------- timeline
def timeline(ctx: WebContext, interval: str = "month", types: list[str] | None = None,
             sources: list[str] | None = None, start: str | None = None, end: str | None = None,
             unit: str = "incidents") -> dict[str, Any]:
    """Counts per type per period, with every period between the first and the last present (gaps are zeros).

    ``unit`` "incidents" counts real-world incidents (one however many articles report it; no source filter);
    "events" counts actual event mentions in relevant articles.
    """
    if unit == "incidents":
        rows = ctx.store().web_incident_timeline(interval, types or (), start, end)
    else:
        rows = ctx.store().web_events_timeline(interval, types or (), sources or (), start, end)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for period, kind, n in rows:
        counts[kind][period] = n
    periods = _fill_periods(sorted({p for p, _, _ in rows}), interval)
    present = [t for t in TYPES if t in counts] + sorted(t for t in counts if t not in TYPES)
    series = [{"type": t, "counts": [counts[t].get(p, 0) for p in periods], "total": sum(counts[t].values())}
              for t in present]
    return {"interval": interval, "unit": unit, "periods": periods, "series": series,
            "total": sum(s["total"] for s in series)}


def _fill_periods(periods: list[str], interval: str) -> list[str]:
    if len(periods) < 2:
        return periods
    out = []
    try:
        if interval == "month":
            year, month = map(int, periods[0].split("-"))
            last = periods[-1]
            while True:
                label = f"{year:04d}-{month:02d}"
                out.append(label)
                if label >= last or len(out) > 2400:
                    break
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            day = datetime.fromisoformat(periods[0]).date()
            last_day = datetime.fromisoformat(periods[-1]).date()
            while day <= last_day and len(out) <= 5300:
                out.append(day.isoformat())
                day += timedelta(days=7)
    except ValueError:  # a malformed date in the store: show what is there rather than fail
        return periods
    return out


# ------------------------------------------------------------------------------------------------- places
AREA_KINDS = ("region", "raion", "country")  # a dot at an area's centroid would mislead: listed, not drawn


def places(ctx: WebContext) -> dict[str, Any]:
    points, elsewhere, areas = [], [], []
    b = MAP_BOUNDS
    gazetteer = _gazetteer()
    incidents_at = ctx.store().web_incident_places()
    for r in ctx.store().web_place_points():
        entry = gazetteer.get(r["id"])
        if entry is not None and entry.kind in AREA_KINDS:
            areas.append({"id": r["id"], "name": r["name"], "articles": r["articles"], "events": r["events"]})
            continue
        n = incidents_at.get(r["id"], 0)
        point = {"id": r["id"], "name": r["name"], "lat": r["lat"], "lon": r["lon"], "articles": r["articles"],
                 "events": r["events"], "incidents": n,
                 "href": f"/incidents?place={quote(r['id'], safe=':~')}" if n else entity_url(r["id"])}
        inside = b["lat_min"] <= r["lat"] <= b["lat_max"] and b["lon_min"] <= r["lon"] <= b["lon_max"]
        (points if inside else elsewhere).append(point)
    measure = "incidents" if any(p["incidents"] for p in points) else "events"
    return {"bounds": MAP_BOUNDS, "measure": measure, "points": points, "elsewhere": elsewhere, "areas": areas}


# ------------------------------------------------------------------------------------------------ sources
def sources(ctx: WebContext) -> dict[str, Any]:
    """Every source of the registry and every source the store has seen, with a one-word health verdict."""
    from crawlers.sources import SourcesError, load_sources

    health = ctx.store().web_source_health()
    registry_error = None
    try:
        registry = {s.id: s for s in load_sources(ctx.sources)}
    except (SourcesError, OSError) as exc:
        registry, registry_error = {}, str(exc)
    now = datetime.now(UTC)
    out = []
    for source_id in sorted(set(registry) | set(health)):
        s = registry.get(source_id)
        h = health.get(source_id) or {}
        last = _latest(h.get("last_polled_at"), h.get("last_article_fetched_at"))
        interval = s.interval_seconds if s is not None else None
        failed = (h.get("frontier") or {}).get("failed", 0)
        if s is not None and not s.enabled:
            verdict = "disabled"
        elif last is None:
            verdict = "never crawled"
        elif h.get("polled_urls_failing"):
            verdict = "failing"
        elif interval and now - last > timedelta(seconds=3 * interval + 3600):
            verdict = "stale"
        elif failed:
            verdict = "some failures"
        else:
            verdict = "ok"
        out.append({
            "id": source_id, "name": s.name if s is not None else source_id, "kind": s.kind if s else None,
            "in_registry": s is not None, "enabled": s.enabled if s is not None else None,
            "interval_seconds": interval, "start_urls": list(s.start_urls) if s is not None else [],
            "health": verdict, "last_activity": last.isoformat() if last else None,
            "articles": h.get("articles", 0), "articles_by_status": h.get("articles_by_status", {}),
            "last_published_at": h.get("last_published_at"), "polled_urls": h.get("polled_urls", 0),
            "polled_urls_failing": h.get("polled_urls_failing", 0), "last_poll_status": h.get("last_poll_status"),
            "last_error": h.get("last_error"), "frontier": h.get("frontier", {}),
        })
    runs = []
    for r in ctx.store().last_runs(5):
        stats = json.loads(r["stats_json"] or "{}")
        runs.append({"id": r["id"], "started_at": r["started_at"], "finished_at": r["finished_at"],
                     "sources": r["sources"], "stats": stats})
    return {"sources": out, "registry": str(ctx.sources), "registry_error": registry_error, "last_runs": runs}


def _latest(*values: str | None) -> datetime | None:
    parsed = []
    for value in values:
        if not value:
            continue
        try:
            d = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        parsed.append(d if d.tzinfo else d.replace(tzinfo=UTC))
    return max(parsed, default=None)


# ---------------------------------------------------------------------------------------------- incidents
def _victims(raw: str | None) -> list[dict[str, Any]]:
    out = []
    for v in json.loads(raw or "[]"):
        if isinstance(v, dict):
            out.append({"text": v.get("text") or v.get("name") or v.get("entity_id"), "entity_id": v.get("entity_id")})
        elif isinstance(v, str):
            out.append({"text": v, "entity_id": v if ":" in v else None})
    return out


def incident_summary(row: Any) -> dict[str, Any]:
    victims = _victims(row["victims_json"])
    kind = str(row["type"]).replace("_", " ")
    title = kind.capitalize() + (f" in {row['place_text']}" if row["place_text"] else "")
    names = [v["text"] for v in victims if v["text"]]
    if names:
        title += ": " + ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return {
        "id": row["id"], "type": row["type"], "title": title,
        "date": row["event_date"] or row["date_end"] or (row["first_reported_at"] or "")[:10] or None,
        "event_date": row["event_date"], "date_precision": row["date_precision"], "date_start": row["date_start"],
        "date_end": row["date_end"], "place_id": row["place_id"], "place_text": row["place_text"],
        "lat": row["lat"], "lon": row["lon"], "victims": victims, "count": row["count"],
        "perpetrator_id": row["perpetrator_id"], "perpetrator_text": row["perpetrator_text"],
        "first_reported_at": row["first_reported_at"], "last_reported_at": row["last_reported_at"],
        "articles": row["article_count"], "sources": row["source_count"],
    }


def incidents(ctx: WebContext, types: list[str] | None = None, place: str | None = None, victim: str | None = None,
              start: str | None = None, end: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    rows, total = ctx.store().web_incidents(types or (), place, victim, start, end, limit, offset)
    status = reviews.statuses(ctx.store(), [r["id"] for r in rows])
    return {"total": total, "offset": offset, "limit": limit,
            "incidents": [{**incident_summary(r), "review_status": status[r["id"]]} for r in rows]}


def incident(ctx: WebContext, incident_id: str) -> dict[str, Any] | None:
    """One incident with its reporting articles, the mentions clustered into it and the quotes around it.

    An old id resolves to the incident its reports live on in (merged, replaced; ``requested_id`` keeps the old
    one); the API and pages redirect it there.
    """
    store = ctx.store()
    row = store.incident(incident_id)
    if row is None:
        return None
    out = incident_summary(row)
    current = row["id"]
    out["requested_id"] = incident_id
    out["status"] = row["status"]  # 'withdrawn': no report supports it any more (a merged one resolves onward)
    out["merged_ids"] = store.incident_aliases(current)
    out["reports"] = [
        {"id": a["id"], "title": a["title"], "url": a["url"], "safe_url": safe_href(a["url"]), "source": a["source_id"],
         "lang": a["lang"], "published_at": a["published_at"], "near_duplicate_of": a["near_duplicate_of"]}
        for a in store.incident_articles(current)
    ]
    out["mentions"] = [
        {"event_id": e["id"], "article_id": e["article_id"], "title": e["title"], "source": e["source_id"],
         "published_at": e["published_at"], "trigger": e["trigger"], "sentence": e["sentence"],
         "event_date": e["event_date"], "place_text": e["place_text"], "victims": _victims(e["victims_json"]),
         "count": e["count"], "perpetrator_text": e["perpetrator_text"], "legal_article": e["legal_article"],
         "is_recap": bool(e["is_recap"])}
        for e in store.web_incident_events(current)
    ]
    out["quotes"] = [
        {"text": q["text"], "kind": q["kind"], "speaker_text": q["speaker_text"], "speaker_id": q["speaker_id"],
         "speaker_name": q["speaker_name"], "article_id": q["article_id"], "source": q["source_id"],
         "title": q["title"], "published_at": q["published_at"]}
        for q in store.incident_quotes(current)
    ]
    out["review"] = reviews.review(store, current)
    out["corrected"] = sorted(reviews.overridden_fields(store, current))
    out["history"] = audit.entries(store, subjects=[current, *out["merged_ids"]])
    out["merge_candidates"] = [
        {"id": r["id"], "label": f"{r['event_date'] or (r['first_reported_at'] or '')[:10]} {r['type']}, "
                                f"{r['place_text'] or 'place unknown'}"}
        for r in store.merge_candidates(current)
    ]
    out["evidence"] = evidence_list(store, [r["id"] for r in out["reports"]])
    return out


def evidence_list(store: Any, article_ids: list[str]) -> list[dict[str, Any]]:
    """Per reporting article: each stored snapshot (time, hash) and, for a Telegram post, each version."""
    out = []
    for article_id in article_ids:
        post = store.post(article_id)
        out.append({
            "article_id": article_id,
            "snapshots": [
                {"id": s["id"], "url": s["url"], "sha256": s["sha256"], "first_fetched_at": s["first_fetched_at"],
                 "last_fetched_at": s["last_fetched_at"], "http_status": s["http_status"], "size": s["size"]}
                for s in store.snapshots(article_id)
            ],
            "post": None if post is None else {
                "channel": post["channel"], "post_id": post["post_id"], "deleted_at": post["deleted_at"],
                "last_seen_at": post["last_seen_at"],
                "versions": [{"version": v["version"], "seen_at": v["seen_at"], "edited": bool(v["edited"]),
                              "sha256": v["sha256"], "text": v["text"]} for v in store.post_versions(article_id)],
            },
        })
    return out
