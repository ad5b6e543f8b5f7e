-- +goose Up
-- Conversations by email: what reviewers write to applicants, and what
-- comes back (replies, automatic replies, bounces) read from a mailbox.

-- An email's Message-ID is set when it is claimed for sending (before it
-- leaves) and looked up when a reply names it in In-Reply-To or
-- References. in_reply_to is the Message-ID of the applicant's message
-- an email answers, when it answers one. A bounce (a delivery status
-- notification read from the mailbox) marks the email it is about.
ALTER TABLE emails
    ADD COLUMN in_reply_to text NOT NULL DEFAULT '',
    ADD COLUMN bounced_at timestamptz,
    ADD COLUMN bounce_reason text NOT NULL DEFAULT '';
CREATE INDEX emails_message_id_idx ON emails (message_id) WHERE message_id <> '';
CREATE INDEX emails_bounced_idx ON emails (application_id) WHERE bounced_at IS NOT NULL;

-- Messages read from the mailbox, each once (message_key: its Message-ID,
-- or a digest of its header when it has none). A message for no
-- application is kept as unmatched (its sender, subject and an excerpt),
-- for admins; its application erased, the row goes with the data.
CREATE TABLE inbound_messages (
    id             bigserial PRIMARY KEY,
    message_key    text NOT NULL UNIQUE,
    kind           text NOT NULL CHECK (kind IN ('reply', 'auto_reply', 'bounce', 'unmatched')),
    application_id bigint REFERENCES applications (id) ON DELETE CASCADE,
    posting_id     bigint REFERENCES postings (id) ON DELETE CASCADE,
    email_id       bigint REFERENCES emails (id) ON DELETE SET NULL,
    matched_by     text NOT NULL DEFAULT '',
    from_address   text NOT NULL DEFAULT '',
    from_name      text NOT NULL DEFAULT '',
    subject        text NOT NULL DEFAULT '',
    body           text NOT NULL DEFAULT '',
    notes          text NOT NULL DEFAULT '',
    sent_at        timestamptz,
    created_at     timestamptz NOT NULL,
    CHECK ((kind = 'unmatched') = (application_id IS NULL))
);
CREATE INDEX inbound_messages_application_idx ON inbound_messages (application_id, created_at);
CREATE INDEX inbound_messages_unmatched_idx ON inbound_messages (created_at) WHERE kind = 'unmatched';

-- Attachments of replies, under the checks and limits of a CV.
CREATE TABLE inbound_attachments (
    id           bigserial PRIMARY KEY,
    inbound_id   bigint NOT NULL REFERENCES inbound_messages (id) ON DELETE CASCADE,
    file_name    text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    sha256       bytea NOT NULL,
    content      bytea NOT NULL
);
CREATE INDEX inbound_attachments_inbound_idx ON inbound_attachments (inbound_id);

-- The mailbox reader's health, for /readyz and the metrics of every
-- process (one row per mailbox).
CREATE TABLE inbound_state (
    mailbox       text PRIMARY KEY,
    last_ok_at    timestamptz,
    failing_since timestamptz,
    last_error    text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE inbound_state;
DROP TABLE inbound_attachments;
DROP TABLE inbound_messages;
DROP INDEX emails_bounced_idx;
DROP INDEX emails_message_id_idx;
ALTER TABLE emails DROP COLUMN bounce_reason, DROP COLUMN bounced_at, DROP COLUMN in_reply_to;
