-- +goose Up
-- Every change of a posting's status, with who made it.
CREATE TABLE posting_events (
    id          bigserial PRIMARY KEY,
    posting_id  bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    actor       text NOT NULL,
    close_round integer,               -- set on a close: which round of updates it wrote
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posting_events_posting_idx ON posting_events (posting_id, created_at);

-- Each close is a new round; an applicant gets at most one update per round.
ALTER TABLE postings ADD COLUMN close_rounds integer NOT NULL DEFAULT 0;
ALTER TABLE postings ADD COLUMN created_by text NOT NULL DEFAULT 'import';

-- An email's unique key (one update per close round and application) and
-- the application status it announces.
ALTER TABLE emails ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX emails_dedupe_key_idx ON emails (dedupe_key) WHERE dedupe_key IS NOT NULL;
ALTER TABLE emails ADD COLUMN about_status text NOT NULL DEFAULT '';
CREATE INDEX emails_application_about_idx ON emails (application_id, about_status) WHERE about_status <> '';
CREATE INDEX emails_posting_idx ON emails (posting_id, status);

-- A posting's own wording of an email, replacing the default template.
CREATE TABLE posting_templates (
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (posting_id, kind)
);

-- +goose Down
DROP TABLE posting_templates;
DROP INDEX emails_posting_idx;
DROP INDEX emails_application_about_idx;
ALTER TABLE emails DROP COLUMN about_status;
DROP INDEX emails_dedupe_key_idx;
ALTER TABLE emails DROP COLUMN dedupe_key;
ALTER TABLE postings DROP COLUMN created_by;
ALTER TABLE postings DROP COLUMN close_rounds;
DROP TABLE posting_events;
