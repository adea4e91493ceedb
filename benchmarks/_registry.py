"""A credit registry to measure: holding accounts in Japan's registry, each holding credits.

Built through the real chain (a JCM project registered through the pipeline, monitoring data
computed by the MRV engine, a verification, one issuance), as the tests build theirs.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def prepare_registry(url: str, accounts: int, credits_each: int) -> list[str]:
    """A migrated database at ``url`` with ``accounts`` holding accounts of ``credits_each`` credits; their numbers."""
    from tests.support.credits import OPERATOR, create_jcm_project, create_organization, submit_report

    from c3p.credits import service, verification
    from c3p.credits.schemas import IssuanceNotice
    from c3p.db.database import Database
    from c3p.settings import Settings

    database = Database(url)
    database.upgrade()
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="c3p-bench-")))
    create_jcm_project(database, settings)
    total = accounts * credits_each
    report = submit_report(database, settings, total, dt.date(2025, 1, 1))
    with database.unit_of_work() as session:
        create_organization(session, "bench")
        numbers = [
            service.open_account(session, OPERATOR, "JPN", "government_holding", "bench").number
            for _ in range(accounts)
        ]
        verification.verify(session, OPERATOR, report.id, total, "fair")
        allocation = tuple({"account": n, "credits": credits_each} for n in numbers)
        notice = IssuanceNotice(notification_ref="BENCH", report_id=report.id, credits=total, allocation=allocation)  # type: ignore[arg-type]
        service.issue(session, OPERATOR, notice)
    database.dispose()
    return numbers
