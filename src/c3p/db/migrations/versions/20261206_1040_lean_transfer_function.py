"""c3p_move_out in fewer, cheaper statements (same behaviour)

Where the server's time went (``pg_stat_statements`` with nested statements, and
``track_functions``): the sender's blocks were read twice, each time all of them sorted (the
``ORDER BY registry COLLATE "C"`` could not use the ``(account_id, registry, start_serial)``
index), a custom plan was made for some statements on every call, and the function ran a
dozen statements where five do. Now: one statement locks and reads both accounts; a bound
cursor reads the sender's blocks in the index's order and stops at the last one needed (an
authorized one sends the transfer to the Python path before anything is written, so the
first-transfer and adjustment work for authorized credits is gone with the second pass); one
statement writes the blocks and both balances; one updates the journal head and appends the
entry, last. Every statement keeps one generic plan per connection. SQLite: nothing to do.

Revision ID: 20261206_1040
Revises: 20261206_1030
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from alembic import op

from c3p.db.frozen_functions import revision_module

revision = "20261206_1040"
down_revision = "20261206_1030"
branch_labels = None
depends_on = None

FUNCTION = r"""
CREATE OR REPLACE FUNCTION c3p_move_out(
    p_sender integer, p_receiver integer, p_credits bigint, p_kind text, p_key text, p_at text, p_head text
) RETURNS TABLE (entry_seq integer, entry_moves text, move_names text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $body$
DECLARE
    v_parties record;
    v_block record;
    v_wanted bigint := p_credits;
    v_taken bigint;
    v_start bigint;
    v_whole integer[] := '{}';
    v_cut_id integer;
    v_cut_start bigint;
    v_cut_end bigint;
    v_cut_registry text;
    v_cut_issuance integer;
    v_cut_first boolean;
    v_moves text := '';
    v_names text := '';
    v_entry text;
    -- a bound cursor is planned for its first rows: read in order off the
    -- (account_id, registry, start_serial) index, it stops at the blocks it needs
    c_blocks CURSOR (p_account integer) FOR
        SELECT b.id, b.registry, b.start_serial, b.end_serial, b.issuance_id, b.first_transferred,
               i.authorization_status = 'authorized' AS authorized, i.host_country, i.serial_code, i.period_number
        FROM credit_blocks b JOIN credit_issuances i ON i.id = b.issuance_id
        WHERE b.account_id = p_account
        ORDER BY b.registry, b.start_serial;
BEGIN
    IF p_sender = p_receiver OR p_credits < 1 THEN
        RETURN;
    END IF;
    WITH locked AS MATERIALIZED (
        SELECT id, registry, kind, status, balance FROM credit_accounts
        WHERE id IN (p_sender, p_receiver) ORDER BY id FOR UPDATE)
    SELECT s.registry AS s_registry, s.kind AS s_kind, s.status AS s_status, s.balance AS s_balance,
           r.registry AS r_registry, r.kind AS r_kind, r.status AS r_status
    INTO v_parties
    FROM locked s JOIN locked r ON r.id = p_receiver
    WHERE s.id = p_sender;
    IF NOT FOUND
       OR v_parties.s_status <> 'open' OR v_parties.r_status <> 'open'
       OR v_parties.s_registry <> v_parties.r_registry
       OR v_parties.s_kind NOT IN ('government_holding', 'participant_holding', 'returns')
       OR v_parties.s_balance < p_credits
       OR NOT (
           (p_kind = 'transfer' AND v_parties.r_kind IN ('government_holding', 'participant_holding'))
           OR (p_kind = 'cancellation' AND v_parties.r_kind = 'cancellation' AND v_parties.s_kind <> 'returns')
           OR (p_kind = 'retirement' AND v_parties.r_kind = 'retirement' AND v_parties.s_kind <> 'returns'))
    THEN
        RETURN;
    END IF;
    -- whole blocks, then the end of the next one (rules.blocks.take); nothing is written before
    -- every block to take is known to be of an issuance that is not authorized
    FOR v_block IN c_blocks(p_sender) LOOP
        IF v_block.authorized THEN
            -- its authorization records decide first transfers and uses: the Python path moves it
            RETURN;
        END IF;
        v_taken := least(v_wanted, v_block.end_serial - v_block.start_serial + 1);
        v_start := v_block.end_serial - v_taken + 1;
        IF v_start = v_block.start_serial THEN
            v_whole := v_whole || v_block.id;
        ELSE
            v_cut_id := v_block.id;
            v_cut_start := v_start;
            v_cut_end := v_block.end_serial;
            v_cut_registry := v_block.registry;
            v_cut_issuance := v_block.issuance_id;
            v_cut_first := v_block.first_transferred;
        END IF;
        -- credits of an issuance that is not authorized are never first transferred
        v_moves := v_moves || CASE WHEN v_moves = '' THEN '[' ELSE ',[' END
            || to_json(v_block.registry::text)::text || ',' || v_start || ',' || v_block.end_serial || ','
            || p_sender || ',' || p_receiver || ',' || v_block.issuance_id || ',false]';
        v_names := v_names || CASE WHEN v_names = '' THEN '' ELSE ',' END
            || json_build_array(v_block.host_country, v_block.serial_code, v_block.period_number)::text;
        v_wanted := v_wanted - v_taken;
        EXIT WHEN v_wanted = 0;
    END LOOP;
    IF v_wanted > 0 THEN
        -- the balance said enough but the blocks hold less: the ledger is damaged, never move
        RAISE EXCEPTION 'account % holds fewer credits in blocks than its balance', p_sender;
    END IF;
    WITH whole AS (UPDATE credit_blocks SET account_id = p_receiver WHERE id = ANY (v_whole)),
         cut AS (UPDATE credit_blocks SET end_serial = v_cut_start - 1 WHERE id = v_cut_id),
         carved AS (
             INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, first_transferred)
             SELECT v_cut_registry, v_cut_start, v_cut_end, p_receiver, v_cut_issuance, v_cut_first
             WHERE v_cut_id IS NOT NULL)
    UPDATE credit_accounts SET balance = balance + CASE WHEN id = p_sender THEN -p_credits ELSE p_credits END
    WHERE id IN (p_sender, p_receiver);
    v_entry := p_head || CASE WHEN p_sender < p_receiver
        THEN '[[' || p_sender || ',' || -p_credits || '],[' || p_receiver || ',' || p_credits || ']]'
        ELSE '[[' || p_receiver || ',' || p_credits || '],[' || p_sender || ',' || -p_credits || ']]' END
        || ',"moves":[' || v_moves || '],"seq":';
    -- the journal head last: its lock serializes every append until the commit
    WITH head AS (
        UPDATE credit_journal_head SET seq = seq + 1, previous_hash = hash,
            hash = encode(sha256(convert_to(hash || v_entry || (seq + 1) || '}', 'UTF8')), 'hex')
        WHERE id = 1 RETURNING seq, previous_hash, hash)
    INSERT INTO credit_journal (seq, key, kind, occurred_at, credits, entry, previous_hash, hash)
    SELECT head.seq, p_key, p_kind, p_at::timestamptz, p_credits, v_entry || head.seq || '}',
           head.previous_hash, head.hash
    FROM head
    RETURNING credit_journal.seq INTO entry_seq;
    entry_moves := '[' || v_moves || ']';
    move_names := '[' || v_names || ']';
    RETURN NEXT;
END
$body$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    """The function as 20261206_1020 made it (its frozen copy, read from that migration's file)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(revision_module("20261206_1020_transfer_function.py").FUNCTION)
