"""Rendering portal pages: one Jinja environment per language, a typed context per page.

Each page declares what its template shows as a :class:`PageContext` (as Datasette's view
contexts): one function builds it, :func:`render` shows it as HTML, adding what every page
needs (language, URLs, navigation), and answers ``?format=json`` with the same object
serialized. A page with an API twin keeps that twin's answer in ``data``, computed by the same
query function, so its JSON is the API's; fields only the HTML needs (forms, choices offered,
what the reader may do) are marked :func:`page_only` and left out of the JSON. Each page
route names its context class as its ``response_model``: a declaration (the route answers
its own response), which tests read to check every page has one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from c3p.accounts.rules.roles import said_role
from c3p.accounts.rules.visitors import anonymized
from c3p.catalogs import LANGUAGES, language_of, translate, translations
from c3p.errors import C3PError
from c3p.messages import N_, Message
from c3p.program.rules.citations import citations
from c3p.program.rules.figures import FIGURES, JCM_FIGURES_DIFFER
from c3p.schema import Schema
from c3p.user_cache import user_cache_folder
from c3p.web.auth import signed_in_user
from c3p.web.i18n import COOKIE, choose_language
from c3p.web.stacked_tables import stack_labels

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"


@lru_cache
def compiled_templates() -> BytecodeCache | None:
    """Where compiled templates are kept between runs: compiling them is most of a first page's time.

    The user's cache folder, as Python keeps its bytecode; an entry is used only while its
    template's source is unchanged, and without a writable folder templates are compiled in memory.
    """
    folder = user_cache_folder("templates")
    return FileSystemBytecodeCache(str(folder)) if folder else None


@lru_cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        bytecode_cache=compiled_templates(),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.globals["other_languages"] = [other for other in LANGUAGES if other != language]
    env.globals["url_with"] = url_with
    env.globals["shown_to"] = shown_to
    env.globals["shown_value"] = shown_value
    env.globals["said_role"] = said_role
    env.globals["citations"] = citations
    env.globals["figures"] = FIGURES
    env.globals["jcm_figures_differ"] = JCM_FIGURES_DIFFER
    env.filters["loc"] = lambda record, field: localized(record, field, language)
    env.filters["tr"] = lambda text, params=None: translate(said(text, params), language)
    env.filters["lang_of"] = lambda text: language_of(text, language)
    env.filters["date"] = lambda value: format_date(value, format="long", locale=language) if value else ""
    env.filters["jst"] = lambda value: in_japan_time(value, language)
    env.filters["stack_labels"] = stack_labels
    env.filters["as_of"] = lambda value, precision: as_precise_as(value, precision, language)
    return env


JST = ZoneInfo("Asia/Tokyo")
#: how a date is written when its source gives only so much of it (CLDR skeletons)
PRECISION_SKELETONS = {"day": "yMMMMd", "month": "yMMMM", "year": "y"}


def as_precise_as(value: dt.date, precision: str, language: str) -> str:
    """A date written no more precisely than its source gives it (a month: 「2019年8月」, "August 2019")."""
    return format_skeleton(PRECISION_SKELETONS.get(precision, "yMMMMd"), value, locale=language)


def in_japan_time(value: dt.datetime | None, language: str) -> str:
    """A moment as people in the program read it: Japan time, saying so (a naive value is UTC, as stored)."""
    if value is None:
        return ""
    local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(JST)
    return translate(Message(N_("%(moment)s Japan time"), {"moment": f"{local:%Y-%m-%d %H:%M}"}), language)


def shown_to(request: Request, text: Any) -> str:
    """``text`` as this visitor may see it: who did what is for signed-in people only.

    Anonymous visitors see "…@domain" for an e-mail address and "operator" for the server's
    own account, never the address or the OS user.
    """
    text = "" if text is None else str(text)
    if signed_in_user(request) is not None:
        return text
    return anonymized(text)


#: columns naming stored files or their digests: for signed-in people only
FILE_FIELDS = re.compile(r".*(sha256|filename|file_name|stored_as|path)$")


def shown_value(request: Request, field: str, value: Any) -> str:
    """A history value as this visitor may see it: file names and digests hidden from anonymous visitors."""
    if value is None:
        return "—"
    if FILE_FIELDS.fullmatch(field) and signed_in_user(request) is None:
        return "…"
    return shown_to(request, value)


def said(text: Message | str, params: dict[str, Any] | None = None) -> Message:
    """A message made in Python, or a message id and its parameters as a template holds them."""
    return text if isinstance(text, Message) else Message(text, dict(params or {}))


def url_with(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters replaced (``None`` or ``""`` drops one)."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key not in changes]
    kept += [(key, str(value)) for key, value in changes.items() if value is not None and value != ""]
    return request.url.path + ("?" + urlencode(kept) if kept else "")


def localized(record: Any, field: str, language: str) -> str:
    """``record.<field>_<language>``, falling back to the other language when empty."""
    value = _get(record, f"{field}_{language}")
    if value:
        return str(value)
    fallback = "ja" if language == "en" else "en"
    return str(_get(record, f"{field}_{fallback}") or "")


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def page_language(request: Request) -> str:
    return choose_language(request, request.app.state.settings.default_language)


class PageContext(Schema):
    """What one page's template shows; its JSON twin is this object serialized.

    The JSON is the fields not page-only; where the page shows a value of the API (a record,
    a list, statistics), it is the field ``data`` and the JSON is ``data`` alone, the API's
    payload. Templates name the fields, and ``data`` (the value, or the context itself).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def twin(self) -> Any:
        """The object ``?format=json`` serializes: ``data`` where the page has it, else the context."""
        return self.data if "data" in type(self).model_fields else self  # type: ignore[attr-defined]

    def twin_json(self) -> str:
        twin = self.twin()
        if isinstance(twin, BaseModel):
            return twin.model_dump_json(fallback=_message_text)
        return json.dumps(jsonable_encoder(twin))

    def names(self) -> dict[str, Any]:
        """The template's names: each field as it is (not serialized), and ``data``."""
        return {"data": self.twin(), **dict(self)}


def _message_text(value: Any) -> str:
    """A message in a JSON twin: its English text (the page itself says it in its language)."""
    if isinstance(value, Message):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form: mark its field page_only")


def page_only(*default: Any, **options: Any) -> Any:
    """A field the HTML needs but the JSON twin leaves out (forms, choices, permissions)."""
    return Field(*default, exclude=True, **options)


def render(request: Request, template: str, context: PageContext, status: int = 200) -> Response:
    """The page ``template`` showing ``context``, or with ``?format=json`` its JSON twin."""
    if request.query_params.get("format") == "json":
        return Response(context.twin_json(), status_code=status, media_type="application/json")
    language = page_language(request)
    html = environment(language).get_template(template).render(request=request, **context.names())
    response = HTMLResponse(html, status_code=status)
    asked = request.query_params.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


class ErrorPage(PageContext):
    """An error said as a page; its JSON twin is the problem document the API would answer."""

    data: dict[str, Any]
    error: C3PError = page_only()


def error_page(request: Request, error: C3PError) -> ErrorPage:
    return ErrorPage(data=error.problem(instance=request.url.path), error=error)


def render_error_page(request: Request, error: C3PError) -> Response:
    return render(request, "error.html", error_page(request, error), status=error.status)


def redirect(url: str) -> RedirectResponse:
    """After a form is handled: see the result with a GET (303, so a reload does not post again)."""
    return RedirectResponse(url, status_code=303)
