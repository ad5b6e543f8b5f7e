-- +goose Up
-- Interview slots a reviewer proposes: to one application, or, with no
-- application, to a posting's pool offered to every applicant in
-- interview. The place is the address (in person) or the link (video).
CREATE TABLE interview_slots (
    id             bigserial PRIMARY KEY,
    posting_id     bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    application_id bigint REFERENCES applications (id) ON DELETE CASCADE,
    starts_at      timestamptz NOT NULL,
    minutes        integer NOT NULL CHECK (minutes > 0 AND minutes <= 480),
    mode           text NOT NULL CHECK (mode IN ('in_person', 'phone', 'video')),
    place          text NOT NULL DEFAULT '',
    attendees      text[] NOT NULL DEFAULT '{}',
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX interview_slots_application_idx ON interview_slots (application_id, starts_at);
CREATE INDEX interview_slots_posting_idx ON interview_slots (posting_id, starts_at);

-- An interview: a slot an applicant picked. Its times, place and
-- attendees are its own (a move changes them, not the slot's). A slot is
-- booked by one interview at a time, and an application has one booked
-- interview at a time: two applicants picking one slot at once, one wins.
CREATE TABLE interviews (
    id             bigserial PRIMARY KEY,
    posting_id     bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    slot_id        bigint NOT NULL REFERENCES interview_slots (id) ON DELETE CASCADE,
    uid            text NOT NULL UNIQUE,
    sequence       integer NOT NULL DEFAULT 0,
    state          text NOT NULL CHECK (state IN ('booked', 'cancelled')),
    starts_at      timestamptz NOT NULL,
    minutes        integer NOT NULL CHECK (minutes > 0 AND minutes <= 480),
    mode           text NOT NULL CHECK (mode IN ('in_person', 'phone', 'video')),
    place          text NOT NULL DEFAULT '',
    attendees      text[] NOT NULL DEFAULT '{}',
    cancelled_by   text NOT NULL DEFAULT '',
    -- When the reminder of the interview as it stands was written (a move
    -- clears it: the reminder is for the new time).
    reminded_at    timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX interviews_slot_booked_idx ON interviews (slot_id) WHERE state = 'booked';
CREATE UNIQUE INDEX interviews_application_booked_idx ON interviews (application_id) WHERE state = 'booked';
CREATE INDEX interviews_upcoming_idx ON interviews (posting_id, starts_at) WHERE state = 'booked';

-- An applicant saying that none of the slots fits, with their message.
CREATE TABLE interview_declines (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    message        text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX interview_declines_application_idx ON interview_declines (application_id);

-- Files an email carries (an invitation's iCalendar), written with it.
CREATE TABLE email_attachments (
    email_id     bigint NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    file_name    text NOT NULL,
    content_type text NOT NULL,
    content      bytea NOT NULL,
    PRIMARY KEY (email_id, position)
);

-- A reviewer's private calendar feed: one per address, its token stored
-- hashed; revoking it deletes the row.
CREATE TABLE calendar_feeds (
    email      text PRIMARY KEY CHECK (email = lower(email) AND email <> ''),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE email_attachments;
DROP TABLE interview_declines;
DROP TABLE interviews;
DROP TABLE interview_slots;
