"""Evidence commands: ``evidence export`` (WARC, manifest, offline screenshots) and ``evidence verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import settings as config
from monitor.cli_app import UserError, _open_store, app, console

evidence_app = typer.Typer(help="Evidence that leaves the store in a standard, verifiable form.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("export")
def export_command(
    targets: Annotated[list[str], typer.Argument(help="Incident ids (inc-...) and/or article ids.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="A new (or empty) directory to write into.")],
    screenshots: Annotated[bool, typer.Option(help="Render each snapshot offline with headless Chromium.")] = True,
) -> None:
    """Write a WARC file, a manifest (JSON and HTML) with every hash, and offline screenshots."""
    from pipelines.evidence import EvidenceError, export, find_chromium

    chromium = find_chromium(config.EVIDENCE_CHROMIUM) if screenshots else None
    try:
        with _open_store() as store:
            manifest = export(store, targets, out, chromium=chromium,
                              screenshot_timeout=config.EVIDENCE_SCREENSHOT_TIMEOUT)
    except EvidenceError as exc:
        raise UserError(str(exc)) from exc
    records = sum(len(item["records"]) for item in manifest["items"])
    console.print(f"{out}: {len(manifest['items'])} items, {records} captures in {manifest['warc']['file']} "
                  f"(SHA-256 {manifest['warc']['sha256']})")
    shots = manifest["screenshots"] if screenshots else "skipped: --no-screenshots"
    console.print(f"screenshots: {shots}")
    console.print(f"manifest: {out / 'manifest.json'} and {out / 'manifest.html'}")


@evidence_app.command("verify")
def verify_command(folder: Annotated[Path, typer.Argument(help="The directory of an evidence export.")]) -> None:
    """Re-hash every file, WARC record and body of an export; exit 1 on any difference."""
    from pipelines.evidence import EvidenceError, verify

    try:
        report = verify(folder)
    except EvidenceError as exc:
        raise UserError(str(exc)) from exc
    if not report.ok:
        for problem in report.problems:
            console.print(f"[red]FAILED[/] {problem}", highlight=False)
        raise typer.Exit(1)
    console.print(f"{folder}: OK, {report.checked} files and records match the manifest")
