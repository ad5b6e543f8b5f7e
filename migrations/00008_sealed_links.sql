-- +goose Up
-- The links emails carry (private links, sign-in links) are no longer
-- stored in clear: the bodies hold '[lien personnel retiré]' in place of
-- the token, and the token waits sealed with LINK_KEY until the email is
-- sent, then is forgotten.
ALTER TABLE emails ADD COLUMN link_sealed bytea;

-- Rows written before held working tokens in clear: every token is masked.
-- An email that carried one and is still pending cannot be sealed here
-- (the key is not in the database) and is not sent without its link: it
-- is cancelled, saying why. Its recipient can ask again (a sign-in link at
-- /connexion; a private link by applying again with the same address).
-- One being sent at this very moment is left to its worker. (A web process
-- of the previous version still running after this migration writes its
-- links in clear as before: running this UPDATE again once it is gone
-- masks them too.)
UPDATE emails SET
    status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,
    last_error = CASE WHEN status = 'pending'
        THEN 'Non envoyé : son lien personnel a été retiré lors d''une mise à jour de sécurité.' ELSE last_error END,
    subject = regexp_replace(subject, '(/candidature/|/connexion/lien/)[A-Za-z0-9_-]{43}', '\1[lien personnel retiré]', 'g'),
    text_body = regexp_replace(text_body, '(/candidature/|/connexion/lien/)[A-Za-z0-9_-]{43}', '\1[lien personnel retiré]', 'g'),
    html_body = regexp_replace(html_body, '(/candidature/|/connexion/lien/)[A-Za-z0-9_-]{43}', '\1[lien personnel retiré]', 'g'),
    updated_at = now()
WHERE subject ~ '(/candidature/|/connexion/lien/)[A-Za-z0-9_-]{43}'
   OR text_body ~ '(/candidature/|/connexion/lien/)[A-Za-z0-9_-]{43}'
   OR html_body ~ '(/candidature/|/connexion/lien/)[A-Za-z0-9_-]{43}';

-- +goose Down
-- The masked tokens are gone for good; only the column goes.
ALTER TABLE emails DROP COLUMN link_sealed;
