"""Retirement certificates: the signed facts of a retirement, as a bilingual PDF, and their check.

The facts come from the journal alone (:func:`facts_of`): the retirement entry, its serial
ranges' issuances (sealed into the journal) and their Article 6.2 labels at that moment, read
from the ranges' history (:mod:`c3p.credits.rules.history`). They are signed with the registry's
key (:mod:`c3p.credits.checkpoints`) and typeset offline by Typst with a Japanese font found on
the machine; the signed certificate travels inside the PDF as an attachment, so
:func:`check_pdf` reads it back and :func:`check` compares it, fact by fact, with the journal.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.credits import checkpoints
from c3p.credits.history import entries_touching, replayed
from c3p.credits.rules import certificates as rules
from c3p.credits.rules.article6 import is_use
from c3p.credits.rules.checkpoints import public_hex
from c3p.credits.rules.holding_accounts import AccountKind
from c3p.credits.rules.journal import canonical
from c3p.credits.rules.serials import DEFAULT_FORMAT, SerialFormat
from c3p.credits.rules.transactions import Entry, TransactionKind
from c3p.credits.schemas import CertificateCheck
from c3p.credits.tables import CreditAccount, CreditCheckpoint, CreditIssuance, CreditRegistry, JournalEntry
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message

#: Japanese font families the certificate may be set in, in order of preference
JAPANESE_FAMILIES = ("Noto Sans CJK JP", "Noto Serif CJK JP", "IPAexGothic", "IPAGothic", "Source Han Sans JP")
#: where Debian and others put them, if fontconfig cannot say
FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/opentype/ipaexfont-gothic",
    "/usr/share/fonts/truetype/fonts-japanese-gothic",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
)
ATTACHMENT = "certificate.json"


#: the largest journal entry number (the column is a 32-bit integer on PostgreSQL)
MAX_SEQ = 2**31 - 1


def _retirement(session: Session, seq: int) -> Entry:
    row = session.get(JournalEntry, seq) if 1 <= seq <= MAX_SEQ else None
    if row is None or row.kind != str(TransactionKind.retirement):
        raise NotFound(Message(N_("journal entry %(seq)s is not a retirement"), {"seq": seq}), field="retirement")
    return Entry.from_json(json.loads(row.entry))


def facts_of(session: Session, seq: int, fmt: SerialFormat = DEFAULT_FORMAT) -> rules.Facts:
    """What the journal proves of retirement ``seq``; ``NotFound`` if that entry is no retirement."""
    entry = _retirement(session, seq)
    to_account = session.get(CreditAccount, entry.moves[0].to_account)
    from_account = session.get(CreditAccount, entry.moves[0].from_account)
    assert to_account is not None and from_account is not None
    registry = to_account.registry_code
    ranges = []
    for move in entry.moves:
        issuance = session.get(CreditIssuance, move.issuance_id)
        assert issuance is not None
        found = replayed(entries_touching(session, issuance, until=seq), move.registry, move.start, move.end)
        (leaf,) = found.leaves()  # the retirement moved this whole range: it is one node
        host, code, period = issuance.host_country, issuance.serial_code, issuance.period_number
        ranges.append(
            rules.RetiredRange(
                serials=fmt.block(move.registry, host, code, period, move.start, move.end),
                credits=move.credits,
                issuance=issuance.notification_ref,
                project=issuance.project,
                host_country=host,
                vintage_year=issuance.vintage_year,
                authorized=leaf.authorized,
                first_transferred=leaf.first_transferred,
                use_adjusted=is_use(leaf.authorized, host, registry, AccountKind.retirement),
            )
        )
    return rules.Facts(
        retirement=seq,
        key=entry.key,
        retired_at=entry.occurred_at,
        registry=registry,
        account=from_account.number,
        beneficiary=str(entry.details.get("beneficiary", "")),
        purpose=str(entry.details.get("purpose", "")),
        credits=entry.credits,
        ranges=tuple(ranges),
    )


def certificate(session: Session, seq: int, key_path: Path | None = None) -> rules.Certificate:
    """Retirement ``seq``'s facts, signed with the registry's key (the same signature every time)."""
    return rules.sign(checkpoints.signing_key(key_path), facts_of(session, seq))


def _published_keys(session: Session, key_path: Path | None) -> set[str]:
    """The registry's public keys: the current one and every one its checkpoints were signed with."""
    keys = set(session.scalars(select(CreditCheckpoint.public_key).distinct()))
    path = key_path or checkpoints.key_file()
    if path.exists():
        keys.add(public_hex(checkpoints.signing_key(path)))
    return keys


def check(session: Session, signed: rules.Certificate, key_path: Path | None = None) -> CertificateCheck:
    """Whether ``signed`` holds: its signature, its key, and every fact against the journal."""
    problems = []
    if not rules.signature_holds(signed):
        problems.append("bad signature: the facts are not those the registry signed")
    elif signed.public_key not in _published_keys(session, key_path):
        problems.append("the signing key is not one this registry ever published")
    seq = signed.facts["retirement"]
    try:
        journal = facts_of(session, seq).to_json()
    except NotFound:
        problems.append(f"unknown retirement: journal entry {seq} is not a retirement")
    else:
        problems += rules.differences(signed.facts, journal)
    return CertificateCheck(ok=not problems, code=signed.code, retirement=seq, problems=problems)


