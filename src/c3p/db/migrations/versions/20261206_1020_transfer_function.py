"""a transfer, cancellation or retirement in one server-side call on PostgreSQL

``c3p_move_out`` does what the credit service's Python path does after the policy decision,
in one round trip: it locks both accounts in id order, checks their status and kind, takes
the sender's blocks lowest serial first (whole blocks, then the end of the next one) and
carves them, updates both balances, seals the journal entry (the same canonical JSON and
SHA-256 chain as ``c3p.credits.rules.journal``), updates the journal head, marks first
transfers and records the Article 6.2 adjustments. Anything unexpected (an account no longer
open, too few credits) makes it return no row and change nothing, and the service runs the
Python path, which refuses with the precise reason. SQLite: nothing to do.

Revision ID: 20261206_1020
Revises: 20261206_1010
Create Date: 2026-12-06 06:30:00
"""

from __future__ import annotations

from alembic import op

revision = "20261206_1020"
down_revision = "20261206_1010"
branch_labels = None
depends_on = None

# p_head is the entry's canonical JSON up to and including '"legs":' (actor, at, details, key,
# kind: every key that sorts before "legs", written by Python); the function adds the legs,
# the moves and the sequence number, which sort last.
FUNCTION = r"""
CREATE OR REPLACE FUNCTION c3p_move_out(
    p_sender integer, p_receiver integer, p_credits bigint, p_kind text, p_key text, p_at text, p_head text
) RETURNS TABLE (entry_seq integer, entry_moves text, move_names text)
LANGUAGE plpgsql AS $body$
DECLARE
    v_sender record;
    v_receiver record;
    v_block record;
    v_wanted bigint := p_credits;
    v_taken bigint;
    v_start bigint;
    v_first boolean;
    v_moves text := '';
    v_names text := '';
    v_legs text;
    v_seq integer;
    v_previous text;
    v_hash text;
    v_countries text[] := '{}';
    v_kinds text[] := '{}';
    v_amounts bigint[] := '{}';
BEGIN
    PERFORM 1 FROM credit_accounts WHERE id IN (p_sender, p_receiver) ORDER BY id FOR UPDATE;
    SELECT id, registry, kind, status, balance INTO v_sender FROM credit_accounts WHERE id = p_sender;
    SELECT id, registry, kind, status INTO v_receiver FROM credit_accounts WHERE id = p_receiver;
    IF v_sender.id IS NULL OR v_receiver.id IS NULL OR p_sender = p_receiver
       OR v_sender.status <> 'open' OR v_receiver.status <> 'open'
       OR v_sender.registry <> v_receiver.registry
       OR v_sender.kind NOT IN ('government_holding', 'participant_holding', 'returns')
       OR v_sender.balance < p_credits OR p_credits < 1
       OR NOT (
           (p_kind = 'transfer' AND v_receiver.kind IN ('government_holding', 'participant_holding'))
           OR (p_kind = 'cancellation' AND v_receiver.kind = 'cancellation' AND v_sender.kind <> 'returns')
           OR (p_kind = 'retirement' AND v_receiver.kind = 'retirement' AND v_sender.kind <> 'returns'))
    THEN
        RETURN;
    END IF;
    -- authorized credits follow their authorization records (purposes, first transfer) on the Python path
    v_taken := 0;
    FOR v_block IN
        SELECT b.end_serial - b.start_serial + 1 AS credits, i.authorization_status = 'authorized' AS authorized
        FROM credit_blocks b JOIN credit_issuances i ON i.id = b.issuance_id
        WHERE b.account_id = p_sender
        ORDER BY b.registry COLLATE "C", b.start_serial
    LOOP
        EXIT WHEN v_taken >= p_credits;
        IF v_block.authorized THEN
            RETURN;
        END IF;
        v_taken := v_taken + v_block.credits;
    END LOOP;
    FOR v_block IN
        SELECT b.id, b.registry, b.start_serial, b.end_serial, b.issuance_id, b.first_transferred,
               i.authorization_status = 'authorized' AS authorized, i.host_country, i.serial_code, i.period_number
        FROM credit_blocks b JOIN credit_issuances i ON i.id = b.issuance_id
        WHERE b.account_id = p_sender
        ORDER BY b.registry COLLATE "C", b.start_serial
    LOOP
        EXIT WHEN v_wanted = 0;
        v_taken := least(v_wanted, v_block.end_serial - v_block.start_serial + 1);
        v_start := v_block.end_serial - v_taken + 1;
        v_first := v_block.authorized AND NOT v_block.first_transferred
            AND (v_receiver.registry <> v_block.host_country OR v_receiver.kind = 'cancellation');
        IF v_start = v_block.start_serial THEN
            UPDATE credit_blocks SET account_id = p_receiver, first_transferred = v_block.first_transferred OR v_first
            WHERE id = v_block.id;
        ELSE
            UPDATE credit_blocks SET end_serial = v_start - 1 WHERE id = v_block.id;
            INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, first_transferred)
            VALUES (v_block.registry, v_start, v_block.end_serial, p_receiver, v_block.issuance_id,
                    v_block.first_transferred OR v_first);
        END IF;
        v_moves := v_moves || CASE WHEN v_moves = '' THEN '' ELSE ',' END
            || '[' || to_json(v_block.registry::text)::text || ',' || v_start || ',' || v_block.end_serial || ','
            || p_sender || ',' || p_receiver || ',' || v_block.issuance_id || ','
            || CASE WHEN v_first THEN 'true' ELSE 'false' END || ']';
        v_names := v_names || CASE WHEN v_names = '' THEN '' ELSE ',' END
            || json_build_array(v_block.host_country, v_block.serial_code, v_block.period_number)::text;
        IF v_first THEN
            v_countries := v_countries || v_block.host_country::text;
            v_kinds := v_kinds || 'first_transfer'::text;
            v_amounts := v_amounts || v_taken;
        END IF;
        IF v_block.authorized AND v_receiver.kind = 'retirement' AND v_receiver.registry <> v_block.host_country THEN
            v_countries := v_countries || v_receiver.registry::text;
            v_kinds := v_kinds || 'use'::text;
            v_amounts := v_amounts || v_taken;
        END IF;
        v_wanted := v_wanted - v_taken;
    END LOOP;
    IF v_wanted > 0 THEN
        -- the balance said enough but the blocks hold less: the ledger is damaged, never move
        RAISE EXCEPTION 'account % holds fewer credits in blocks than its balance', p_sender;
    END IF;
    UPDATE credit_accounts SET balance = balance + CASE WHEN id = p_sender THEN -p_credits ELSE p_credits END
    WHERE id IN (p_sender, p_receiver);
    v_legs := CASE WHEN p_sender < p_receiver
        THEN '[[' || p_sender || ',' || -p_credits || '],[' || p_receiver || ',' || p_credits || ']]'
        ELSE '[[' || p_receiver || ',' || p_credits || '],[' || p_sender || ',' || -p_credits || ']]' END;
    v_moves := '[' || v_moves || ']';
    UPDATE credit_journal_head h SET seq = h.seq + 1, previous_hash = h.hash,
        hash = encode(sha256(convert_to(
            h.hash || p_head || v_legs || ',"moves":' || v_moves || ',"seq":' || (h.seq + 1) || '}', 'UTF8')), 'hex')
    WHERE h.id = 1
    RETURNING h.seq, h.previous_hash, h.hash INTO v_seq, v_previous, v_hash;
    INSERT INTO credit_journal (seq, key, kind, occurred_at, credits, entry, previous_hash, hash)
    VALUES (v_seq, p_key, p_kind, p_at::timestamptz, p_credits,
            p_head || v_legs || ',"moves":' || v_moves || ',"seq":' || v_seq || '}', v_previous, v_hash);
    INSERT INTO corresponding_adjustments (country, year, kind, credits, journal_seq)
    SELECT country, substr(p_at, 1, 4)::integer, kind, sum(amount), v_seq
    FROM unnest(v_countries, v_kinds, v_amounts) AS a(country, kind, amount)
    GROUP BY country, kind
    ORDER BY country COLLATE "C", kind COLLATE "C";
    RETURN QUERY SELECT v_seq, v_moves, '[' || v_names || ']';
END
$body$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS c3p_move_out(integer, integer, bigint, text, text, text, text)")
