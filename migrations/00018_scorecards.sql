-- +goose Up
-- Choosing well: evaluation criteria per posting, one scorecard per
-- reviewer and application, a blind first pass, and the reason given for
-- a rejection.

-- A posting's criteria: what a reviewer marks from 1 to 4, and how much
-- each counts. A criterion removed keeps its marks (the selection report
-- shows them) and no longer counts in the means.
CREATE TABLE evaluation_criteria (
    id bigserial PRIMARY KEY,
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    guidance text NOT NULL DEFAULT '' CHECK (length(guidance) <= 1000),
    weight smallint NOT NULL CHECK (weight BETWEEN 1 AND 5),
    position int NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    removed_at timestamptz
);
CREATE INDEX evaluation_criteria_posting_idx ON evaluation_criteria (posting_id, position, id);

-- One scorecard per reviewer and application: the overall recommendation
-- (1 definitely not, 2 no, 3 yes, 4 definitely yes), a comment, and the
-- marks by criterion. score is the card's weighted mean of its marks on
-- the criteria still in use (the recommendation when it has none), kept
-- with the card so that the list can sort on the application's mean.
CREATE TABLE scorecards (
    id bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    reviewer text NOT NULL CHECK (reviewer = lower(reviewer) AND reviewer <> ''),
    recommendation smallint NOT NULL CHECK (recommendation BETWEEN 1 AND 4),
    comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
    score float8 NOT NULL CHECK (score BETWEEN 1 AND 4),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (application_id, reviewer)
);
CREATE TABLE scorecard_marks (
    scorecard_id bigint NOT NULL REFERENCES scorecards (id) ON DELETE CASCADE,
    criterion_id bigint NOT NULL REFERENCES evaluation_criteria (id) ON DELETE CASCADE,
    mark smallint NOT NULL CHECK (mark BETWEEN 1 AND 4),
    PRIMARY KEY (scorecard_id, criterion_id)
);
CREATE INDEX scorecard_marks_criterion_idx ON scorecard_marks (criterion_id);

-- The application's mean of its scorecards' scores (0: none yet) and
-- their number, written with each scorecard; the list sorts on the mean.
ALTER TABLE applications
    ADD COLUMN score_mean float8 NOT NULL DEFAULT 0,
    ADD COLUMN scorecard_count int NOT NULL DEFAULT 0,
    -- A blind posting's application shown as the person: when it reached
    -- the posting's stage, and who moved it there.
    ADD COLUMN revealed_at timestamptz,
    ADD COLUMN revealed_by text NOT NULL DEFAULT '';
CREATE INDEX applications_posting_score_idx ON applications (posting_id, score_mean DESC, id DESC) WHERE erased_at IS NULL;
-- The tabs' counts under a filter on the mean read the index alone.
CREATE INDEX applications_posting_status_score_idx ON applications (posting_id, status, score_mean) WHERE erased_at IS NULL;

-- A blind first pass: until an application reaches this status (a stage
-- of the pipeline; '' for none), reviewers see a number, not the person.
ALTER TABLE postings ADD COLUMN blind_until text NOT NULL DEFAULT '';

-- The reason a reviewer gives for a rejection, kept with the status change
-- (never sent to the applicant unless the reviewer writes it in the email).
ALTER TABLE application_events ADD COLUMN reason text NOT NULL DEFAULT '';

-- Today's ratings become the overall recommendation of a scorecard. The
-- ratings table is no longer written; a later release drops it.
INSERT INTO scorecards (application_id, reviewer, recommendation, score, created_at, updated_at)
    SELECT application_id, reviewer, score, score, updated_at, updated_at FROM ratings;
UPDATE applications a SET score_mean = s.mean, scorecard_count = s.n
    FROM (SELECT application_id, avg(score)::float8 AS mean, count(*)::int AS n FROM scorecards GROUP BY application_id) s
    WHERE a.id = s.application_id;

-- Every posting starts with the default criteria (the same set reviewers
-- are offered for a posting without any: repository.DefaultCriteria).
INSERT INTO evaluation_criteria (posting_id, name, guidance, weight, position, created_by, created_at)
    SELECT p.id, d.name, d.guidance, d.weight, d.position, 'migration', now()
    FROM postings p CROSS JOIN (VALUES
        (1, 'Expérience de missions comparables', 'A déjà mené des missions proches de celle-ci (sujet, public, durée) et dit ce qu''elle ou il y a fait.', 3),
        (2, 'Compétences pour la mission', 'Maîtrise les méthodes ou techniques que demande l''offre, avec des exemples précis.', 3),
        (3, 'Connaissance du secteur public', 'Connaît le fonctionnement des administrations ou des collectivités et leurs contraintes.', 2),
        (4, 'Clarté et motivation', 'Répond à l''offre elle-même, clairement, et dit ce qu''elle ou il veut y apporter.', 1)
    ) AS d(position, name, guidance, weight);

-- +goose Down
DROP INDEX applications_posting_status_score_idx;
DROP INDEX applications_posting_score_idx;
ALTER TABLE application_events DROP COLUMN reason;
ALTER TABLE postings DROP COLUMN blind_until;
ALTER TABLE applications DROP COLUMN score_mean, DROP COLUMN scorecard_count, DROP COLUMN revealed_at, DROP COLUMN revealed_by;
DROP TABLE scorecard_marks;
DROP TABLE scorecards;
DROP TABLE evaluation_criteria;
