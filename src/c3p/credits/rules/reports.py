"""Rules of monitoring reports: periods, recomputed records, verification and its findings.

A JCM project's monitoring periods are numbered by the registry (1, 2, …), have dates and
never overlap, and one set of monitoring inputs backs one period only: otherwise the same
tonnes could be verified, and issued, twice. A record handed in is compared with the MRV
engine's result on the stored inputs, field by field. Verification is a record of the
assigned TPE: the verified amount (never above the claimed one), an opinion and findings;
the submitter never verifies it and its verifier never issues on it.

>>> earlier = [Period(1, 7, dt.date(2025, 1, 1), dt.date(2025, 6, 30), "a" * 64)]
>>> next_period_number(earlier)
2
>>> check_new_period(earlier, dt.date(2025, 6, 30), dt.date(2025, 12, 31), "b" * 64)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
c3p.errors.Conflict: the monitoring period 2025-06-30 to 2025-12-31 overlaps period 1 ... of monitoring report 7
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from c3p.accounts.rules.policy import Actor
from c3p.errors import Conflict, Forbidden, InvalidInput
from c3p.messages import N_, Message


class Period(NamedTuple):
    """A monitoring period already reported for the project."""

    number: int
    report_id: int
    start: dt.date
    end: dt.date
    input_sha256: str


class FindingKind(StrEnum):
    """What a TPE raises during verification (JCM verification practice)."""

    corrective_action_request = "corrective_action_request"
    clarification_request = "clarification_request"
    forward_action_request = "forward_action_request"


class FindingStatus(StrEnum):
    open = "open"
    closed = "closed"


class ReportStatus(StrEnum):
    submitted = "submitted"
    verified = "verified"
    used = "used"


#: the numbers of a record that must agree with the engine's result on the stored inputs
COMPARED_FIELDS = (
    "methodology_id",
    "period_start",
    "period_end",
    "reference_emissions_tco2",
    "project_emissions_tco2",
    "emission_reductions_unrounded_tco2",
    "emission_reductions_tco2",
    "provenance.methodology_version",
    "provenance.methodology_sha256",
    "provenance.input_files",
)


def next_period_number(periods: Iterable[Period]) -> int:
    """Periods are numbered by the registry, one after the other."""
    return max((p.number for p in periods), default=0) + 1


def check_new_period(periods: Sequence[Period], start: dt.date, end: dt.date, input_sha256: str) -> None:
    """A new period has dates in order, does not overlap an earlier one, nor reuses its inputs."""
    if end < start:
        refusal = N_("the monitoring period ends (%(end)s) before it starts (%(start)s)")
        raise InvalidInput(Message(refusal, {"start": start.isoformat(), "end": end.isoformat()}), field="period")
    for earlier in periods:
        if earlier.input_sha256 == input_sha256:
            refusal = N_(
                "these monitoring inputs were already reported as period %(period)s (monitoring report %(report)s)"
            )
            raise Conflict(Message(refusal, {"period": earlier.number, "report": earlier.report_id}))
        if start <= earlier.end and earlier.start <= end:
            refusal = N_(
                "the monitoring period %(start)s to %(end)s overlaps period %(period)s "
                "(%(earlier_start)s to %(earlier_end)s) of monitoring report %(report)s"
            )
            dates = {"earlier_start": earlier.start.isoformat(), "earlier_end": earlier.end.isoformat()}
            values = {"start": start.isoformat(), "end": end.isoformat(), "period": earlier.number}
            raise Conflict(Message(refusal, {**values, **dates, "report": earlier.report_id}))


def _field(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if path == "provenance.input_files" and isinstance(value, Mapping):
        return sorted(str(digest) for digest in value.values())  # file names differ, contents may not
    return value


def record_differences(claimed: Mapping[str, Any], recomputed: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """The compared fields where a record handed in differs from the recomputed one: (field, claimed, recomputed).

    >>> record_differences({"emission_reductions_tco2": 999}, {"emission_reductions_tco2": 245})[-1]
    ('emission_reductions_tco2', 999, 245)
    """
    found = []
    for name in COMPARED_FIELDS:
        mine, theirs = _field(claimed, name), _field(recomputed, name)
        if mine != theirs:
            found.append((name, mine, theirs))
    return found


def check_record_matches(claimed: Mapping[str, Any], recomputed: Mapping[str, Any]) -> None:
    """Refuse a record handed in unless recomputing its stored inputs gives the same numbers."""
    differences = record_differences(claimed, recomputed)
    if differences:
        refusal = N_("the record does not match the recomputation of its monitoring data: %(differences)s")
        listed = "; ".join(f"{name}: claimed {mine!r}, recomputed {theirs!r}" for name, mine, theirs in differences)
        raise InvalidInput(
            Message(refusal, {"differences": listed}),
            field="record",
            differences=[{"field": n, "claimed": m, "recomputed": t} for n, m, t in differences],
        )


#: more than the world emits in decades: a claim above it is bad data, never a credit
MAX_REDUCTIONS_TCO2 = 10**12


def check_claimed_reductions(reductions_tco2: object) -> None:
    """The engine's emission reductions are a whole number of tonnes within the documented bound."""
    if (
        isinstance(reductions_tco2, bool)
        or not isinstance(reductions_tco2, int)
        or abs(reductions_tco2) > MAX_REDUCTIONS_TCO2
    ):
        refusal = N_("the emission reductions %(reductions)s are not a whole number of tonnes up to %(limit)s")
        raise InvalidInput(
            Message(refusal, {"reductions": reductions_tco2, "limit": MAX_REDUCTIONS_TCO2}), field="monitoring"
        )


