-- +goose Up
-- A posting's previous contact keeps access only if an admin says so, and
-- is then shown among the reviewers as the former contact, until when.
ALTER TABLE posting_reviewers ADD COLUMN contact_until timestamptz;

-- Names, places and CV file names lose the invisible format characters
-- (bidirectional overrides and isolates, zero-width characters, BOM...)
-- with which they showed other than they were; the form now removes them.
-- +goose StatementBegin
DO $$
DECLARE
    cf constant text := E'[\u00AD\u0600-\u0605\u061C\u06DD\u070F\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]';
BEGIN
    UPDATE applications SET first_name = btrim(regexp_replace(first_name, cf, '', 'g')),
        last_name = btrim(regexp_replace(last_name, cf, '', 'g')),
        location = btrim(regexp_replace(location, cf, '', 'g'))
    WHERE first_name ~ cf OR last_name ~ cf OR location ~ cf;
    UPDATE documents SET file_name = regexp_replace(regexp_replace(file_name, cf, '', 'g'), '^\.', 'cv.')
    WHERE file_name ~ cf;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE posting_reviewers DROP COLUMN contact_until;
