-- +goose Up
-- An application whose SIRET came from ProConnect (the applicant filled
-- the form with it and kept that SIRET) says so to reviewers.
ALTER TABLE applications ADD COLUMN siret_verified boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE applications DROP COLUMN siret_verified;
