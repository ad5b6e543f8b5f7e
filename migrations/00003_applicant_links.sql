-- +goose Up
-- Private links sent again (an applicant who applies twice gets a new
-- one): every link stays valid until the data is erased.
CREATE TABLE application_tokens (
    token_hash     bytea PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_tokens_application_idx ON application_tokens (application_id);

-- The form's one-time value: the same form sent twice (a double click)
-- is the same application, not a duplicate.
ALTER TABLE applications ADD COLUMN submission_nonce text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE applications DROP COLUMN submission_nonce;
DROP TABLE application_tokens;
