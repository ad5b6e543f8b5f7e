-- +goose Up
-- CVs arrive compressed already (PDF, DOCX and ODT are), so PostgreSQL's
-- own compression only spent CPU on every upload for nothing: stored out
-- of line as they are. Rows written before keep their storage.
ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTERNAL;

-- +goose Down
ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTENDED;
