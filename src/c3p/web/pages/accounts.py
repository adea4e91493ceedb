"""Portal pages for people: sign in and out, password reset, second factor, my account.

Every form posts with a CSRF token; each POST route is guarded like the API. Sign-in failures
are recorded before the form is shown again, so the lockout counts them even though nothing
else changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

from babel.dates import format_timedelta
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask

from c3p import mail
from c3p.accounts.rules.policy import Actor
from c3p.accounts.schemas import HistoryView, TokenView, UserView
from c3p.accounts.service import members as svc
from c3p.accounts.service import signin
from c3p.accounts.service.api_tokens import token_view, tokens_of
from c3p.catalogs import LANGUAGES, translate
from c3p.db.history import entries_for
from c3p.errors import Unauthenticated
from c3p.messages import N_, Message
from c3p.settings import Settings
from c3p.web import refusals
from c3p.web.auth import (
    SESSION_COOKIE,
    CsrfCookieMiddleware,
    clear_session_cookie,
    client_ip,
    csrf_token,
    permission,
    set_session_cookie,
    signed_in_user,
    writing,
)
from c3p.web.auth import database as db
from c3p.web.i18n import COOKIE as LANGUAGE_COOKIE
from c3p.web.pages.render import PageContext, environment, page_language, page_only, redirect, render
from c3p.web.routes import Router, install

if TYPE_CHECKING:
    from c3p.accounts.tables import User  # rows the service returns, named in annotations only

log = logging.getLogger(__name__)
router = Router(include_in_schema=False)
FormText = Annotated[str, Form()]


class SignInPage(PageContext):
    next: str
    email: str = ""
    message: Message | None = None  # why the last attempt was refused
    ask_code: bool = False


class PasswordResetPage(PageContext):
    sent: bool


class PasswordResetConfirmPage(PageContext):
    token: str = page_only()
    message: Message | None = None


class MyAccountPage(PageContext):
    """The reader's own account: the API's ``/me`` user, its tokens and history."""

    data: UserView
    user: UserView = page_only()
    tokens: list[TokenView] = page_only()
    history: list[HistoryView] = page_only()


class TotpPage(PageContext):
    enabled: bool
    secret: str | None = page_only(None)
    uri: str | None = page_only(None)
    qr_svg: str | None = page_only(None)
    message: Message | None = None


def safe_next(target: str) -> str:
    """Only local paths: a sign-in link must not send people to another site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/account"


def signed_in(request: Request, actor: Actor) -> int:
    if actor.user_id is None:
        raise Unauthenticated(N_("Sign in to see this page."))
    return actor.user_id


@router.get("/sign-in", response_model=SignInPage)
def sign_in_page(request: Request, next: str = "/account") -> Response:
    return render(request, "accounts/sign_in.html", SignInPage(next=safe_next(next)))


@router.post("/sign-in")
def sign_in(
    request: Request,
    email: FormText,
    password: FormText,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/account",
    _actor: Actor = Depends(permission("account.sign_in")),
) -> Response:
    settings = request.app.state.settings
    with db(request).unit_of_work() as session:
        outcome = signin.sign_in(session, settings, email, password, code, client_ip(request))
        if outcome.user and request.cookies.get(SESSION_COOKIE):
            signin.end_session(session, request.cookies[SESSION_COOKIE])  # a fresh id at each sign-in
        secret = signin.start_session(session, settings, outcome.user, client_ip(request)) if outcome.user else ""
        language = page_language(request)  # the reader's, not the one the account last stored
        if outcome.user:
            signin.follow_reader(session, outcome.user, language)
    if outcome.error is not None:
        request.state.refusal_recorded = True
        page = SignInPage(
            next=safe_next(next),
            email=email,
            message=outcome.error.message,
            ask_code=bool(outcome.error.extra.get("second_factor")),
        )
        return render(request, "accounts/sign_in.html", page, status=outcome.error.status)
    response = redirect(safe_next(next))
    set_session_cookie(response, settings, secret)
    if request.cookies.get(LANGUAGE_COOKIE) != language:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.post("/sign-out")
def sign_out(request: Request, _actor: Actor = Depends(permission("account.sign_in"))) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with db(request).unit_of_work() as session:
            signin.end_session(session, secret)
    response = redirect("/")
    clear_session_cookie(response, request.app.state.settings)
    return response


@router.post("/sign-out-everywhere")
def sign_out_everywhere(request: Request, actor: Actor = Depends(permission("users.update"))) -> Response:
    user_id = signed_in(request, actor)
    with writing(request, actor) as session:
        signin.end_all_sessions(session, user_id)
    response = redirect("/sign-in?signed_out=everywhere")
    clear_session_cookie(response, request.app.state.settings)
    return response


@router.get("/password-reset", response_model=PasswordResetPage)
def password_reset_page(request: Request) -> Response:
    return render(request, "accounts/password_reset.html", PasswordResetPage(sent=False))


@router.post("/password-reset")
def password_reset(
    request: Request, email: FormText, _actor: Actor = Depends(permission("account.sign_in"))
) -> Response:
    settings = request.app.state.settings
    ip = client_ip(request)
    with db(request).unit_of_work() as session:
        signin.record_event(session, "password_reset.requested", email.strip().lower(), ip=ip)
    with db(request).unit_of_work() as session:
        found = signin.create_password_reset(session, settings, email, ip)
    # the same answer, as fast, whether or not the account exists: the mail leaves after the response
    response = render(request, "accounts/password_reset.html", PasswordResetPage(sent=True))
    if found:
        user, secret = found
        link = f"{settings.base_url}/password-reset/confirm?token={quote(secret)}"
        message = password_reset_mail(user, link, settings.password_reset_lifetime)
        response.background = BackgroundTask(_send_quietly, settings, user.email, *message)
    return response


