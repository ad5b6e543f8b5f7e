-- +goose Up
-- The inbox's tabs under a filter on answers (a posting's column
-- questions) count in one pass: the applications matching the answers'
-- index, in the order of their ids, are merged (or hashed) with the
-- posting's live applications read by id from this index alone (with
-- their status), instead of looking up each application's answer one at
-- a time. The tabs' own index (posting_id, status) stays for the counts
-- without such a filter: it is far smaller (its entries are deduplicated)
-- and so faster to count. The parts of a list sorted on answers that
-- read the applications without an answer by id use this index too.
-- Measured by `make bench`.
CREATE INDEX applications_posting_id_idx ON applications (posting_id, id) INCLUDE (status) WHERE erased_at IS NULL;

-- +goose Down
DROP INDEX applications_posting_id_idx;
