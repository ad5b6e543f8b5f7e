-- +goose Up
-- Indexes measured by `make bench` (see BENCHMARKS.md).

-- The worker claims an email by its id, and the claim's conditions imply
-- the outbox index's predicate: on send_after, PostgreSQL could pick that
-- index and read every pending email to find one, so a close of N
-- applicants cost N² row visits. On the id, the same index finds the row
-- at once, and the sweep reads it in its own order (ORDER BY id).
DROP INDEX emails_outbox_idx;
CREATE INDEX emails_outbox_idx ON emails (id) WHERE status IN ('pending', 'sending');

-- The tabs of the inbox count a posting's applications by status: from
-- the index alone, without reading the rows.
CREATE INDEX applications_posting_status_count_idx ON applications (posting_id, status) WHERE erased_at IS NULL;

-- A search counted in one tab reads only the rows of that status that
-- match: the status sits in the search index (btree_gin, from contrib,
-- like unaccent).
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX applications_search_idx;
CREATE INDEX applications_search_idx ON applications USING gin (status, search) WHERE erased_at IS NULL;

-- +goose Down
DROP INDEX applications_search_idx;
CREATE INDEX applications_search_idx ON applications USING gin (search);
DROP INDEX applications_posting_status_count_idx;
DROP INDEX emails_outbox_idx;
CREATE INDEX emails_outbox_idx ON emails (send_after) WHERE status IN ('pending', 'sending');