def check_code(session: Session, code: str, key_path: Path | None = None) -> CertificateCheck:
    """Whether ``code`` is the code of a retirement as the journal records it today."""
    registry, seq = rules.parse_code(code)
    try:
        signed = certificate(session, seq, key_path)
    except NotFound:
        problem = f"unknown retirement: journal entry {seq} is not a retirement"
        return CertificateCheck(ok=False, code=code.strip().upper(), retirement=seq, problems=[problem])
    problems = []
    if signed.facts["registry"] != registry:
        problems.append(f"registry: the code says {registry}, the journal {signed.facts['registry']}")
    if signed.code != code.strip().upper():
        problems.append("the code does not match the retirement's facts as the journal records them")
    return CertificateCheck(ok=not problems, code=code.strip().upper(), retirement=seq, problems=problems)


# ---------------------------------------------------------------- the PDF


@lru_cache(maxsize=1)
def japanese_font() -> tuple[Any, str]:
    """The fonts of a folder holding a Japanese font (for Typst), and that font's family; ``Conflict`` if none.

    The folder is found at run time: where fontconfig puts the families of :data:`JAPANESE_FAMILIES`,
    else the usual folders (:data:`FONT_DIRS`).
    """
    import typst

    for folder in dict.fromkeys([*_fontconfig_folders(), *FONT_DIRS]):
        if not Path(folder).is_dir():
            continue
        fonts = typst.Fonts(include_system_fonts=False, font_paths=[folder])
        families = set(fonts.families())
        for family in JAPANESE_FAMILIES:
            if family in families:
                return fonts, family
    refusal = N_("no Japanese font is installed for certificates (looked for %(families)s); install fonts-noto-cjk")
    raise Conflict(Message(refusal, {"families": ", ".join(JAPANESE_FAMILIES)}))


def _fontconfig_folders() -> list[str]:
    if shutil.which("fc-match") is None:
        return []
    found: list[str] = []
    for family in JAPANESE_FAMILIES:
        try:
            done = subprocess.run(
                ["fc-match", "-f", "%{file}", f"{family}:lang=ja"], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return found
        if done.returncode == 0 and done.stdout.strip():
            found.append(str(Path(done.stdout.strip()).parent))
    return found


def pdf(session: Session, signed: rules.Certificate) -> bytes:
    """The certificate as a PDF in Japanese and English, with the signed certificate attached."""
    import segno
    import typst

    fonts, family = japanese_font()
    registry = session.get(CreditRegistry, signed.facts["registry"])
    view = _view(signed, family, registry.name_en if registry else "", registry.name_ja if registry else "")
    qr = io.BytesIO()
    segno.make(signed.code, error="m").save(qr, kind="svg", border=0, scale=4)
    template = Path(str(resources.files("c3p.credits").joinpath("data/retirement_certificate.typ")))
    inputs = {
        "view": json.dumps(view, ensure_ascii=False),
        "certificate": json.dumps(signed.to_json()),
        "qr": qr.getvalue().decode(),
    }
    return bytes(typst.compile(template, font_paths=fonts, ignore_system_fonts=True, sys_inputs=inputs))


def _view(signed: rules.Certificate, family: str, name_en: str, name_ja: str) -> dict[str, Any]:
    facts = signed.facts
    return {
        **facts,
        "font": family,
        "code": signed.code,
        "credits": f"{facts['credits']:,}",
        "date": str(facts["retired_at"])[:10],
        "registry_name": name_en or facts["registry"],
        "registry_name_ja": name_ja or name_en or facts["registry"],
        "public_key": _breakable(signed.public_key),
        "signature": _breakable(signed.signature),
        "facts_text": _breakable(canonical(facts)),
        "ranges": [{**r, "credits": f"{r['credits']:,}", **_labels(r, facts["registry"])} for r in facts["ranges"]],
        "explanation_ja": "この証明書の事実は登録簿の署名鍵（Ed25519）で署名され、本PDFに添付されています。"
        "登録簿の取引記録と照合するには、検証コードまたは本PDFを c3p registry verify-certificate で確認してください。",
        "explanation_en": "The facts of this certificate are signed with the registry's Ed25519 key and attached "
        "to this PDF. To check them against the registry's journal, give the verification code or this PDF to "
        "c3p registry verify-certificate.",
        "footer_ja": f"{name_ja or facts['registry']} 償却証明書 {signed.code}",
        "footer_en": f"Retirement certificate {signed.code}, issued from the journal of the registry",
    }


def _breakable(text: str, every: int = 16) -> str:
    """Long unbroken text (hex, JSON) with zero-width spaces, so that the PDF can wrap it."""
    return "\u200b".join(text[i : i + every] for i in range(0, len(text), every))


def _labels(r: dict[str, Any], registry: str) -> dict[str, str]:
    ja = ["承認済み" if r["authorized"] else "承認なし"]
    en = ["authorized" if r["authorized"] else "not authorized"]
    if r["first_transferred"]:
        ja.append("初回移転済み")
        en.append("first transferred")
    if r["use_adjusted"]:
        ja.append(f"相当調整の対象（{registry}による使用）")
        en.append(f"correspondingly adjusted (used by {registry})")
    return {"labels_ja": "・".join(ja), "labels_en": ", ".join(en)}


def read_pdf(data: bytes) -> rules.Certificate:
    """The signed certificate attached to a certificate PDF; ``InvalidInput`` saying what is missing."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attached = PdfReader(io.BytesIO(data)).attachments.get(ATTACHMENT)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise InvalidInput(Message(N_("this is not a readable PDF (%(error)s)"), {"error": str(error)})) from None
    if not attached:
        raise InvalidInput(N_("this PDF carries no retirement certificate"), field="certificate")
    try:
        body = json.loads(attached[0])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput(N_("the certificate attached to this PDF is not JSON"), field="certificate") from None
    return rules.parse(body)
