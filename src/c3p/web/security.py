"""Protections every response and request gets before any route runs: headers, body and rate limits.

Both are pure ASGI, so they cost the hot API reads nothing and act before a body is parsed
or spooled to disk.
"""

from __future__ import annotations

import json
import math
import re
import time
from urllib.parse import urlparse

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from c3p.accounts.rules.policy import Actor, could
from c3p.errors import InvalidInput
from c3p.settings import Settings, variable
from c3p.web.auth import api_writes

#: the portal has no inline script or style: everything comes from /static
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Swagger UI's page starts itself with an inline script (its files still come from /static)
DOCS_POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
#: pages with secrets or personal data that no browser or proxy should keep
NO_STORE_PREFIXES = ("/account", "/sign-in", "/password-reset", "/admin", "/api/v1/me", "/api/v1/tokens")
JSON_BODY_MAX_BYTES = 1024 * 1024
MULTIPART_MARGIN_BYTES = 1024 * 1024
#: the one route taking files larger than an attachment: monitoring data (setting mrv_upload_max_bytes)
MONITORING_UPLOAD = re.compile(r"/api/v1/mrv/methodologies/[^/]+/calculate")


def security_headers(settings: Settings, path: str) -> list[tuple[bytes, bytes]]:
    """The headers added to every response of ``path``."""
    policy = DOCS_POLICY if path == "/docs" else CONTENT_SECURITY_POLICY
    headers = [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if (settings.public_url or "").startswith("https://"):
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    if path.startswith(NO_STORE_PREFIXES):
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeaders:
    """Pure ASGI: the headers of :func:`security_headers`, encoded once at start-up for each kind of path."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.plain = security_headers(settings, "/")
        self.docs = security_headers(settings, "/docs")
        self.no_store = security_headers(settings, NO_STORE_PREFIXES[0])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        no_store = path.startswith(NO_STORE_PREFIXES)
        added = self.no_store if no_store else self.docs if path == "/docs" else self.plain

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if no_store:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def body_limit(settings: Settings, content_type: str, path: str = "") -> int:
    """Largest body accepted: a file and a margin for multipart forms, 1 MiB for anything else."""
    if content_type.startswith("multipart/") and MONITORING_UPLOAD.fullmatch(path):
        return settings.mrv_upload_max_bytes + MULTIPART_MARGIN_BYTES
    if content_type.startswith("multipart/"):
        return settings.attachment_max_bytes + MULTIPART_MARGIN_BYTES
    return JSON_BODY_MAX_BYTES


class WatchedSend:
    """A ``send`` that notes whether the answer has started: after that, no other answer can be sent."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class BodyTooLarge(HTTPException):
    """Raised while a body streams past its limit; the framework passes it on to the error handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


def has_credentials(headers: dict[bytes, bytes]) -> bool:
    """Whether a request names someone (a bearer token or a session cookie), valid or not."""
    return b"authorization" in headers or b"c3p_session=" in headers.get(b"cookie", b"")


class BodyLimits:
    """Refuse a body over its limit before it is parsed or spooled: by Content-Length, or as it streams.

    Without credentials (a session cookie or a bearer token), a write to an API route that
    needs a signed-in user is refused before its body is read (``c3p.web.auth.api_writes``),
    and a multipart upload anywhere unless its route is in ``open_uploads`` (none is today:
    monitoring data needs an account too), so strangers cannot make the server read or spool
    what it will refuse anyway.
    """

    def __init__(self, app: ASGIApp, open_uploads: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.open_uploads = open_uploads
        self.writes: list[tuple[re.Pattern[str], frozenset[str], str | None]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = body_limit(scope["app"].state.settings, content_type, scope["path"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, "Payload too large", f"the request body is over {limit} bytes")
            return
        refusal = None if has_credentials(headers) else self._sign_in_refusal(scope)
        if refusal is not None:
            await _refuse(send, 401, "Authentication required", refusal)
            return
        if content_type.startswith("multipart/") and not self._credentialed(headers, scope["path"]):
            await _refuse(send, 401, "Authentication required", "sign in before sending files")
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        watched = WatchedSend(send)
        try:
            await self.app(scope, counting_receive, watched)
        except BodyTooLarge:
            if not watched.started:
                await _refuse(send, 413, "Payload too large", f"the request body is over {limit} bytes")

    def _credentialed(self, headers: dict[bytes, bytes], path: str) -> bool:
        if any(path.endswith(suffix) for suffix in self.open_uploads):
            return True
        return has_credentials(headers)

    def _sign_in_refusal(self, scope: Scope) -> str | None:
        """Why the public may not send this request, if the API route it reaches needs a signed-in user.

        The route is the one the router will pick (the first whose path and method match), so
        an unknown path or method keeps its 404 or 405, and an open route its answer.
        """
        if not scope["path"].startswith("/api/"):
            return None
        if self.writes is None:  # the routes are all in place once requests arrive
            self.writes = api_writes(scope["app"])
        for pattern, methods, refused in self.writes:
            if scope["method"] in methods and pattern.match(scope["path"]):
                return None if refused is None else could(Actor.public(), refused).reason
        return None


#: requests worth guessing at or flooding: limited per client address and path by rate_limit_sensitive
SENSITIVE_PATHS = frozenset({"/sign-in", "/password-reset", "/password-reset/confirm", "/api/v1/tokens"})
CODES = {401: "unauthenticated", 413: "payload-too-large", 429: "too-many-requests"}


def rate_kind(scope: Scope, headers: dict[bytes, bytes]) -> str | None:
    """Which limit a request counts against: sensitive, uploads, anonymous (API without credentials), or none."""
    path, method = scope["path"], scope["method"]
    if method == "POST" and path in SENSITIVE_PATHS:
        return "sensitive"
    if method not in ("GET", "HEAD", "OPTIONS") and headers.get(b"content-type", b"").startswith(b"multipart/"):
        return "uploads"
    if path.startswith("/api/") and not has_credentials(headers):
        return "anonymous"
    return None


#: the kinds of request counted, each by its setting ``rate_limit_<kind>``
RATE_KINDS = ("sensitive", "uploads", "anonymous")


def rate_limits(settings: Settings) -> dict[str, list[RateLimitItem]]:
    """Each kind's limits, read from its setting when the app is built: the middleware is built at the first
    request, when a rate that is not one would fail every request instead of the start."""
    found = {}
    for kind in RATE_KINDS:
        value = getattr(settings, f"rate_limit_{kind}")
        try:
            found[kind] = parse_many(value)
        except ValueError:
            name = variable(f"rate_limit_{kind}")
            raise InvalidInput(
                f"setting {name} ({value!r}): not a rate such as 60/minute, or 10/second;100/hour"
            ) from None
    return found


class RateLimits:
    """Pure ASGI: a window per client address for each kind of request; over it, 429 with Retry-After.

    Counted in this process's memory (``limits``), so a refused request costs no database write,
    by its asyncio storage: the threaded one starts a timer thread every 10 ms under load, which
    contends with the event loop for the interpreter and stretched the slowest answers.
    Sign-ins, tokens and uploads are counted exactly (a moving window keeps one entry per request,
    at most their few dozen a minute); the anonymous API by a sliding window counter, two numbers
    per address whatever its limit, so a busy or far-reaching client costs neither time nor memory
    per request (the moving window's entries made each hit slower as the window filled). The
    limits are parsed once, at start-up (:func:`rate_limits`); a setting may hold several (``10/second;100/hour``).
    """

    def __init__(self, app: ASGIApp, limits: dict[str, list[RateLimitItem]]) -> None:
        self.app = app
        exact, counted = MovingWindowRateLimiter(MemoryStorage()), SlidingWindowCounterRateLimiter(MemoryStorage())
        self.limiters: dict[str, RateLimiter] = {kind: counted if kind == "anonymous" else exact for kind in limits}
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = rate_kind(scope, {k.lower(): v for k, v in scope["headers"]})
        if kind is not None:
            keys = (kind, (scope.get("client") or ("",))[0], scope["path"] if kind == "sensitive" else "")
            limiter = self.limiters[kind]
            for item in self.limits[kind]:
                if not await limiter.hit(item, *keys):
                    await self._refuse(send, limiter, item, keys)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(send: Send, limiter: RateLimiter, item: RateLimitItem, keys: tuple[str, str, str]) -> None:
        wait = max(1, math.ceil((await limiter.get_window_stats(item, *keys)).reset_time - time.time()))
        detail = f"too many requests from your address; try again in {wait} seconds"
        await _refuse(send, 429, "Too many requests", detail, [(b"retry-after", str(wait).encode())])


async def _refuse(
    send: Send, status: int, title: str, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(
        {"type": f"https://c3p.invalid/problems/{CODES[status]}", "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def trusted_hosts(settings: Settings) -> list[str] | None:
    """The Host names requests may use: the public URL's and loopback; None when no public URL is set."""
    if not settings.public_url:
        return None
    host = urlparse(settings.public_url).hostname or ""
    return [host, "localhost", "127.0.0.1", "::1", "[::1]"]
