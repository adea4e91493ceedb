"""Exit outcomes (出口戦略の成果) and the program's KPI computed from their links.

An outcome is something a partner place or a project gained because of program projects: a
JCM Model Project application or adoption, financing from JICA, a development bank or private
investors, a policy or plan adopted by the partner place, a declaration or pledge (e.g. Race
to Zero). Each outcome links to the projects that led to it. The KPI "JCM projects realized
through the program" counts the distinct JCM projects that reached Model Project adoption
(or any later state) and are linked to at least one program project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from c3p.messages import N_, Message, Refused
from c3p.workflow.rules.pipeline import REALIZED

OUTCOME_KINDS: dict[str, str] = {
    "jcm_model_project_application": "JCM Model Project application",
    "jcm_model_project_adoption": "JCM Model Project adoption",
    "financing_jica": "Financing from JICA",
    "financing_development_bank": "Financing from a development bank",
    "financing_private": "Private financing",
    "policy": "Policy adopted by the partner place",
    "plan": "Plan adopted by the partner place",
    "declaration": "Decarbonization declaration",
    "pledge": "Pledge (e.g. Race to Zero)",
}
FINANCING_KINDS = frozenset(k for k in OUTCOME_KINDS if k.startswith("financing_"))
JCM_KINDS = frozenset({"jcm_model_project_application", "jcm_model_project_adoption"})


class OutcomeRefused(Refused):
    """An outcome the rules refuse (the service answers 422)."""


def check_outcome(kind: str, linked_projects: int, amount_jpy: int | None, jcm_project: str | None) -> None:
    """Refuse an outcome that names no project, an unknown kind, or details that do not fit its kind."""
    if kind not in OUTCOME_KINDS:
        refusal = N_("Unknown outcome kind '%(kind)s'; kinds: %(kinds)s.")
        raise OutcomeRefused(Message(refusal, {"kind": kind, "kinds": ", ".join(OUTCOME_KINDS)}))
    if linked_projects < 1:
        raise OutcomeRefused(N_("Link the outcome to at least one program project that led to it."))
    if amount_jpy is not None and kind not in FINANCING_KINDS:
        raise OutcomeRefused(N_("Only financing outcomes carry an amount."))
    if amount_jpy is not None and amount_jpy < 0:
        raise OutcomeRefused(N_("An amount cannot be negative."))
    if jcm_project and kind not in JCM_KINDS:
        raise OutcomeRefused(N_("Only JCM outcomes link a JCM project."))


@dataclass(frozen=True)
class JcmLink:
    jcm_project: str
    state: str
    linked_program_projects: int


def jcm_projects_realized(links: Iterable[JcmLink]) -> int:
    """The KPI: distinct JCM projects adopted (or further) that program projects led to.

    >>> jcm_projects_realized([JcmLink("a", "adopted", 1), JcmLink("b", "idea", 2),
    ...                        JcmLink("c", "issuance", 0), JcmLink("a", "adopted", 1)])
    1
    """
    return len({link.jcm_project for link in links if link.state in REALIZED and link.linked_program_projects > 0})
