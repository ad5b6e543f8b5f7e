package handlers

import (
	"strings"

	"vivier/repository"
)

// What reviewers see of an application during a posting's blind first
// pass (the decision itself is repository.ShownOf's, for every page, the
// CSV and the emails to reviewers).

// maskEmails returns an application's emails as reviewers may see them
// while it is shown as a number: those to the applicant neither name
// their address nor show their subject (it may hold the person's name).
func maskEmails(emails []repository.Email, applicant string) []repository.Email {
	out := make([]repository.Email, len(emails))
	for i, e := range emails {
		if applicant != "" && strings.EqualFold(e.ToAddress, applicant) {
			e.ToAddress = "la personne candidate"
			e.Subject = "(objet masqué pendant la relecture à l'aveugle)"
			e.ToName = ""
		}
		out[i] = e
	}
	return out
}

// maskInbound returns what came back from an applicant as reviewers may
// see it while the application is shown as a number (name): the sender
// is not named, and attachments (often a CV) are held back as the CV is.
// The text stays: applicants of a blind posting are asked not to sign.
func maskInbound(messages []repository.InboundMessage, name string) []repository.InboundMessage {
	out := make([]repository.InboundMessage, len(messages))
	for i, m := range messages {
		m.FromAddress, m.FromName = "", name
		m.Attachments = nil
		out[i] = m
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
