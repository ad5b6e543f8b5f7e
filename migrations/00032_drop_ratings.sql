-- +goose Up
-- The marks of 1 to 4 became the overall recommendation of scorecards in
-- migration 00018, and nothing has read or written the ratings table
-- since. A binary from before that migration may still have written a few
-- until it was replaced: those not carried over yet are, with the means
-- and counts of their applications, before the table goes.
INSERT INTO scorecards (application_id, reviewer, recommendation, score, created_at, updated_at)
    SELECT application_id, reviewer, score, score, updated_at, updated_at FROM ratings
    ON CONFLICT (application_id, reviewer) DO NOTHING;
UPDATE applications a SET score_mean = s.mean, scorecard_count = s.n
    FROM (SELECT application_id, avg(score)::float8 AS mean, count(*)::int AS n FROM scorecards
        WHERE application_id IN (SELECT application_id FROM ratings) GROUP BY application_id) s
    WHERE a.id = s.application_id AND (a.score_mean, a.scorecard_count) IS DISTINCT FROM (s.mean, s.n);
DROP TABLE ratings;

-- +goose Down
CREATE TABLE ratings (
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    reviewer       text NOT NULL,
    score          smallint NOT NULL CHECK (score BETWEEN 1 AND 4),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, reviewer)
);
