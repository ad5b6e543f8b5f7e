-- +goose Up
-- Who reviews which posting; a posting's contact is its first reviewer.
CREATE TABLE posting_reviewers (
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email = lower(email) AND email <> ''),
    added_by   text NOT NULL DEFAULT 'import',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (posting_id, email)
);
CREATE INDEX posting_reviewers_email_idx ON posting_reviewers (email);
INSERT INTO posting_reviewers (posting_id, email)
    SELECT id, lower(contact_email) FROM postings WHERE contact_email <> '' ON CONFLICT DO NOTHING;

-- Single-use sign-in links, stored hashed.
CREATE TABLE sign_in_tokens (
    token_hash bytea PRIMARY KEY,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX sign_in_tokens_expiry_idx ON sign_in_tokens (expires_at);

-- Sessions of github.com/alexedwards/scs/postgresstore.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- What a reviewer has seen: postings (for "new since my last visit") and applications (unread marks).
CREATE TABLE posting_visits (
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    email      text NOT NULL,
    visited_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (posting_id, email)
);
CREATE TABLE application_reads (
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    email          text NOT NULL,
    read_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, email)
);

CREATE TABLE notes (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    author         text NOT NULL,
    body           text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_application_idx ON notes (application_id, created_at);

CREATE TABLE ratings (
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    reviewer       text NOT NULL,
    score          smallint NOT NULL CHECK (score BETWEEN 1 AND 4),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, reviewer)
);

-- French full-text search that ignores accents: the french configuration
-- with unaccent before stemming.
CREATE TEXT SEARCH CONFIGURATION vivier_fr (COPY = french);
ALTER TEXT SEARCH CONFIGURATION vivier_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;

ALTER TABLE applications ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('vivier_fr'::regconfig, coalesce(first_name, '') || ' ' || coalesce(last_name, '')), 'A') ||
    setweight(to_tsvector('vivier_fr'::regconfig, coalesce(email, '') || ' ' || coalesce(location, '')), 'B') ||
    setweight(to_tsvector('vivier_fr'::regconfig, coalesce(motivation, '')), 'C')
) STORED;
CREATE INDEX applications_search_idx ON applications USING gin (search);
CREATE INDEX applications_posting_status_idx ON applications (posting_id, status, created_at DESC, id DESC);
CREATE INDEX applications_posting_name_idx ON applications (posting_id, lower(last_name || ' ' || first_name), id);
CREATE INDEX applications_posting_rate_idx ON applications (posting_id, daily_rate, id);

-- +goose Down
DROP INDEX applications_posting_rate_idx;
DROP INDEX applications_posting_name_idx;
DROP INDEX applications_posting_status_idx;
ALTER TABLE applications DROP COLUMN search;
DROP TEXT SEARCH CONFIGURATION vivier_fr;
DROP TABLE ratings;
DROP TABLE notes;
DROP TABLE application_reads;
DROP TABLE posting_visits;
DROP TABLE sessions;
DROP TABLE sign_in_tokens;
DROP TABLE posting_reviewers;
