-- +goose Up
-- How each reviewer of a posting wants to hear of its new applications
-- (and of applicants' replies): at once, in a daily digest, or not at
-- all. Without a row, a posting's contact is told at once and other
-- reviewers are not told. A reviewer taken off a posting loses theirs.
CREATE TABLE notification_preferences (
    posting_id bigint NOT NULL,
    email      text NOT NULL,
    frequency  text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (posting_id, email),
    FOREIGN KEY (posting_id, email) REFERENCES posting_reviewers (posting_id, email) ON DELETE CASCADE
);
CREATE INDEX notification_preferences_frequency_idx ON notification_preferences (frequency, email);

-- Each digest and weekly reminder written, per person and Paris day: a
-- second run for the same day (a restart, a second scheduler) writes
-- nothing. covers_until is the end of what the digest reported, where the
-- next one starts.
CREATE TABLE reviewer_digests (
    email        text NOT NULL,
    kind         text NOT NULL,
    day          date NOT NULL,
    covers_until timestamptz NOT NULL,
    email_id     bigint REFERENCES emails (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (email, kind, day)
);

-- The applications an email names besides its own (a digest, a reminder):
-- erasing one of them empties the email, as for the emails about it.
CREATE TABLE email_applications (
    email_id       bigint NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    PRIMARY KEY (email_id, application_id)
);
CREATE INDEX email_applications_application_idx ON email_applications (application_id);

-- +goose Down
DROP TABLE email_applications;
DROP TABLE reviewer_digests;
DROP TABLE notification_preferences;
