-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE postings (
    id            bigserial PRIMARY KEY,
    slug          text NOT NULL UNIQUE,
    source_name   text UNIQUE,            -- the imported file's name: re-imports update the same row
    source_hash   bytea,                  -- SHA-256 of the imported file, to report "unchanged"
    title         text NOT NULL,
    organisation  text NOT NULL DEFAULT '',
    contact_email text NOT NULL DEFAULT '',
    contract      text NOT NULL DEFAULT '',
    external_url  text NOT NULL DEFAULT '',
    opens_at      timestamptz,
    closes_at     timestamptz,
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'open', 'closed', 'archived')),
    domains       text[] NOT NULL DEFAULT '{}',
    technos       text[] NOT NULL DEFAULT '{}',
    junior        boolean NOT NULL DEFAULT false,
    body_md       text NOT NULL DEFAULT '',
    body_html     text NOT NULL DEFAULT '',
    excerpt_html  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX postings_public_idx ON postings (status, opens_at DESC);

CREATE TABLE applications (
    id                bigserial PRIMARY KEY,
    posting_id        bigint NOT NULL REFERENCES postings (id),
    status            text NOT NULL DEFAULT 'received'
                      CHECK (status IN ('received', 'in_review', 'shortlisted', 'interview',
                                        'accepted', 'rejected', 'withdrawn')),
    first_name        text NOT NULL,
    last_name         text NOT NULL,
    email             text NOT NULL,
    phone             text NOT NULL DEFAULT '',   -- E.164
    location          text NOT NULL,
    daily_rate        integer NOT NULL CHECK (daily_rate >= 0),  -- euros excluding tax
    days_per_week     numeric(2, 1) NOT NULL CHECK (days_per_week BETWEEN 0.5 AND 5),
    available_from    date NOT NULL,
    siret             text NOT NULL DEFAULT '',
    links             text[] NOT NULL DEFAULT '{}',
    motivation        text NOT NULL,
    consent_at        timestamptz NOT NULL,
    access_token_hash bytea NOT NULL UNIQUE,       -- SHA-256 of the applicant's private link token
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    withdrawn_at      timestamptz,
    erased_at         timestamptz                  -- personal fields erased at the applicant's request or by retention
);
-- One application per address and posting; erased applications free the address.
CREATE UNIQUE INDEX applications_one_per_email_idx
    ON applications (posting_id, lower(email)) WHERE erased_at IS NULL;
CREATE INDEX applications_posting_idx ON applications (posting_id, created_at DESC, id DESC);

CREATE TABLE documents (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL UNIQUE REFERENCES applications (id) ON DELETE CASCADE,
    file_name      text NOT NULL,
    content_type   text NOT NULL,
    size_bytes     bigint NOT NULL,
    sha256         bytea NOT NULL,
    content        bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Every change in an application's life, shown to the applicant and, later, the reviewers.
CREATE TABLE application_events (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           text NOT NULL,   -- received, status_changed, withdrawn, erased
    from_status    text,
    to_status      text,
    actor          text NOT NULL,   -- "candidat·e", a reviewer's email, "système"
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_events_application_idx ON application_events (application_id, created_at);

-- The outbox and the log of every email: rendered when written, stored as sent.
CREATE TABLE emails (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL,   -- contact_notification, acknowledgement, private_link, ...
    posting_id     bigint REFERENCES postings (id),
    application_id bigint REFERENCES applications (id) ON DELETE SET NULL,
    to_address     text NOT NULL,
    to_name        text NOT NULL DEFAULT '',
    reply_to       text NOT NULL DEFAULT '',
    subject        text NOT NULL,
    text_body      text NOT NULL,
    html_body      text NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text NOT NULL DEFAULT '',
    message_id     text NOT NULL DEFAULT '',
    send_after     timestamptz NOT NULL DEFAULT now(),
    claimed_at     timestamptz,
    sent_at        timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX emails_outbox_idx ON emails (send_after) WHERE status IN ('pending', 'sending');
CREATE INDEX emails_application_idx ON emails (application_id);

-- +goose Down
DROP TABLE emails;
DROP TABLE application_events;
DROP TABLE documents;
DROP TABLE applications;
DROP TABLE postings;
