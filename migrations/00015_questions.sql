-- +goose Up
-- A posting's own questions, asked on its form after the built-in fields.
-- A question removed after answers exist is only marked removed: its
-- answers keep pointing at it. Existing postings get none.
CREATE TABLE posting_questions (
    id         bigserial PRIMARY KEY,
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('short_text', 'long_text', 'one_choice', 'several_choices',
                                             'yes_no', 'number', 'date', 'link', 'file')),
    label      text NOT NULL CHECK (label <> ''),
    help       text NOT NULL DEFAULT '',
    required   boolean NOT NULL DEFAULT false,
    choices    text[] NOT NULL DEFAULT '{}',
    min_value  numeric,
    max_value  numeric,
    in_list    boolean NOT NULL DEFAULT false,  -- shown as a column of the inbox's list
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    removed_at timestamptz
);
CREATE INDEX posting_questions_posting_idx ON posting_questions (posting_id, position) WHERE removed_at IS NULL;

-- The answers, typed, each with the wording it answered (label, kind and
-- choices offered, as they were when the applicant sent the form), so
-- that a question changed or removed later leaves them readable. Erased
-- with the application.
CREATE TABLE application_answers (
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    question_id    bigint NOT NULL REFERENCES posting_questions (id),
    position       integer NOT NULL,
    kind           text NOT NULL,
    label          text NOT NULL,
    choices        text[] NOT NULL DEFAULT '{}',
    value_text     text,       -- short and long text, link
    value_choice   text,       -- one choice
    value_choices  text[],     -- several choices
    value_bool     boolean,    -- yes/no
    value_number   numeric,    -- number
    value_date     date,       -- date
    file_name      text,       -- file: checked as the CV is
    content_type   text,
    size_bytes     bigint,
    sha256         bytea,
    content        bytea,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (application_id, question_id)
);
-- The list's columns: filter and sort on one question's answers.
CREATE INDEX application_answers_number_idx ON application_answers (question_id, value_number, application_id)
    WHERE value_number IS NOT NULL;
CREATE INDEX application_answers_bool_idx ON application_answers (question_id, value_bool, application_id)
    WHERE value_bool IS NOT NULL;
CREATE INDEX application_answers_choice_idx ON application_answers (question_id, value_choice, application_id)
    WHERE value_choice IS NOT NULL;

-- +goose Down
DROP TABLE application_answers;
DROP TABLE posting_questions;
