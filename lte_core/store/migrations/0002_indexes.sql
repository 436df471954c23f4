-- 0002: indexes for the foreign keys that had none (a deleted person or need would scan the
-- table, and the queries by carrier, actor or taker too), and for the outbox at scale: its
-- queue is read through an index of the pending rows only, so that neither the claim, nor the
-- next due time, nor a restart's requeue reads the rows already sent.

CREATE INDEX needs_carrier ON needs(carrier_id);
CREATE INDEX needs_merged_into ON needs(merged_into);
CREATE INDEX need_moves_actor ON need_moves(actor_id);
CREATE INDEX mission_takers_person ON mission_takers(person_id);
CREATE INDEX assets_owner ON assets(owner_id);
CREATE INDEX outbox_person ON outbox(person_id);

-- Where to reach someone: their reachable identity seen last, read first, without a sort (a
-- broadcast asks it of every recipient).
CREATE INDEX identities_reachable ON identities(person_id, last_seen_at DESC, id DESC) WHERE unreachable_at IS NULL;

-- The queue: only the pending rows, so that what was sent is never read again. The claim takes
-- them by priority then age, reading the due ones in that order and stopping at its batch.
DROP INDEX outbox_due;
CREATE INDEX outbox_claim ON outbox(channel, priority, id, not_before) WHERE status = 'pending';
-- When the next one is due, for a sender with nothing due now.
CREATE INDEX outbox_next ON outbox(channel, not_before) WHERE status = 'pending';
-- The counts by status, and the requeue of what was being sent at a crash.
CREATE INDEX outbox_status ON outbox(status, channel);
