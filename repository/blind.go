package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"vivier/internal/catalog"
)

// A blind first pass: until an application of a posting reviewed blind
// reaches the stage its reviewers chose, reviewers see "Candidature n° N"
// instead of the person, and neither their contact details, links, SIRET
// nor CV. This file is the one place that decides how an application is
// named and shown to reviewers: pages, the CSV, the selection report and
// every email to reviewers ask it (ForReviewers, Shown, HidesIdentity).
// Emails to the applicant are not concerned.

// HidesIdentity reports whether reviewers see an application as a number:
// its posting is reviewed blind until blindUntil ("" for not blind), the
// application has not reached that stage, and was never revealed (an
// application revealed and then rejected stays revealed).
func HidesIdentity(blindUntil, status catalog.Status, revealed bool) bool {
	return blindUntil != "" && !revealed && !status.Reaches(blindUntil)
}

// NumberLabel names an application by its number, as reviewers see it
// during a blind first pass: "Candidature n° 17".
func NumberLabel(id int64) string { return "Candidature n° " + strconv.FormatInt(id, 10) }

// Shown is how reviewers see an application: its name, and whether its
// identity is hidden.
type Shown struct {
	Hidden bool
	// Name is "Prénom Nom", or "Candidature n° 17" when Hidden.
	Name string
}

// ShownOf says how reviewers see an application of p.
func ShownOf(p *Posting, a *Application) Shown {
	if HidesIdentity(p.BlindUntil, a.Status, a.RevealedAt != nil) {
		return Shown{Hidden: true, Name: NumberLabel(a.ID)}
	}
	return Shown{Name: a.FirstName + " " + a.LastName}
}

// ForReviewers returns the application as reviewers may see it: a itself
// when its identity is not hidden, otherwise a copy named "Candidature"
// "n° 17" (so that "{{.Prenom}} {{.Nom}}" reads "Candidature n° 17")
// without email, phone, SIRET, links or where it came from; the answers,
// daily rate, availability and motivation are kept.
func ForReviewers(p *Posting, a *Application) (*Application, bool) {
	if !ShownOf(p, a).Hidden {
		return a, false
	}
	m := *a
	m.FirstName, m.LastName = "Candidature", "n° "+strconv.FormatInt(a.ID, 10)
	m.Email, m.Phone, m.SIRET, m.SIRETVerified, m.Links = "", "", "", false, nil
	m.UTMSource, m.UTMMedium, m.UTMCampaign, m.Ref, m.ReferrerHost = "", "", "", "", ""
	return &m, true
}

// AuditRevealed records that an application of a blind posting was shown
// as the person, who moved it to the stage that reveals it, and when.
const AuditRevealed = "application_revealed"

// AuditBlindSet records a change of a posting's blind first pass.
const AuditBlindSet = "blind_review_set"

// SetBlindUntil sets the stage until which a posting's applications are
// shown as numbers ("" ends the blind pass), with the audit line, in one
// transaction. Returns ErrNotFound for an unknown posting.
func (r *Repo) SetBlindUntil(ctx context.Context, postingID int64, until catalog.Status, actor string) error {
	return r.inTx(ctx, func(tx *Tx) error {
		var was catalog.Status
		err := tx.QueryRowContext(ctx, `SELECT blind_until FROM postings WHERE id = $1 FOR UPDATE`, postingID).Scan(&was)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("blind review of posting %d: %w", postingID, err)
		}
		if was == until {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE postings SET blind_until = $2 WHERE id = $1`, postingID, until); err != nil {
			return fmt.Errorf("blind review of posting %d: %w", postingID, err)
		}
		return insertAudit(ctx, tx, tx.now, actor, AuditBlindSet, postingID, 0, map[string]any{"avant": was, "jusqu_a": until})
	})
}

// revealIfReached marks an application of a blind posting revealed when
// its new status reaches the posting's stage, with the audit line, in the
// status change's transaction. It reports whether it revealed it.
func revealIfReached(ctx context.Context, tx *Tx, blindUntil catalog.Status, a *Application, actor string) (bool, error) {
	if blindUntil == "" || a.RevealedAt != nil || !a.Status.Reaches(blindUntil) {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET revealed_at = $2, revealed_by = $3 WHERE id = $1`,
		a.ID, tx.now, actor); err != nil {
		return false, fmt.Errorf("reveal application %d: %w", a.ID, err)
	}
	at := tx.now
	a.RevealedAt = &at
	return true, insertAudit(ctx, tx, tx.now, actor, AuditRevealed, a.PostingID, a.ID,
		map[string]any{"etape": blindUntil, "statut": a.Status, "revele": []string{"nom", "email", "telephone", "liens", "siret", "cv"}})
}
