-- +goose Up
-- A posting's figures without reading its applications: totals kept by
-- triggers in the same transaction as every change (an application
-- received, its status changed, its data erased, its history written),
-- whatever statement makes it.
--
-- The stages of the pipeline, in order (catalog.Stages(); a test checks
-- that both say the same): the furthest stage an application reached is
-- the greater of its status's and of any status its history went to.
-- +goose StatementBegin
CREATE FUNCTION vivier_stage(status text) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE status WHEN 'received' THEN 1 WHEN 'in_review' THEN 2 WHEN 'shortlisted' THEN 3
        WHEN 'interview' THEN 4 WHEN 'accepted' THEN 5 END)::smallint
$$;
-- +goose StatementEnd

-- The bucket of a wait, in seconds from receipt: its hour for a week,
-- then its day. A median is found by counting buckets up to the middle,
-- then reading the index from the start of that bucket only.
-- +goose StatementBegin
CREATE FUNCTION vivier_wait_bucket(w interval) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN extract(epoch FROM w) < 604800 THEN floor(extract(epoch FROM w) / 3600) * 3600
        ELSE floor(extract(epoch FROM w) / 86400) * 86400 END)::bigint
$$;
-- +goose StatementEnd

-- What an application's history says for the figures: the furthest stage
-- its history went to, and how long after receipt its status first
-- changed and it was decided (retained or not).
ALTER TABLE applications
    ADD COLUMN history_stage smallint NOT NULL DEFAULT 1,
    ADD COLUMN answered_after interval,
    ADD COLUMN decided_after interval;

UPDATE applications a SET history_stage = greatest(a.history_stage, e.stage),
    answered_after = e.first_change - a.created_at, decided_after = e.decided - a.created_at
FROM (SELECT application_id, coalesce(max(vivier_stage(to_status)), 1) AS stage,
        min(created_at) FILTER (WHERE kind = 'status_changed') AS first_change,
        min(created_at) FILTER (WHERE to_status IN ('accepted', 'rejected')) AS decided
    FROM application_events GROUP BY application_id) e
WHERE a.id = e.application_id;

-- Medians read from the middle of these.
CREATE INDEX applications_answered_idx ON applications (posting_id, answered_after) WHERE answered_after IS NOT NULL;
CREATE INDEX applications_decided_idx ON applications (posting_id, decided_after) WHERE decided_after IS NOT NULL;

-- Counts of a posting's applications by metric and key: "day" (received
-- that day, Paris), "source" (utm_source, '' unknown), "status" (current
-- status), "stage" (furthest stage reached, 1 to 5), "waiting" (received
-- that day, Paris, and still "received", not erased), "answered" and
-- "decided" (key: the bucket of the time from receipt to the first change
-- of status, to the decision, vivier_wait_bucket). Triggers add one row
-- of changes per statement (never update a shared row, so concurrent
-- applications do not wait for each other); a posting's count is the sum
-- of its rows, and the scheduler folds them into one row per key
-- (compacted) every minute.
CREATE TABLE posting_figure_counts (
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    metric text NOT NULL CHECK (metric IN ('day', 'source', 'status', 'stage', 'waiting', 'answered', 'decided')),
    key text NOT NULL,
    n bigint NOT NULL,
    compacted boolean NOT NULL DEFAULT false
);
CREATE INDEX posting_figure_counts_posting_idx ON posting_figure_counts (posting_id, metric, key) INCLUDE (n);
CREATE INDEX posting_figure_counts_loose_idx ON posting_figure_counts (posting_id) WHERE NOT compacted;

INSERT INTO posting_figure_counts (posting_id, metric, key, n, compacted)
SELECT a.posting_id, m.metric, m.key, count(*), true
FROM applications a, LATERAL (VALUES ('day', ((a.created_at AT TIME ZONE 'Europe/Paris')::date)::text),
    ('source', a.utm_source), ('status', a.status),
    ('stage', greatest(coalesce(vivier_stage(a.status), 1), a.history_stage)::text),
    ('waiting', CASE WHEN a.status = 'received' AND a.erased_at IS NULL
        THEN ((a.created_at AT TIME ZONE 'Europe/Paris')::date)::text END),
    ('answered', vivier_wait_bucket(a.answered_after)::text),
    ('decided', vivier_wait_bucket(a.decided_after)::text)) AS m(metric, key)
