"""Account and audit commands: users add|list|disable|enable|passwd|token|revoke, audit verify|log.

Whoever runs these has the store file, so the CLI needs no login; every change is still written to the audit trail,
attributed to ``cli:<operating-system user>``.
"""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from indexer import audit
from indexer import users as accounts
from monitor.cli_app import UserError, _open_store, app, console

users_app = typer.Typer(help="Accounts of the web UI and API (roles: viewer, analyst, admin).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail of human actions.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


def cli_actor() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:unknown"


def _password(given: str | None, confirm: bool = True) -> str:
    if given is not None:
        return given
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted (keeps it out of the shell "
                                                      "history).")] = None,
) -> None:
    """Create an account."""
    secret = _password(password)
    with _open_store() as store:
        try:
            with store.transaction():
                user = accounts.add(store, name, role, secret)
                audit.append(store, cli_actor(), "user.add", f"user:{name}", None, user.as_json())
        except accounts.UserError as exc:
            raise UserError(str(exc)) from exc
    console.print(f"added {name} ({role})")


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The accounts and their roles."""
    with _open_store() as store:
        found = accounts.list_users(store)
    if as_json:
        console.print_json(json.dumps([u.as_json() for u in found]))
        return
    table = Table(title="Users")
    for column in ("name", "role", "state"):
        table.add_column(column)
    for u in found:
        table.add_row(u.name, u.role, "disabled" if u.disabled else "active")
    console.print(table)


def _set_disabled(name: str, disabled: bool) -> None:
    with _open_store() as store:
        try:
            with store.transaction():
                before = accounts.require(store, name).as_json()
                accounts.set_disabled(store, name, disabled)
                audit.append(store, cli_actor(), "user.disable" if disabled else "user.enable", f"user:{name}",
                             before, accounts.require(store, name).as_json())
        except accounts.UserError as exc:
            raise UserError(str(exc)) from exc
    console.print(f"{name} {'disabled (sessions ended, tokens revoked)' if disabled else 'enabled'}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: it cannot log in; its sessions end and its tokens are revoked."""
    _set_disabled(name, True)


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled account again."""
    _set_disabled(name, False)


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument()],
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted.")] = None,
) -> None:
    """Set a new password (ends the account's sessions)."""
    secret = _password(password)
    with _open_store() as store:
        try:
            with store.transaction():
                accounts.set_password(store, name, secret)
                audit.append(store, cli_actor(), "user.passwd", f"user:{name}", None, {"password": "changed"})
        except accounts.UserError as exc:
            raise UserError(str(exc)) from exc
    console.print(f"password of {name} changed")


@users_app.command("token")
def users_token(name: Annotated[str, typer.Argument()]) -> None:
    """Create an API token for the account and print it (once: only its hash is kept)."""
    with _open_store() as store:
        try:
            with store.transaction():
                token = accounts.new_token(store, name)
                audit.append(store, cli_actor(), "user.token", f"user:{name}", None, {"token": "created"})
        except accounts.UserError as exc:
            raise UserError(str(exc)) from exc
    print(token)


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument()]) -> None:
    """Revoke every API token of the account."""
    with _open_store() as store:
        try:
            with store.transaction():
                n = accounts.revoke_tokens(store, name)
                audit.append(store, cli_actor(), "user.revoke", f"user:{name}", None, {"revoked_tokens": n})
        except accounts.UserError as exc:
            raise UserError(str(exc)) from exc
    console.print(f"revoked {n} token{'s' if n != 1 else ''} of {name}")


# --------------------------------------------------------------------------------------------------- audit
@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the audit trail; fails naming the first row that does not fit."""
    with _open_store() as store:
        report = audit.verify(store)
    if not report.ok:
        raise UserError(f"audit trail broken at row {report.broken_at}: {report.problem}")
    console.print(f"audit trail intact: {report.rows} row{'s' if report.rows != 1 else ''}, chain verified; "
                  f"head {report.head}")


@audit_app.command("log")
def audit_log(
    incident: Annotated[str | None, typer.Option(help="Only actions on this incident (and its former ids).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The latest human actions, newest first."""
    with _open_store() as store:
        subjects = None
        if incident:
            current = store.resolve_incident(incident)
            if current is None:
                raise UserError(f"no incident with id {incident}")
            subjects = [current, *store.incident_aliases(current)]
        rows = audit.entries(store, subjects=subjects, limit=limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title="Audit trail")
    for column in ("#", "when", "who", "action", "subject", "change"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["seq"]), row["at"], row["actor"], row["action"], row["subject"],
                      "; ".join(audit.changes(row["before"], row["after"]))[:400])
    console.print(table)

