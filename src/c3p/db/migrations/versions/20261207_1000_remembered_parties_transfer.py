"""c3p_move_out checks the facts a remembered transfer's policy used, and the approval threshold

A transfer whose parties' lasting facts (number, registry, kind, holder) the process already
knows skips the read of its parties and runs as one transaction of one round trip: ``BEGIN``,
this call and ``COMMIT``. Its caller then decided the policy from remembered facts and without
the registry's approval threshold, so the function now takes the sender's number, kind and
holder and the receiver's number and kind, and returns no row (changing nothing) unless the
locked accounts still have them, or when a transfer exceeds the sender registry's threshold;
the Python path then decides. The old argument list is dropped (PL/pgSQL overloads by argument
list). The new definition is frozen here as the changes to 20261206_1040's frozen copy.
SQLite: nothing to do.

Revision ID: 20261207_1000
Revises: 20261206_1040
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from alembic import op

from c3p.db.frozen_functions import changed, revision_module

revision = "20261207_1000"
down_revision = "20261206_1040"
branch_labels = None
depends_on = None

PREVIOUS_SIGNATURE = "c3p_move_out(integer, integer, bigint, text, text, text, text)"
SIGNATURE = "c3p_move_out(integer, text, text, integer, integer, text, text, bigint, text, text, text, text)"

#: (text of 20261206_1040's function, its replacement here)
CHANGES = (
    (
        """
    p_sender integer, p_receiver integer, p_credits bigint, p_kind text, p_key text, p_at text, p_head text
""",
        """
    p_sender integer, p_sender_number text, p_sender_kind text, p_sender_holder integer,
    p_receiver integer, p_receiver_number text, p_receiver_kind text,
    p_credits bigint, p_kind text, p_key text, p_at text, p_head text
""",
    ),
    (
        """
    WITH locked AS MATERIALIZED (
        SELECT id, registry, kind, status, balance FROM credit_accounts
        WHERE id IN (p_sender, p_receiver) ORDER BY id FOR UPDATE)
    SELECT s.registry AS s_registry, s.kind AS s_kind, s.status AS s_status, s.balance AS s_balance,
           r.registry AS r_registry, r.kind AS r_kind, r.status AS r_status
    INTO v_parties
    FROM locked s JOIN locked r ON r.id = p_receiver
    WHERE s.id = p_sender;
    IF NOT FOUND
""",
        """
    -- the facts the caller's policy used (perhaps remembered from an earlier transfer) are
    -- checked under the locks, and so is the registry's approval threshold it may not have read
    WITH locked AS MATERIALIZED (
        SELECT id, registry, number, kind, holder_id, status, balance FROM credit_accounts
        WHERE id IN (p_sender, p_receiver) ORDER BY id FOR UPDATE)
    SELECT s.registry AS s_registry, s.number AS s_number, s.kind AS s_kind, s.holder_id AS s_holder,
           s.status AS s_status, s.balance AS s_balance,
           r.registry AS r_registry, r.number AS r_number, r.kind AS r_kind, r.status AS r_status,
           g.approval_threshold_credits AS threshold
    INTO v_parties
    FROM locked s JOIN locked r ON r.id = p_receiver LEFT JOIN credit_registries g ON g.code = s.registry
    WHERE s.id = p_sender;
    IF NOT FOUND
       OR v_parties.s_number IS DISTINCT FROM p_sender_number OR v_parties.s_kind IS DISTINCT FROM p_sender_kind
       OR v_parties.s_holder IS DISTINCT FROM p_sender_holder
       OR v_parties.r_number IS DISTINCT FROM p_receiver_number OR v_parties.r_kind IS DISTINCT FROM p_receiver_kind
       OR (p_kind = 'transfer' AND coalesce(p_credits > v_parties.threshold, false))
""",
    ),
)


PREVIOUS = "20261206_1040_lean_transfer_function.py"


def function() -> str:
    """The function this revision makes: 20261206_1040's with :data:`CHANGES`."""
    return changed(revision_module(PREVIOUS).FUNCTION, CHANGES)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {PREVIOUS_SIGNATURE}")
        op.execute(function())


def downgrade() -> None:
    """The function as 20261206_1040 made it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(revision_module(PREVIOUS).FUNCTION)
