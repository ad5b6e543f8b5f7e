package handlers

import (
	"regexp"
	"strings"

	"vivier/repository"
)

// What reviewers see of an application during a posting's blind first
// pass (the decision itself is repository.ShownOf's, for every page, the
// CSV and the emails to reviewers).

// applicantLabel names the applicant, neutrally, where a page would show
// their address during a blind first pass.
const applicantLabel = "la personne candidate"

// addressRe finds email addresses in a server's answer (a bounce's
// reason, a failed send's error).
var addressRe = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// maskEmails returns an application's emails as reviewers may see them
// while it is shown as a number (a is the application itself): those to
// the applicant (to their address, or to the address they had before a
// correction, which such emails name them at: emails to reviewers never
// carry a name) neither name their address nor show their subject (it
// may hold the person's name), and the mail servers' answers about them
// lose any address. An email to reviewers written before the posting was
// reviewed blind may name the person in its subject: it is masked too.
func maskEmails(emails []repository.Email, a *repository.Application) []repository.Email {
	out := make([]repository.Email, len(emails))
	for i, e := range emails {
		toApplicant := (a.Email != "" && strings.EqualFold(e.ToAddress, a.Email)) || e.ToName != ""
		if toApplicant || namesPerson(e.Subject, a) {
			e.Subject = "(objet masqué pendant la relecture à l'aveugle)"
		}
		if toApplicant {
			e.ToAddress, e.ToName = applicantLabel, ""
			e.BounceReason = addressRe.ReplaceAllString(e.BounceReason, "(adresse masquée)")
			e.LastError = addressRe.ReplaceAllString(e.LastError, "(adresse masquée)")
		}
		out[i] = e
	}
	return out
}

// namesPerson reports whether s holds the first or the last name of a's
// applicant (masking a subject too many is harmless).
func namesPerson(s string, a *repository.Application) bool {
	low := strings.ToLower(s)
	for _, n := range []string{a.LastName, a.FirstName} {
		if n = strings.ToLower(strings.TrimSpace(n)); len([]rune(n)) >= 2 && strings.Contains(low, n) {
			return true
		}
	}
	return false
}

// inboundView is what came back from the applicant, as the application's
// page shows it.
type inboundView struct {
	repository.InboundMessage
	// From names the sender: their name and address, or, during a blind
	// first pass, « la personne candidate ».
	From string
	// During a blind first pass, the files kept are counted, not named
	// (Attachments is then empty), and HeldNotes says that something was
	// refused (Notes, which names the files refused, is then empty).
	HeldFiles int
	HeldNotes bool
}

// inboundFor returns what came back from an applicant as reviewers may
// see it; while the application is shown as a number (hidden), as the
// emails to reviewers tell of it: the sender is not named, the subject is
// left out, and attachments (often a CV), kept or refused, are counted
// but not named, and held back as the CV is. The text stays: applicants
// of a blind posting are asked not to sign.
func inboundFor(messages []repository.InboundMessage, hidden bool) []inboundView {
	out := make([]inboundView, len(messages))
	for i, m := range messages {
		v := inboundView{InboundMessage: m, From: m.FromAddress}
		if m.FromName != "" {
			v.From = m.FromName + " <" + m.FromAddress + ">"
		}
		if hidden {
			v.From = applicantLabel
			v.HeldFiles, v.HeldNotes = len(m.Attachments), m.Notes != ""
			v.FromAddress, v.FromName, v.Subject, v.Notes, v.Attachments = "", "", "", "", nil
		}
		out[i] = v
	}
	return out
}

// listRowFor returns a list row as reviewers may see it: its identity
// blanked and named by its number while the posting is reviewed blind.
func listRowFor(p *repository.Posting, r repository.ListRow) (repository.ListRow, bool) {
	if !repository.HidesIdentity(p.BlindUntil, r.Status, r.RevealedAt != nil) {
		return r, false
	}
	r.FirstName, r.LastName = repository.NumberLabel(r.ID), ""
	r.Email, r.Phone, r.SIRET = "", "", ""
	r.UTMSource, r.UTMMedium, r.UTMCampaign, r.Ref, r.ReferrerHost = "", "", "", "", ""
	return r, true
}
