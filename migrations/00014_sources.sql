-- +goose Up
-- Where an application came from: the campaign parameters of the posting's
-- address and the host of the site that linked to it (never the full
-- address). They are about the application and are erased with it.
ALTER TABLE applications
    ADD COLUMN utm_source text NOT NULL DEFAULT '',
    ADD COLUMN utm_medium text NOT NULL DEFAULT '',
    ADD COLUMN utm_campaign text NOT NULL DEFAULT '',
    ADD COLUMN ref text NOT NULL DEFAULT '',
    ADD COLUMN referrer_host text NOT NULL DEFAULT '';

-- The list's filter by source, and the sources seen for a posting (read
-- one step per source, not one per application).
CREATE INDEX applications_posting_source_idx ON applications (posting_id, utm_source)
    WHERE utm_source <> '' AND erased_at IS NULL;

-- Short links a posting's reviewers hand out, one per channel: /l/SLUG
-- leads to the posting with utm_source set to the channel. Nothing about
-- who follows them is kept.
CREATE TABLE tracked_links (
    id bigserial PRIMARY KEY,
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    label text NOT NULL,
    slug text NOT NULL UNIQUE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX tracked_links_label_idx ON tracked_links (posting_id, lower(label));

-- Views of postings' pages and their forms started and sent, per day:
-- counts only, nothing about visitors.
-- They are counted in Redis and added here by the scheduler in batches;
-- view_batches names the batches added, so that a batch flushed twice is
-- added once.
CREATE TABLE posting_views (
    posting_id bigint NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    day date NOT NULL,
    views bigint NOT NULL DEFAULT 0,
    forms_started bigint NOT NULL DEFAULT 0,
    forms_sent bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (posting_id, day)
);
CREATE TABLE view_batches (
    id text PRIMARY KEY,
    flushed_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE view_batches;
DROP TABLE posting_views;
DROP TABLE tracked_links;
ALTER TABLE applications DROP COLUMN utm_source, DROP COLUMN utm_medium, DROP COLUMN utm_campaign,
    DROP COLUMN ref, DROP COLUMN referrer_host;
