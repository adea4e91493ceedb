"""The JCM pipeline: a JCM project's states and the steps between them.

States follow the JCM project cycle (reference/jcm-facts.md §1.2) from the program's side:
an idea, a feasibility study (often a C3P project), a Model Project application to GEC, its
adoption, installation, then the JCM cycle proper (PDD, validation, registration, monitoring,
verification, issuance). After an issuance the next monitoring period starts. A project can
be withdrawn before it is registered, and an application that is not adopted goes back to
the feasibility study.

Who may take each step is the policy's business: the step into state ``s`` is the action
``jcm.move.<s>`` in :mod:`c3p.accounts.rules.actions`. Documents a step needs are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from c3p.messages import N_, Message, Refused
from c3p.workflow.rules.calls import allowed_next

STATES = (
    "idea",
    "feasibility_study",
    "model_project_application",
    "adopted",
    "installed",
    "pdd",
    "validation",
    "registration",
    "monitoring",
    "verification",
    "issuance",
    "withdrawn",
)

#: the main line, in order
MAIN_LINE = STATES[:-1]

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "idea": ("feasibility_study", "withdrawn"),
    "feasibility_study": ("model_project_application", "withdrawn"),
    "model_project_application": ("adopted", "feasibility_study", "withdrawn"),
    "adopted": ("installed", "withdrawn"),
    "installed": ("pdd", "withdrawn"),
    "pdd": ("validation", "withdrawn"),
    "validation": ("registration", "pdd"),
    "registration": ("monitoring",),
    "monitoring": ("verification",),
    "verification": ("issuance", "monitoring"),
    "issuance": ("monitoring",),
    "withdrawn": (),
}

#: documents (attachment kinds) that must be on the record before a step into the state
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "model_project_application": ("model_project_application",),
    "adopted": ("grant_decision",),
    "installed": ("commissioning_report",),
    "validation": ("pdd",),
    "registration": ("validation_report",),
    "verification": ("monitoring_report",),
    "issuance": ("verification_report",),
}

#: states from which the Model Project counts as adopted (the program's KPI)
REALIZED = frozenset(STATES[STATES.index("adopted") : STATES.index("withdrawn")])

LABELS_EN = {
    "idea": "Idea",
    "feasibility_study": "Feasibility study",
    "model_project_application": "Model Project application",
    "adopted": "Model Project adopted",
    "installed": "Installed",
    "pdd": "PDD",
    "validation": "Validation",
    "registration": "Registration",
    "monitoring": "Monitoring",
    "verification": "Verification",
    "issuance": "Issuance",
    "withdrawn": "Withdrawn",
}


class IllegalStep(Refused):
    """A step the state machine does not allow, or one whose documents are missing."""


@dataclass(frozen=True)
class Step:
    from_state: str
    to_state: str

    @property
    def action(self) -> str:
        return mover_action(self.to_state)


def mover_action(to_state: str) -> str:
    """The policy action guarding a step into ``to_state``."""
    return f"jcm.move.{to_state}"


def next_states(state: str) -> tuple[str, ...]:
    return TRANSITIONS.get(state, ())


def unknown_state(state: str) -> Message:
    return Message(N_("Unknown state '%(state)s'; states: %(states)s."), {"state": state, "states": ", ".join(STATES)})


def check_step(current: str, wanted: str, documents: set[str] | frozenset[str] = frozenset()) -> Step:
    """The step ``current → wanted`` if the machine allows it and its documents are present.

    >>> check_step("idea", "feasibility_study")
    Step(from_state='idea', to_state='feasibility_study')
    >>> check_step("idea", "issuance")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    c3p.workflow.rules.pipeline.IllegalStep: A JCM project cannot move from idea to issuance; allowed next: ...
    """
    if wanted not in STATES:
        raise IllegalStep(unknown_state(wanted))
    allowed = next_states(current)
    if wanted not in allowed:
        refusal = N_("A JCM project cannot move from %(current)s to %(wanted)s; %(nexts)s.")
        raise IllegalStep(
            Message(refusal, {"current": current, "wanted": wanted, "nexts": allowed_next(current, allowed)})
        )
    missing = [kind for kind in REQUIRED_DOCUMENTS.get(wanted, ()) if kind not in documents]
    if missing:
        refusal = N_("Moving to %(wanted)s needs these documents first: %(missing)s.")
        raise IllegalStep(Message(refusal, {"wanted": wanted, "missing": ", ".join(missing)}))
    return Step(current, wanted)
