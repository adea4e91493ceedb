"""One typed settings object, read from ``C3P_*`` environment variables.

Every field carries its description; ``docs/settings.md`` is checked against them by a test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from c3p.catalogs import LANGUAGES
from c3p.errors import InvalidInput


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("c3p", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C3P_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the embedded SQLite database and generated files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database; default: SQLite file c3p.sqlite3 in data_dir. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    host: str = Field("127.0.0.1", description="Address `c3p serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `c3p serve` listens on (1 to 65535).")
    public_url: str | None = Field(
        None,
        description="The address people reach the portal at, e.g. https://c3p.example.org. Every link in e-mail "
        "and every absolute URL is built from it (never from the request's Host header), requests naming another "
        "host are refused (loopback names excepted), and HSTS is sent when it is https. Unset: links use "
        "http://host:port, and `c3p serve` warns when it listens on a non-loopback address.",
    )
    default_language: str = Field("ja", description="UI language when the browser states none (ja or en).")
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs CSRF tokens; default: a random key kept in data_dir/secret_key. "
        "Set it when several workers or hosts serve the portal.",
    )
    registry_signing_key: Path | None = Field(
        None,
        description="PEM file of the credit registry's Ed25519 key, which signs checkpoints of the journal head; "
        "default: data_dir/registry_signing_key.pem, created on first use with mode 0600.",
    )
    cooperative_approaches_file: Path | None = Field(
        None,
        description="Reviewed YAML file of each JCM partnership's Article 6.2 cooperative approach ID (partner, "
        "cooperative_approach_id, source, read_on), read instead of the built-in one; a report showing a "
        "partnership without an ID is a draft.",
    )
    cookie_secure: bool = Field(
        True, description="Send session cookies only over HTTPS (browsers treat localhost as secure)."
    )
    session_lifetime: dt.timedelta = Field(
        dt.timedelta(hours=12),
        gt=dt.timedelta(0),
        description="How long a sign-in lasts (ISO 8601 duration or seconds).",
    )
    sign_in_max_failures: int = Field(
        5,
        ge=0,
        description="Failed sign-ins for one account within sign_in_lockout before each further attempt must wait "
        "a growing delay (1 s, 2 s, 4 s … up to sign_in_max_delay). A completed password reset starts afresh.",
    )
    sign_in_max_delay: dt.timedelta = Field(
        dt.timedelta(minutes=1),
        ge=dt.timedelta(0),
        description="Longest wait one account is made to keep between sign-in attempts: a stranger who keeps "
        "failing slows the account down but cannot keep it locked.",
    )
    sign_in_max_failures_per_ip: int = Field(
        50,
        ge=0,
        description="Failed sign-ins from one client address within sign_in_lockout before its attempts wait a "
        "growing delay, up to sign_in_lockout.",
    )
    sign_in_lockout: dt.timedelta = Field(
        dt.timedelta(minutes=15),
        ge=dt.timedelta(0),
        description="Window for counting failed sign-ins and password-reset requests; longest delay of an address.",
    )
    password_reset_max_per_account: int = Field(
        3,
        ge=0,
        description="Password-reset mails sent to one account within sign_in_lockout; further requests send none.",
    )
    password_reset_max_per_ip: int = Field(
        20, ge=0, description="Password-reset requests from one client address within sign_in_lockout before 429."
    )
    rate_limit_sensitive: str = Field(
        "60/minute",
        description="Requests to sign in, reset a password or create a token, per client address and path "
        "(a `limits` expression such as 60/minute or 10/second;100/hour).",
    )
    rate_limit_uploads: str = Field("120/minute", description="Multipart uploads per client address.")
    rate_limit_anonymous: str = Field(
        "1200/minute", description="API requests without credentials (no session, no token) per client address."
    )
    password_reset_lifetime: dt.timedelta = Field(
        dt.timedelta(hours=1), gt=dt.timedelta(0), description="How long a password-reset link stays valid."
    )
    api_token_lifetime: dt.timedelta = Field(
        dt.timedelta(days=90), gt=dt.timedelta(0), description="Default lifetime of a new API token."
    )
    smtp_url: str | None = Field(
        None,
        description="SMTP server for e-mail, e.g. smtp://user:pass@host:587 (STARTTLS) or smtps://host:465; "
        "certificates are verified; only a relay on a loopback address may be used without TLS; "
        "unset: messages are written to outbox_dir.",
    )
    smtp_ca_file: Path | None = Field(
        None,
        description="PEM file of CA certificates to trust for the SMTP server besides the system's (on-premise CA).",
    )
    outbox_dir: Path | None = Field(
        None,
        description="Folder where e-mail is written as .eml files when smtp_url is unset; default data_dir/outbox.",
    )
    mail_from: str = Field("c3p@localhost", description="Sender address of e-mail from the platform.")
    admin_email: str | None = Field(
        None,
        description="With admin_password: the first administrator, created at `c3p serve`/`db init` if none exists.",
    )
    admin_password: SecretStr | None = Field(None, description="Password of the first administrator (see admin_email).")

    attachment_max_bytes: int = Field(
        10 * 1024 * 1024, ge=0, description="Largest file accepted as an attachment of an application or JCM project."
    )
    attachment_extensions: list[str] = Field(
        [".pdf", ".docx", ".xlsx", ".pptx", ".csv", ".txt", ".png", ".jpg", ".jpeg", ".zip"],
        description="File types accepted as attachments (by extension; contents are checked against the type). "
        'As JSON, e.g. [".pdf",".xlsx"].',
    )
    mrv_upload_max_bytes: int = Field(
        256 * 1024 * 1024,
        ge=0,
        description="Largest monitoring file accepted by the MRV calculate endpoint; larger files go through the CLI.",
    )
    mrv_upload_max_rows: int = Field(
        50_000_000, ge=0, description="Most monitoring rows the MRV calculate endpoint reads from one upload."
    )
    mrv_upload_max_unzipped_bytes: int = Field(
        1024 * 1024 * 1024,
        ge=0,
        description="Largest unzipped size of an uploaded xlsx (a zip): refuses a zip bomb before it is opened.",
    )
    deadline_reminder: dt.timedelta = Field(
        dt.timedelta(days=3),
        ge=dt.timedelta(0),
        description="How long before a call closes `c3p calls remind` warns the authors of unsubmitted drafts.",
    )

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        """A language the portal is written in: another would label English pages as it (``<html lang>``)."""
        if value not in LANGUAGES:
            raise ValueError(f"the portal speaks {' or '.join(LANGUAGES)}")
        return value

    @property
    def attachments_dir(self) -> Path:
        """Where attachment files are kept, named by their SHA-256."""
        return self.data_dir / "attachments"

    @property
    def base_url(self) -> str:
        """The start of every absolute URL: the public URL, else this server's own address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    def start_up_warnings(self, host: str) -> list[str]:
        """What an operator serving on ``host`` should know before people find links broken or sign-in failing."""
        warnings = []
        if not _is_loopback(host) and not self.public_url:
            warnings.append(
                f"C3P_PUBLIC_URL is unset while serving on {host}: links in e-mail will point at "
                f"{self.base_url} and any Host header is accepted. Set it to the address people use."
            )
        plain_http = not (self.public_url or "").startswith("https://")
        if self.cookie_secure and plain_http and not _is_loopback(host):
            warnings.append(
                "Session cookies are sent only over HTTPS (C3P_COOKIE_SECURE=true) but the portal is served over "
                "plain HTTP: browsers on other machines will not keep the sign-in. Serve it behind HTTPS and set "
                "C3P_PUBLIC_URL=https://…, or, on a trusted LAN only, set C3P_COOKIE_SECURE=false."
            )
        return warnings

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'c3p.sqlite3'}"

    @property
    def resolved_registry_signing_key(self) -> Path:
        return self.registry_signing_key or self.data_dir / "registry_signing_key.pem"

    @property
    def resolved_outbox_dir(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache
def get_settings() -> Settings:
    return load_settings()


def load_settings() -> Settings:
    """The settings from the environment; a value that is not valid is refused naming its variable and the rule
    it breaks (a secret's value is never repeated)."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidInput("; ".join(_problem(found) for found in error.errors())) from None
    except SettingsError as error:  # a value written as JSON that is not JSON
        field = re.search(r'field "(\w+)"', str(error))
        name = variable(field.group(1) if field else "")
        raise InvalidInput(f"setting {name} is written in JSON, and its value is not valid JSON") from None


def _problem(found: Any) -> str:
    field = str(found["loc"][0]) if found["loc"] else ""
    secret = Settings.model_fields[field].annotation in (SecretStr, SecretStr | None) if field else False
    written = {name.upper(): value for name, value in os.environ.items()}.get(variable(field), found["input"])
    value = "" if secret else f" ({written!r})"  # as written: a duration's parsed value would read as Python
    return f"setting {variable(field)}{value}: {found['msg'][:1].lower()}{found['msg'][1:]}"


def variable(field: str) -> str:
    """The environment variable of the setting ``field``."""
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()
