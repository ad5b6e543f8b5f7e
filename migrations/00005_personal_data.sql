-- +goose Up
-- Who opened which CV, who changed what, who exported what. The ids are
-- not foreign keys: an entry outlives what it is about.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,   -- a reviewer's email, "candidat·e", "système"
    action         text NOT NULL,   -- cv_opened, status_changed, applications_exported, ...
    posting_id     bigint,
    application_id bigint,
    details        jsonb NOT NULL DEFAULT '{}'
);
-- Newest first (by id, for keyset pages), whole or filtered.
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
CREATE INDEX audit_log_posting_idx ON audit_log (posting_id, id DESC);
CREATE INDEX audit_log_application_idx ON audit_log (application_id) WHERE application_id IS NOT NULL;

-- Retention looks up a posting's latest close.
CREATE INDEX posting_events_closed_idx ON posting_events (posting_id, created_at DESC, id DESC) WHERE to_status = 'closed';

-- +goose Down
DROP INDEX posting_events_closed_idx;
DROP TABLE audit_log;
