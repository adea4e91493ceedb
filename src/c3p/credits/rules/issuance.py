"""The rules a Joint Committee notification of issuance must meet before credits are issued.

Pure checks, called by the credit service with what it read: the report is verified, the
notification asks for no more than the report's verified reductions left, the allocation adds
up with each account once, and a Model Project delivers at least half to Japan's government.
"""

from __future__ import annotations

from collections.abc import Sequence

from c3p.errors import Conflict, InvalidInput
from c3p.messages import N_, Message

#: monitoring report statuses that may be issued against
ISSUABLE = ("verified", "used")


def check_report_verified(report_id: int, status: str) -> None:
    if status not in ISSUABLE:
        refusal = N_("monitoring report %(report)s is %(status)s; a TPE must verify it before issuance")
        raise Conflict(Message(refusal, {"report": report_id, "status": status}))


def check_within_verified(credits: int, report_id: int, verified_tco2: int, issued: int) -> None:
    """The credits asked for fit in the report's verified reductions not yet issued."""
    remaining = verified_tco2 - issued
    if credits > remaining:
        refusal = N_(
            "notification asks for %(credits)s credits but report %(report)s has only %(remaining)s "
            "verified reductions left (%(verified)s tCO2 verified, %(issued)s issued)"
        )
        counts = {"credits": credits, "remaining": remaining, "issued": issued}
        raise Conflict(Message(refusal, {**counts, "report": report_id, "verified": verified_tco2}))


def check_allocation(credits: int, lines: Sequence[tuple[str, int]]) -> None:
    """The allocation's (account, credits) lines sum to ``credits`` and name each account once."""
    allocated = sum(amount for _account, amount in lines)
    if allocated != credits:
        refusal = N_("the allocation sums to %(allocated)s, not %(credits)s")
        raise InvalidInput(Message(refusal, {"allocated": allocated, "credits": credits}))
    numbers = [account for account, _amount in lines]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput(N_("an account appears twice in the allocation"))


def check_model_project_share(model_project: bool, credits: int, to_japan: int) -> None:
    """A Model Project delivers at least half of its credits to Japan's government holding accounts."""
    if model_project and 2 * to_japan < credits:
        refusal = N_(
            "a Model Project delivers at least half of its credits to the Government of Japan: "
            "%(to_japan)s of %(credits)s allocated to Japan's government holding accounts"
        )
        raise InvalidInput(Message(refusal, {"to_japan": to_japan, "credits": credits}))
