"""Tracking an adopted project: its activities, milestones and deliverables, and its status.

A project is one fiscal year's work; a multi-year plan is a chain of such projects, each
knowing its :class:`~c3p.program.rules.fiscal_years.PlanPosition` ("year 2 of 3").
"""

from __future__ import annotations

ACTIVITY_KINDS: dict[str, str] = {
    "feasibility_study": "Survey and feasibility study",
    "workshop": "Workshop",
    "seminar": "Seminar",
    "business_matching": "Business matching",
    "policy_support": "Policy support",
    "training": "Training",
}
ACTIVITY_STATES = ("planned", "done", "cancelled")
MILESTONE_KINDS = ("milestone", "deliverable")
PROJECT_STATES = ("planned", "in_progress", "completed", "suspended")
PROJECT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress", "suspended"),
    "in_progress": ("completed", "suspended"),
    "suspended": ("in_progress",),
    "completed": (),
}
