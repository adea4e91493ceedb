"""PostgreSQL's transfer in one call: ``c3p_move_out``, made with the tables on a fresh database.

Migrations ``20261206_1020_transfer_function``, ``20261206_1040_lean_transfer_function``,
``20261207_1000_remembered_parties_transfer`` and ``20261207_1400_one_block_update`` create it on
an upgraded database (their own frozen copies, as migrations keep theirs); a database made from
the tables in one go gets it from here, and a test checks that both ways define the same function.
What it does, why, and where its time goes: ``docs/registry.md`` ("The transfer path and its cost").
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from c3p.db.base import Base

# p_head is the entry's canonical JSON up to and including '"legs":' (actor, at, details, key,
# kind: every key that sorts before "legs", written by Python); the function adds the legs,
# the moves and the sequence number, which sort last. Few statements, each planned once per
# connection (plan_cache_mode: a custom plan per call cost more than the statement): lock and
# read both accounts, the sender's first blocks, one write of blocks and balances, one append.
# Blocks are read in the index's order, by registry in the database's collation as the Python
# path reads them: registry codes are ISO 3166 alpha-3 (A-Z), which every collation orders alike.
MOVE_OUT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION c3p_move_out(
    p_sender integer, p_sender_number text, p_sender_kind text, p_sender_holder integer,
    p_receiver integer, p_receiver_number text, p_receiver_kind text,
    p_credits bigint, p_kind text, p_key text, p_at text, p_head text
) RETURNS TABLE (entry_seq integer, entry_moves text, move_names text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $body$
DECLARE
    v_parties record;
    v_block record;
    v_last record;
    v_wanted bigint := p_credits;
    v_taken bigint;
    v_start bigint;
    v_cut boolean;
    v_taken_ids integer[] := '{}';
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
        v_taken_ids := v_taken_ids || v_block.id;
        -- credits of an issuance that is not authorized are never first transferred
        v_moves := v_moves || CASE WHEN v_moves = '' THEN '[' ELSE ',[' END
            || to_json(v_block.registry::text)::text || ',' || v_start || ',' || v_block.end_serial || ','
            || p_sender || ',' || p_receiver || ',' || v_block.issuance_id || ',false]';
        v_names := v_names || CASE WHEN v_names = '' THEN '' ELSE ',' END
            || json_build_array(v_block.host_country, v_block.serial_code, v_block.period_number)::text;
        v_wanted := v_wanted - v_taken;
        IF v_wanted = 0 THEN
            v_last := v_block;
            EXIT;
        END IF;
    END LOOP;
    IF v_wanted > 0 THEN
        -- the balance said enough but the blocks hold less: the ledger is damaged, never move
        RAISE EXCEPTION 'account % holds fewer credits in blocks than its balance', p_sender;
    END IF;
    -- only the last block taken can be cut (it ended the loop): one UPDATE moves the whole blocks
    -- and shortens the cut one in place (its indexed columns unchanged: a HOT update, no
    -- foreign-key check), and the carved end is inserted as the receiver's
    v_cut := v_start > v_last.start_serial;
    WITH taken AS (
             UPDATE credit_blocks
             SET account_id = CASE WHEN v_cut AND id = v_last.id THEN account_id ELSE p_receiver END,
                 end_serial = CASE WHEN v_cut AND id = v_last.id THEN v_start - 1 ELSE end_serial END
             WHERE id = ANY (v_taken_ids)),
         carved AS (
             INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, first_transferred)
             SELECT v_last.registry, v_start, v_last.end_serial, p_receiver, v_last.issuance_id,
                    v_last.first_transferred
             WHERE v_cut)
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


def create_with(model: type[Base]) -> None:
    """Have ``CREATE TABLE`` of ``model``'s table (on PostgreSQL) create the function too."""
    statement = DDL(MOVE_OUT_FUNCTION.replace("%", "%%")).execute_if(dialect="postgresql")
    event.listen(model.__table__, "after_create", statement)