def check_verified_amount(verified_tco2: int, claimed_tco2: int) -> None:
    """The verified amount is a whole number of tonnes, at most the claimed reductions."""
    if isinstance(verified_tco2, bool) or not isinstance(verified_tco2, int) or verified_tco2 < 0:
        raise InvalidInput(N_("the verified amount is a whole number of tonnes, at least 0"), field="verified_tco2")
    if verified_tco2 > claimed_tco2:
        refusal = N_("the verified amount (%(verified)s tCO2) exceeds the claimed reductions (%(claimed)s tCO2)")
        raise InvalidInput(
            Message(refusal, {"verified": verified_tco2, "claimed": claimed_tco2}), field="verified_tco2"
        )


class Party(NamedTuple):
    """A person acting on a report: their user id and organization (None for the server's operator)."""

    user_id: int | None
    organization: str | None

    def same_as(self, other: Party) -> bool:
        """Same person, or same organization; the operator on the server is nobody's party."""
        same_user = self.user_id is not None and self.user_id == other.user_id
        return same_user or (self.organization is not None and self.organization == other.organization)


def party(actor: Actor) -> Party:
    """Who acts, for segregation of duties (the server's operator is nobody's party)."""
    return Party(None, None) if actor.system else Party(actor.user_id, actor.organization)


def check_not_submitter(verifier: Party, submitter: Party, report_id: int) -> None:
    """Segregation of duties: who submitted a report (person or organization) never verifies it."""
    if verifier.same_as(submitter):
        refusal = N_("monitoring report %(report)s was submitted by you or your organization; it cannot verify it")
        raise Forbidden(Message(refusal, {"report": report_id}))


def check_assigned_verifier(organization: str | None, assigned: str | None, system: bool, project: str) -> None:
    """Only the TPE assigned to the JCM project verifies its reports (and one must be assigned)."""
    if not assigned:
        refusal = N_(
            "no TPE is assigned to verify JCM project %(project)s; the Joint Committee or secretariat assigns one"
        )
        raise Conflict(Message(refusal, {"project": project}))
    if not system and organization != assigned:
        refusal = N_("only %(tpe)s, the TPE assigned to JCM project %(project)s, may verify its reports")
        raise Forbidden(Message(refusal, {"tpe": assigned, "project": project}))


def check_not_verifier(issuer: Party, verifier: Party, report_id: int) -> None:
    """Segregation of duties: who verified a report never issues credits on it."""
    if issuer.same_as(verifier):
        refusal = N_("monitoring report %(report)s was verified by you or your organization; it cannot issue on it")
        raise Forbidden(Message(refusal, {"report": report_id}))


def check_no_open_corrective_action(report_id: int, open_requests: int) -> None:
    """Issuance waits until every corrective action request on the report is closed."""
    if open_requests:
        refusal = N_("monitoring report %(report)s has %(count)s open corrective action request(s); close them first")
        raise Conflict(Message(refusal, {"report": report_id, "count": open_requests}))


def finding_kind(kind: str) -> FindingKind:
    try:
        return FindingKind(kind)
    except ValueError:
        refusal = N_("unknown finding kind '%(kind)s'; kinds: %(kinds)s")
        raise InvalidInput(Message(refusal, {"kind": kind, "kinds": ", ".join(FindingKind)}), field="kind") from None
