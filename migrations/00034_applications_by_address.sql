-- +goose Up
-- An applicant who lost their private link asks for a new one by address,
-- whatever the posting (/lien-perdu): the live applications of an address
-- are found through this index rather than by reading every application.
CREATE INDEX applications_email_idx ON applications (lower(email)) WHERE erased_at IS NULL;

-- +goose Down
DROP INDEX applications_email_idx;
