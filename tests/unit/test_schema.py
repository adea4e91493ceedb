"""c3p's pydantic models are built on first use (``c3p.schema.Schema``): each still builds, and
threads using one for the first time at once all get the right result."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap

import c3p
from c3p.schema import Schema

#: a fresh interpreter: sixteen threads released at once validate and dump models none has used yet
FIRST_USE_AT_ONCE = textwrap.dedent(
    """
    import json
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from c3p.credits.schemas import IssuanceNotice, ReportView

    NOTICE = {"notification_ref": "JC-1", "report_id": 7, "credits": 30,
              "allocation": [{"account": "JPN-G-000001", "credits": 20}, {"account": "MNG-H-000002", "credits": 10}]}
    REPORT = {"id": 1, "project": "mn-001", "host_country": "MN", "period_number": 1, "methodology_id": "MN_AM001",
              "methodology_version": "1.0", "period_start": "2025-04-01", "period_end": "2026-03-31", "inputs": [],
              "emission_reductions_tco2": 30, "input_sha256": "0" * 64,
              "status": "verified", "submitted_by": "pp@example.org",
              "findings": [{"id": 3, "report_id": 1, "kind": "clarification_request", "text": "why?",
                            "status": "closed", "raised_by": "tpe@example.org"}]}
    unbuilt = [model.__name__ for model in (IssuanceNotice, ReportView) if not model.__pydantic_complete__]
    start = Barrier(16)

    def first_use(index):
        start.wait()
        if index % 2:
            return IssuanceNotice.model_validate(NOTICE).model_dump(mode="json")
        return ReportView.model_validate(REPORT).for_visitor().model_dump(mode="json")

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(first_use, range(16)))
    print(json.dumps({"unbuilt": unbuilt, "answers": answers}))
    """
)


def test_every_model_builds() -> None:
    """A model that cannot be built fails here, as it failed at import before its build was deferred."""
    for module in pkgutil.walk_packages(c3p.__path__, "c3p."):
        if not module.name.endswith(".__main__"):  # runs the command line
            importlib.import_module(module.name)
    models = [model for model in all_subclasses(Schema) if model.__module__.startswith("c3p.")]
    assert len(models) > 80
    for model in models:
        model.model_rebuild()
        assert model.__pydantic_complete__, model


def test_threads_using_models_for_the_first_time_at_once_all_get_the_right_result() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run(
        [sys.executable, "-c", FIRST_USE_AT_ONCE], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    assert outcome["unbuilt"] == ["IssuanceNotice", "ReportView"]
    notice, report = outcome["answers"][1], outcome["answers"][0]
    assert notice["credits"] == 30 and [line["credits"] for line in notice["allocation"]] == [20, 10]
    assert notice["first_transfer"] is None and notice["model_project"] is True
    assert report["submitted_by"] == "" and report["findings"][0]["status"] == "closed"
    assert outcome["answers"] == [report, notice] * 8


def all_subclasses(model: type[Schema]) -> list[type[Schema]]:
    found = []
    for subclass in model.__subclasses__():
        found += [subclass, *all_subclasses(subclass)]
    return found
