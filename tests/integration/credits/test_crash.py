"""A process killed (SIGKILL) in the middle of a large issuance leaves no trace of it.

The child opens its own engine, issues 10 million credits to 60 accounts and is killed at
two points: after the blocks and balances are written but before the journal entry, and
after everything is written but before the commit. On restart ``verify`` is clean and the
issuance, its blocks and its journal entry are all absent; the same notification then
issues normally.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from c3p.credits import service
from c3p.credits.tables import CreditBlock, CreditIssuance, JournalEntry
from c3p.credits.verify import verify
from tests.support.credits import OPERATOR, Registry, create_report

ROOT = Path(__file__).resolve().parents[3]
CHILD = """
import json, os, signal, sys, time
from c3p.db.database import Database
from c3p.credits import service, store
from c3p.credits.schemas import IssuanceNotice
from tests.support.credits import OPERATOR

url, point, notice = sys.argv[1], sys.argv[2], IssuanceNotice.model_validate_json(sys.argv[3])
if point == "before-journal":
    def killed(self, *args, **kwargs):
        print("KILLING", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    store.Store.append = killed
database = Database(url)
with database.unit_of_work() as session:
    service.issue(session, OPERATOR, notice)
    print("KILLING", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("point", ["before-journal", "before-commit"])
def test_a_killed_issuance_leaves_nothing_and_verify_is_clean(registry: Registry, point: str) -> None:
    with registry.database.unit_of_work() as session:
        accounts = [
            service.open_account(session, OPERATOR, "JPN", "participant_holding", "acme-jp").number for _ in range(60)
        ]
    report_id = create_report(registry, 10_000_000)
    allocation = [{"account": registry.jp_gov, "credits": 5_000_000}] + [
        {"account": a, "credits": 5_000_000 // 60 + (1 if i < 5_000_000 % 60 else 0)} for i, a in enumerate(accounts)
    ]
    notice = {"notification_ref": "JC-BIG", "report_id": report_id, "credits": 10_000_000, "allocation": allocation}
    with registry.database.reading() as session:
        entries_before = session.scalar(select(func.count()).select_from(JournalEntry))
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}  # this checkout's code
    child = subprocess.run(
        [sys.executable, "-c", CHILD, registry.database.url, point, json.dumps(notice)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "KILLING" in child.stdout
    with registry.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(CreditIssuance)) == 0
        assert session.scalar(select(func.count()).select_from(CreditBlock)) == 0
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before
        report = verify(session)
    assert report.ok, report.problems
    from c3p.credits.schemas import IssuanceNotice

    with registry.database.unit_of_work() as session:
        issued = service.issue(session, OPERATOR, IssuanceNotice.model_validate(notice))
    assert issued.credits == 10_000_000
    with registry.database.reading() as session:
        assert verify(session).supply_credits == 10_000_000
