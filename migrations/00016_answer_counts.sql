-- +goose Up
-- The inbox's tabs under a filter on answers (a posting's column
-- questions) count in one pass: the applications matching the answers'
-- index are joined, by id, to the posting's live applications read from
-- this index alone (status and id), instead of looking up each
-- application's answer one at a time. Without such a filter, each tab
-- still counts its own part of the index. Measured by `make bench`.
CREATE INDEX applications_posting_status_id_idx ON applications (posting_id, status, id) WHERE erased_at IS NULL;
DROP INDEX applications_posting_status_count_idx;

-- +goose Down
CREATE INDEX applications_posting_status_count_idx ON applications (posting_id, status) WHERE erased_at IS NULL;
DROP INDEX applications_posting_status_id_idx;
