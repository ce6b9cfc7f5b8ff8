"""Logins, sessions, roles and CSRF for the web UI and the API.

* A browser logs in at ``/login`` and gets a session cookie (HttpOnly, SameSite=Lax, Secure over TLS); the store
  keeps only the cookie's hash. Every form carries the session's CSRF token, and a cookie-authenticated write
  without it (form field ``csrf`` or header ``X-CSRF-Token``) is refused with 403.
* Scripts send a per-user token: ``Authorization: Bearer <token>`` (``crimea-monitor users token NAME``); a
  token is not sent by browsers on their own, so token requests need no CSRF token.
* Reading needs a login unless the app was made with ``public_read`` (``serve --public-read``); writing needs an
  analyst (or admin) whatever the setting; a viewer gets 403.
* Failed logins are counted per account name (known or not, so the answer tells nothing about which names exist)
  and per client address; past the limits every attempt is refused for the rest of the window.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import settings as config
from indexer import audit
from indexer import users as accounts
from indexer.users import User

SESSION_COOKIE = "cm_session"
LOGIN_COOKIE = "cm_login"  # the login form's CSRF secret, before there is a session
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    """A page needs a login: the browser is sent to /login and back."""


def _ctx(request: Request) -> Any:
    return request.app.state.ctx


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def current_user(request: Request) -> User | None:
    """The user of this request (bearer token or session cookie), also left in ``request.state``."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    store = _ctx(request).store()
    user: User | None = None
    csrf: str | None = None
    via = None
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        user = accounts.user_for_token(store, given.strip())
        if user is None:
            raise HTTPException(401, "the API token is unknown or revoked; create one with "
                                     "`crimea-monitor users token NAME`", headers={"WWW-Authenticate": "Bearer"})
        via = "token"
    elif secret := request.cookies.get(SESSION_COOKIE):
        found = accounts.session(store, secret)
        if found is not None:
            user, csrf = found
            via = "session"
    request.state.user, request.state.csrf, request.state.auth_via = user, csrf, via
    return user


async def require_reader(request: Request) -> None:
    """Router dependency of every read route: a login, unless reading is public."""
    user = await current_user(request)
    if user is None and not _ctx(request).public_read:
        if request.url.path.startswith("/api"):
            raise HTTPException(401, "log in at /login or send 'Authorization: Bearer <token>' "
                                     "(crimea-monitor users token NAME)", headers={"WWW-Authenticate": "Bearer"})
        raise LoginRequired


async def check_csrf(request: Request) -> None:
    """A cookie-authenticated write must carry the session's CSRF token (header or form field)."""
    if request.method not in UNSAFE or getattr(request.state, "auth_via", None) != "session":
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = str((await request.form()).get("csrf") or "")
    expected = request.state.csrf or ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "the form's CSRF token is missing or stale; reload the page and try again")


def require_role(role: str) -> Any:
    async def dependency(request: Request) -> User:
        user = await current_user(request)
        if user is None:
            if request.url.path.startswith("/api"):
                raise HTTPException(401, "log in or send 'Authorization: Bearer <token>'",
                                    headers={"WWW-Authenticate": "Bearer"})
            raise LoginRequired
        if not user.can(role):
            raise HTTPException(403, f"this needs the {role} role; {user.name} is a {user.role}")
        await check_csrf(request)
        return user

    return dependency


Analyst = Annotated[User, Depends(require_role("analyst"))]


# ---------------------------------------------------------------------------------------------------- pages
def _safe_next(target: str | None) -> str:
    # only paths of this site: never "//host" or a scheme, which would send the user elsewhere after login
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, status: int = 200, error: str | None = None, next_url: str = "/") -> Response:
    token = secrets.token_urlsafe(32)
    html = request.app.state.templates.get_template("login.html").render(
        request=request, csrf=token, error=error, next_url=_safe_next(next_url), nav="login")
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/login", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_url=next)


WRONG = "wrong name or password"
THROTTLED = "too many failed logins; wait a while and try again"


@router.post("/login")
def login(request: Request, name: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=1024)],
          csrf: Annotated[str, Form(max_length=100)] = "", next: Annotated[str, Form(max_length=500)] = "/"
          ) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE) or ""
    if not csrf or not hmac.compare_digest(csrf.encode(), cookie.encode()):
        return _login_page(request, 403, "the login form expired; please try again", next)
    store = _ctx(request).store()
    subjects = [f"user:{name.lower()}", f"client:{_client(request)}"]
    window = config.LOGIN_WINDOW_SECONDS
    if (accounts.recent_failures(store, subjects[0], window) >= config.LOGIN_MAX_FAILURES
            or accounts.recent_failures(store, subjects[1], window) >= config.LOGIN_CLIENT_MAX_FAILURES):
        return _login_page(request, 429, THROTTLED, next)
    user = accounts.authenticate(store, name, password)
    if user is None:
        accounts.record_failure(store, subjects)
        return _login_page(request, 401, WRONG, next)
    accounts.clear_failures(store, subjects[0])
    secret, _ = accounts.start_session(store, user, config.SESSION_HOURS)
    audit.append(store, user.name, "login", f"user:{user.name}", None, {"client": _client(request)})
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", secure=_secure(request), path="/",
                        max_age=int(config.SESSION_HOURS * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = await current_user(request)
    if user is not None:
        await check_csrf(request)
        store = _ctx(request).store()
        accounts.end_session(store, request.cookies.get(SESSION_COOKIE, ""))
        audit.append(store, user.name, "logout", f"user:{user.name}")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install(app: Any) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    app.include_router(router)
