// Package closing closes a posting: it renders what each group of
// applicants receives, writes the close in one transaction and hands the
// emails to the workers. The inbox (by hand) and the scheduler (at the
// closing date) both close through it.
package closing

import (
	"context"
	"fmt"
	"strings"

	"vivier/internal/catalog"
	"vivier/internal/emailtmpl"
	"vivier/repository"
)

// Words are the subject and message a group receives; an empty subject
// means the group gets nothing.
type Words struct {
	Subject, Message string
}

// Enqueue hands a posting's close emails to the workers after the commit.
type Enqueue func(ctx context.Context, postingID int64, round int) error

// Closer closes postings.
type Closer struct {
	Repo     *repository.Repo
	Emails   *emailtmpl.Renderer
	Operator string
	Enqueue  Enqueue
	// OperatorArticle is the operator's name with its article (see
	// emailtmpl.Data); Operator when empty.
	OperatorArticle string
}

// placeholderApp stands for every applicant of a group: the names are
// filled in by the database, row by row.
var placeholderApp = &repository.Application{FirstName: repository.PlaceholderFirstName, LastName: repository.PlaceholderLastName}

// DefaultWords returns the default subject and message of each group, as
// people edit them: in the wordings' language, with {{.Prenom}} and the
// other variables. Accepted applicants get nothing unless the contact
// writes to them, so their default is a suggestion without a subject.
// A posting's own wording of a group's email (saved in the inbox) comes
// first; an accepted group with its own wording gets it.
func (c *Closer) DefaultWords(ctx context.Context, p *repository.Posting) (map[catalog.CloseGroup]Words, error) {
	saved, err := c.Repo.PostingTemplates(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	out := map[catalog.CloseGroup]Words{}
	for _, g := range catalog.CloseGroups() {
		e, _ := emailtmpl.EditableByKey(string(g))
		var o *emailtmpl.Override
		if t, ok := saved[string(g)]; ok {
			o = &emailtmpl.Override{Subject: t.Subject, Body: t.Body}
		}
		subject, message := c.Emails.Source(e, o)
		if g == catalog.CloseAccepted && (o == nil || emailtmpl.Stored(o) != nil) {
			subject = ""
		}
		out[g] = Words{Subject: subject, Message: message}
	}
	return out, nil
}

// Close closes an open posting with the given words, written in the
// wordings' language (see emailtmpl.Check). Each group's words are
// rendered once, the names standing as placeholders that the database
// fills in for each applicant. It returns what it wrote;
// repository.ErrConflict when the posting was not open.
func (c *Closer) Close(ctx context.Context, p *repository.Posting, actor string, words map[catalog.CloseGroup]Words) (*repository.CloseResult, error) {
	plan := repository.ClosePlan{Actor: actor, Texts: map[catalog.CloseGroup]repository.CloseText{}}
	for g, w := range words {
		if strings.TrimSpace(w.Subject) == "" || strings.TrimSpace(w.Message) == "" {
			continue
		}
		d := &emailtmpl.Data{Operator: c.Operator, OperatorArticle: c.OperatorArticle, Posting: p, Application: placeholderApp, Group: g}
		subject, message, err := emailtmpl.RenderWords(w.Subject, w.Message, d)
		if err != nil {
			return nil, fmt.Errorf("close group %s: %w", g, err)
		}
		d.Subject, d.Message = subject, message
		r, err := c.Emails.Render(emailtmpl.CloseUpdate, d)
		if err != nil {
			return nil, err
		}
		plan.Texts[g] = repository.CloseText{Subject: subject, Text: r.Text, HTML: r.HTML}
	}
	if p.ContactEmail != "" {
		plan.Summary = func(written map[catalog.CloseGroup]int, n repository.CloseCounts) (*repository.Email, error) {
			s := &emailtmpl.CloseSummaryData{Actor: actor, InReview: written[catalog.CloseInReview],
				Interview: written[catalog.CloseInterview],
				Accepted:  written[catalog.CloseAccepted], Rejected: written[catalog.CloseRejected],
				Withdrawn: n.Withdrawn, AcceptedSilent: n.Accepted - written[catalog.CloseAccepted],
				RejectedTold: n.RejectedTold}
			s.Told = s.InReview + s.Interview + s.Accepted + s.Rejected
			r, err := c.Emails.Render(emailtmpl.CloseSummary, &emailtmpl.Data{Operator: c.Operator, OperatorArticle: c.OperatorArticle, Posting: p, Summary: s})
			if err != nil {
				return nil, err
			}
			return &repository.Email{Kind: emailtmpl.CloseSummary, PostingID: &p.ID, ToAddress: p.ContactEmail,
				Subject: r.Subject, TextBody: r.Text, HTMLBody: r.HTML}, nil
		}
	}
	res, err := c.Repo.ClosePosting(ctx, p.ID, plan)
	if err != nil {
		return nil, fmt.Errorf("close posting %d: %w", p.ID, err)
	}
	if c.Enqueue != nil {
		// The outbox holds the emails: if this fails, the sweep sends them.
		_ = c.Enqueue(ctx, p.ID, res.Round)
	}
	return res, nil
}
