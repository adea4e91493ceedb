"""Tracking an adopted project: its activities, milestones and deliverables, and its status.

A project is one fiscal year's work; a multi-year plan is a chain of such projects, each
knowing its :class:`~c3p.program.rules.fiscal_years.PlanPosition` ("year 2 of 3").
"""

from __future__ import annotations

#: what a year of the program is made of (brochure: 案件の発掘・形成調査、制度構築支援、人材育成;
#: the projects' pages: 現地調査, ワークショップ, オンライン会議, セミナー, 報告書)
ACTIVITY_KINDS: dict[str, str] = {
    "feasibility_study": "Survey and feasibility study",
    "site_visit": "Site visit",
    "workshop": "Workshop",
    "online_meeting": "Online meeting",
    "seminar": "Seminar",
    "report": "Report",
    "business_matching": "Business matching",
    "policy_support": "Policy support",
    "training": "Training",
}
ACTIVITY_STATES = ("planned", "done", "cancelled")
#: what the grant is spent on (whole JPY each)
EXPENSE_CATEGORIES = ("travel", "personnel", "meetings", "equipment", "subcontracting", "other")
MILESTONE_KINDS = ("milestone", "deliverable")
PROJECT_STATES = ("planned", "in_progress", "completed", "suspended")
PROJECT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress", "suspended"),
    "in_progress": ("completed", "suspended"),
    "suspended": ("in_progress",),
    "completed": (),
}