def _send_quietly(settings: Settings, to: str, subject: str, body: str) -> None:
    try:
        mail.send(settings, to, subject, body)
    except Exception:  # an error page would tell that the account exists; the operator sees the log
        log.exception("could not send the password-reset message")


def password_reset_mail(user: User, link: str, lifetime: dt.timedelta) -> tuple[str, str]:
    """Subject and body of the reset link, in the language of the account (like notifications)."""
    language = user.language if user.language in LANGUAGES else "ja"
    body = Message(
        N_(
            "Someone asked to reset the password of %(email)s on the C3P platform.\n\n"
            "Open this link within %(lifetime)s to choose a new password:\n%(link)s\n\n"
            "If you did not ask for this, ignore this message; your password stays as it is.\n"
        ),
        {"email": user.email, "lifetime": format_timedelta(lifetime, locale=language), "link": link},
    )
    return translate(N_("C3P: reset your password"), language), translate(body, language)


@router.get("/password-reset/confirm", response_model=PasswordResetConfirmPage)
def password_reset_confirm_page(request: Request, token: str = "") -> Response:
    return render(request, "accounts/password_reset_confirm.html", PasswordResetConfirmPage(token=token))


@router.post("/password-reset/confirm")
def password_reset_confirm(
    request: Request,
    token: FormText,
    password: FormText,
    password_again: FormText,
    _actor: Actor = Depends(permission("account.sign_in")),
) -> Response:
    if password != password_again:
        message = Message(N_("The two passwords differ."))
        page = PasswordResetConfirmPage(token=token, message=message)
        return render(request, "accounts/password_reset_confirm.html", page, status=422)
    with db(request).unit_of_work() as session:
        user = signin.reset_password(session, token, password)
        signin.record_event(session, "password_reset.done", user.email, user.id, client_ip(request))
    return redirect("/sign-in?reset=done")


@router.get("/account", response_model=MyAccountPage)
def account_page(request: Request, actor: Actor = Depends(permission("users.read"))) -> Response:
    user_id = signed_in(request, actor)
    with db(request).reading() as session:
        user = svc.user_by_id(session, user_id)
        view = svc.user_view(session, user)  # type: ignore[arg-type]
        tokens = [token_view(token) for token in tokens_of(session, user_id)]
        history = entries_for(session, "users", str(user_id))
    return render(request, "accounts/account.html", MyAccountPage(data=view, user=view, tokens=tokens, history=history))


@router.post("/account/language")
def set_language(request: Request, language: FormText, actor: Actor = Depends(permission("users.update"))) -> Response:
    user_id = signed_in(request, actor)
    with writing(request, actor) as session:
        svc.set_language(session, actor, svc.user_by_id(session, user_id), language)  # type: ignore[arg-type]
    response = redirect("/account?saved=language")
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/account/totp", response_model=TotpPage)
def totp_page(request: Request, actor: Actor = Depends(permission("users.update"))) -> Response:
    user_id = signed_in(request, actor)
    with db(request).reading() as session:
        user = svc.user_by_id(session, user_id)
        pending = bool(user and user.totp_secret and not user.totp_enabled)
        secret = user.totp_secret if pending and user else None
        uri = signin.totp_uri(user) if pending and user else None
        enabled = bool(user and user.totp_enabled)
    page = TotpPage(enabled=enabled, secret=secret, uri=uri, qr_svg=qr_code_svg(uri) if uri else None)
    return render(request, "accounts/totp.html", page)


def qr_code_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG, drawn here: no script and no image service sees the secret."""
    import segno  # here: only this page draws a QR code

    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=True))


@router.post("/account/totp/begin")
def totp_begin(request: Request, actor: Actor = Depends(permission("users.update"))) -> Response:
    user_id = signed_in(request, actor)
    with writing(request, actor) as session:
        signin.begin_totp(session, svc.user_by_id(session, user_id))  # type: ignore[arg-type]
    return redirect("/account/totp")


@router.post("/account/totp/confirm")
def totp_confirm(request: Request, code: FormText, actor: Actor = Depends(permission("users.update"))) -> Response:
    user_id = signed_in(request, actor)
    with writing(request, actor) as session:
        signin.confirm_totp(session, svc.user_by_id(session, user_id), code)  # type: ignore[arg-type]
    return redirect("/account?saved=totp")


@router.post("/account/totp/disable")
def totp_disable(request: Request, actor: Actor = Depends(permission("users.update"))) -> Response:
    user_id = signed_in(request, actor)
    with writing(request, actor) as session:
        signin.disable_totp(session, svc.user_by_id(session, user_id))  # type: ignore[arg-type]
    return redirect("/account?saved=totp-off")


def ensure_administrator_from_settings(app: FastAPI) -> None:
    """``C3P_ADMIN_EMAIL`` + ``C3P_ADMIN_PASSWORD`` make the first administrator in deployments."""
    settings, database = app.state.settings, app.state.database
    if not (settings.admin_email and settings.admin_password) or not database.is_initialized():
        return
    with database.unit_of_work() as session:
        svc.ensure_first_administrator(session, settings.admin_email, settings.admin_password.get_secret_value())


def install_accounts(app: FastAPI) -> None:
    """Everything accounts add to the app: pages, refusal handling, CSRF cookie, template helpers.

    The first administrator named in the settings is made once the database is ready
    (:func:`ensure_administrator_from_settings`).
    """
    refusals.install(app)
    app.add_middleware(CsrfCookieMiddleware)
    install(app, [router])
    for language in LANGUAGES:
        environment(language).globals.update(csrf_token=csrf_token, signed_in_user=signed_in_user)