WHERE m.key IS NOT NULL
GROUP BY 1, 2, 3;

-- +goose StatementBegin
CREATE FUNCTION applications_figures_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posting_figure_counts (posting_id, metric, key, n)
    SELECT a.posting_id, m.metric, m.key, count(*)
    FROM new_rows a, LATERAL (VALUES ('day', ((a.created_at AT TIME ZONE 'Europe/Paris')::date)::text),
        ('source', a.utm_source), ('status', a.status),
        ('stage', greatest(coalesce(vivier_stage(a.status), 1), a.history_stage)::text),
    ('waiting', CASE WHEN a.status = 'received' AND a.erased_at IS NULL
        THEN ((a.created_at AT TIME ZONE 'Europe/Paris')::date)::text END),
    ('answered', vivier_wait_bucket(a.answered_after)::text),
    ('decided', vivier_wait_bucket(a.decided_after)::text)) AS m(metric, key)
WHERE m.key IS NOT NULL
    GROUP BY 1, 2, 3;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER applications_figures_insert AFTER INSERT ON applications
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION applications_figures_insert();

-- +goose StatementBegin
CREATE FUNCTION applications_figures_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posting_figure_counts (posting_id, metric, key, n)
    SELECT a.posting_id, m.metric, m.key, sum(a.n)
    FROM (SELECT a.posting_id, a.created_at, a.utm_source, a.status, a.history_stage, a.erased_at, a.answered_after, a.decided_after, -1 AS n FROM old_rows a
        UNION ALL
        SELECT a.posting_id, a.created_at, a.utm_source, a.status, a.history_stage, a.erased_at, a.answered_after, a.decided_after, 1 AS n FROM new_rows a) a,
        LATERAL (VALUES ('day', ((a.created_at AT TIME ZONE 'Europe/Paris')::date)::text),
            ('source', a.utm_source), ('status', a.status),
            ('stage', greatest(coalesce(vivier_stage(a.status), 1), a.history_stage)::text),
    ('waiting', CASE WHEN a.status = 'received' AND a.erased_at IS NULL
        THEN ((a.created_at AT TIME ZONE 'Europe/Paris')::date)::text END),
    ('answered', vivier_wait_bucket(a.answered_after)::text),
    ('decided', vivier_wait_bucket(a.decided_after)::text)) AS m(metric, key)
WHERE m.key IS NOT NULL
    GROUP BY 1, 2, 3
    HAVING sum(a.n) <> 0;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER applications_figures_update AFTER UPDATE ON applications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION applications_figures_update();

-- +goose StatementBegin
CREATE FUNCTION application_events_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications a SET history_stage = greatest(a.history_stage, e.stage),
        answered_after = least(a.answered_after, e.first_change - a.created_at),
        decided_after = least(a.decided_after, e.decided - a.created_at)
    FROM (SELECT application_id, coalesce(max(vivier_stage(to_status)), 1) AS stage,
            min(created_at) FILTER (WHERE kind = 'status_changed') AS first_change,
            min(created_at) FILTER (WHERE to_status IN ('accepted', 'rejected')) AS decided
        FROM new_rows GROUP BY application_id) e
    WHERE a.id = e.application_id AND (e.stage > a.history_stage
        OR (e.first_change IS NOT NULL AND (a.answered_after IS NULL OR e.first_change - a.created_at < a.answered_after))
        OR (e.decided IS NOT NULL AND (a.decided_after IS NULL OR e.decided - a.created_at < a.decided_after)));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER application_events_figures AFTER INSERT ON application_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION application_events_figures();

-- +goose Down
DROP TRIGGER application_events_figures ON application_events;
DROP FUNCTION application_events_figures();
DROP TRIGGER applications_figures_update ON applications;
DROP FUNCTION applications_figures_update();
DROP TRIGGER applications_figures_insert ON applications;
DROP FUNCTION applications_figures_insert();
DROP TABLE posting_figure_counts;
DROP INDEX applications_decided_idx;
DROP INDEX applications_answered_idx;
ALTER TABLE applications DROP COLUMN history_stage, DROP COLUMN answered_after, DROP COLUMN decided_after;
DROP FUNCTION vivier_stage(text);
DROP FUNCTION vivier_wait_bucket(interval);
