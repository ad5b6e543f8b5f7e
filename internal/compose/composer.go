package compose

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/config"
	"vivier/internal/frfmt"
	"vivier/internal/links"
	"vivier/repository"
)

// Composer writes every email. It is built once per process and holds
// nothing that changes: it is safe for concurrent use.
type Composer struct {
	r    *renderer
	fill repository.Fill

	// What every email shares, from the configuration.
	operator, operatorArticle string
	baseURL                   string
	retentionMonths           int
	// dataContact answers personal data requests about a posting without
	// a contact of its own.
	dataContact string
}

// New parses the templates and reads what every email shares from cfg;
// an error names the template at fault.
func New(cfg *config.Config) (*Composer, error) {
	r, err := newRenderer()
	if err != nil {
		return nil, err
	}
	fill, err := newFill()
	if err != nil {
		return nil, err
	}
	c := &Composer{r: r, fill: fill, operator: cfg.OperatorName, operatorArticle: cfg.OperatorNameArticle,
		baseURL: cfg.BaseURL, retentionMonths: cfg.RetentionMonths,
		dataContact: "l'équipe " + frfmt.De(cfg.OperatorNameArticle)}
	if len(cfg.AdminEmails) > 0 {
		c.dataContact = cfg.AdminEmails[0]
	}
	return c, nil
}

// DataContact is where applicants send requests about their data: the
// posting's contact, else the first admin, else the operator's team (p
// may be nil).
func (c *Composer) DataContact(p *repository.Posting) string {
	if p != nil && p.ContactEmail != "" {
		return p.ContactEmail
	}
	return c.dataContact
}

// data is what every email about p and a (either may be nil) shares.
func (c *Composer) data(p *repository.Posting, a *repository.Application) *emailData {
	d := &emailData{Operator: c.operator, OperatorArticle: c.operatorArticle, Posting: p, Application: a,
		RetentionMonths: c.retentionMonths, DataContact: c.DataContact(p)}
	if p != nil {
		d.Contact = p.ContactEmail
	}
	return d
}

// privateLink is an applicant's private link.
func (c *Composer) privateLink(token string) string { return c.baseURL + "/candidature/" + token }

// email renders kind for d into an email to write.
func (c *Composer) email(kind Kind, d *emailData, to, toName, replyTo string) (*repository.Email, error) {
	r, err := c.r.render(kind, d)
	if err != nil {
		return nil, err
	}
	e := &repository.Email{Kind: string(kind), ToAddress: to, ToName: toName, ReplyTo: replyTo,
		Subject: r.Subject, TextBody: r.Text, HTMLBody: r.HTML}
	if d.Posting != nil {
		e.PostingID = &d.Posting.ID
	}
	if d.Application != nil && d.Application.ID != 0 {
		e.ApplicationID = &d.Application.ID
	}
	return e, nil
}

// worded renders kind in the posting's own wording of it, if it has one.
func (c *Composer) worded(kind Kind, d *emailData, own map[string]repository.PostingTemplate, to, toName, replyTo string) (*repository.Email, error) {
	if e, ok := editableFor(kind, d.Status); ok {
		if o := saved(e, own); o != nil {
			dd := *d
			dd.Subject, dd.Message = c.r.words(e, d, o)
			d = &dd
		}
	}
	return c.email(kind, d, to, toName, replyTo)
}

func fullName(a *repository.Application) string { return a.FirstName + " " + a.LastName }

// Application writes what a new application sends: the acknowledgement
// to the applicant, with the private link of token (sealed when stored),
// and the notification to each reviewer in notify (those told at once:
// see repository.NotifiedAtOnce), each in the posting's own wording (own,
// by key) when it has one.
func (c *Composer) Application(p *repository.Posting, a *repository.Application, token, cvName string,
	own map[string]repository.PostingTemplate, notify []string) ([]*repository.Email, error) {
	d := c.data(p, a)
	d.Link, d.CVName = c.privateLink(token), cvName
	ack, err := c.worded(Acknowledgement, d, own, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	ack.Token = token // stored sealed, never in clear
	out := []*repository.Email{ack}
	for _, to := range notify {
		// To a reviewer: during a blind first pass, a number instead of
		// the person, and no Reply-To to their address.
		nd, replyTo := *c.reviewerData(p, a), ""
		if !nd.Blind {
			nd.CVName, replyTo = cvName, a.Email
		}
		nd.Answers = answerLines(repository.AnswersForReviewers(a.Answers, nd.Blind))
		nd.SettingsLink, nd.ReviewLink = c.SettingsLink(p.ID), c.applicationLink(a.ID)
		note, err := c.worded(ContactNotification, &nd, own, to, "", replyTo)
		if err != nil {
			return nil, err
		}
		out = append(out, note)
	}
	return out, nil
}

// PrivateLink writes a new private link, of token, to an applicant who
// applied again.
func (c *Composer) PrivateLink(p *repository.Posting, a *repository.Application, token string) (*repository.Email, error) {
	d := c.data(p, a)
	d.Link = c.privateLink(token)
	e, err := c.email(PrivateLink, d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	e.Token = token // stored sealed, never in clear
	return e, nil
}

// LostLink writes a new private link, of token, to an applicant who asked
// for their link again on /candidature/lien-perdu.
func (c *Composer) LostLink(p *repository.Posting, a *repository.Application, token string) (*repository.Email, error) {
	d := c.data(p, a)
	d.Link = c.privateLink(token)
	e, err := c.email(LostLink, d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	e.Token = token // stored sealed, never in clear
	return e, nil
}

// toContact writes kind to the posting's contact: none without one.
func (c *Composer) toContact(kind Kind, d *emailData) ([]*repository.Email, error) {
	if d.Posting.ContactEmail == "" {
		return nil, nil
	}
	e, err := c.email(kind, d, d.Posting.ContactEmail, "", "")
	if err != nil {
		return nil, err
	}
	return []*repository.Email{e}, nil
}

// Withdrawn tells the posting's contact that an applicant withdrew.
func (c *Composer) Withdrawn(p *repository.Posting, a *repository.Application) ([]*repository.Email, error) {
	return c.toContact(WithdrawnContact, c.reviewerData(p, a))
}

// reviewerData is data for an email to the posting's reviewers about a:
// the application as they may see it, repository.ForReviewers' copy when
// applicationName hides the person (Blind is then set).
func (c *Composer) reviewerData(p *repository.Posting, a *repository.Application) *emailData {
	if _, hidden := applicationName(p, a); !hidden {
		return c.data(p, a)
	}
	seen, _ := repository.ForReviewers(p, a)
	d := c.data(p, seen)
	d.Blind = true
	return d
}

// WithdrawalUndone tells the posting's contact that an applicant took
// back their withdrawal, and the status restored.
func (c *Composer) WithdrawalUndone(p *repository.Posting, a *repository.Application, restored catalog.Status) ([]*repository.Email, error) {
	d := c.reviewerData(p, a)
	d.Status = restored
	return c.toContact(WithdrawalUndoneContact, d)
}

// Erased tells the posting's contact that an applicant erased their data.
func (c *Composer) Erased(p *repository.Posting, a *repository.Application) ([]*repository.Email, error) {
	return c.toContact(ErasedContact, c.data(p, a))
}

// StatusUpdate tells an applicant of their new status in w (see
// StatusWords), leaving at sendAfter; an error says in French what is
// wrong with w.
func (c *Composer) StatusUpdate(p *repository.Posting, a *repository.Application, to catalog.Status, w Words, sendAfter time.Time) (*repository.Email, error) {
	d := c.data(p, a)
	d.Status = to
	subject, message, err := ownWords(w, d)
	if err != nil {
		return nil, err
	}
	d.Subject, d.Message = subject, message
	e, err := c.email(StatusUpdate, d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	e.SendAfter, e.AboutStatus = sendAfter, to
	return e, nil
}

// Source is what a person edits for e: the posting's own wording of it
// (in own, by key) when it has a valid one, the default otherwise.
func (c *Composer) Source(e Editable, own map[string]repository.PostingTemplate) Words {
	return c.r.source(e, saved(e, own))
}

// StatusWords are the words an update to status starts from.
func (c *Composer) StatusWords(status catalog.Status, own map[string]repository.PostingTemplate) Words {
	return c.Source(StatusEditable(status), own)
}

// Check refuses, with the reason in French naming the field (Objet or
// Message), words that are empty, too long, hold control characters, are
// not written in the wordings' language, or whose message would pass
// MaxMessageLen once its variables are replaced for a, or, without a, for
// names at their longest.
func (c *Composer) Check(w Words, p *repository.Posting, a *repository.Application) error {
	return check(w.Subject, w.Message, c.data(p, a))
}

// Preview renders e with the wording w as a (who may be an example) would
// receive it, and says when its subject, once the variables are replaced,
// is too long and will be cut.
func (c *Composer) Preview(p *repository.Posting, a *repository.Application, e Editable, w Words) (Rendered, string, error) {
	d := c.data(p, a)
	d.Link = c.privateLink("…")
	d.Status = e.Status
	d.Subject, d.Message = c.r.words(e, d, &w)
	r, err := c.r.render(e.Kind, d)
	if err != nil {
		return Rendered{}, "", err
	}
	note := ""
	if subjectTooLong(w.Subject, d) {
		note = "Une fois les variables remplacées, l'objet dépasse " + strconv.Itoa(MaxSubjectLen) + " caractères : il est coupé."
	}
	return r, note, nil
}

// CloseWords are the words each group of a close starts from, as people
// edit them: the posting's own wording of the group's email (in own, by
// key) when it has a valid one, the default otherwise. Accepted
// applicants get nothing unless the contact writes to them: without a
// wording of its own, their group's words have no subject.
func (c *Composer) CloseWords(own map[string]repository.PostingTemplate) map[catalog.CloseGroup]Words {
	out := map[catalog.CloseGroup]Words{}
	for _, g := range catalog.CloseGroups() {
		e := closeEditable(g)
		w := c.Source(e, own)
		if o := saved(e, own); g == catalog.CloseAccepted && (o == nil || Valid(own[e.Key]) != nil) {
			w.Subject = ""
		}
		out[g] = w
	}
	return out
}

// Close plans what a close of p by actor writes: each group with words
// (a group whose subject or message is blank gets nothing) is rendered
// once, the names standing as placeholders that the database fills in
// for each applicant, and the summary to the contact, if the posting has
// one. An error says in French what is wrong with a group's words.
func (c *Composer) Close(p *repository.Posting, actor string, words map[catalog.CloseGroup]Words) (repository.ClosePlan, error) {
	plan := repository.ClosePlan{Actor: actor, Texts: map[catalog.CloseGroup]repository.CloseText{}, Fill: c.fill}
	for g, w := range words {
		if strings.TrimSpace(w.Subject) == "" || strings.TrimSpace(w.Message) == "" {
			continue
		}
		d := c.data(p, batchApplicant())
		subject, message, err := ownWords(w, d)
		if err != nil {
			return plan, fmt.Errorf("close group %s: %w", g, err)
		}
		d.Subject, d.Message = subject, message
		r, err := c.r.render(CloseUpdate(g), d)
		if err != nil {
			return plan, err
		}
		plan.Texts[g] = repository.CloseText{Kind: string(CloseUpdate(g)), Subject: subject, Text: r.Text, HTML: r.HTML}
	}
	plan.Interview = func(g catalog.CloseGroup, a *repository.Application, iv *repository.Interview) (*repository.Email, []*repository.Email, error) {
		var w *Words
		if g != "" {
			ww := words[g]
			w = &ww
		}
		return c.CloseInterview(p, g, w, a, iv)
	}
	if p.ContactEmail != "" {
		plan.Summary = func(written map[catalog.CloseGroup]int, n repository.CloseCounts) (*repository.Email, error) {
			return c.closeSummary(p, actor, written, n)
		}
	}
	return plan, nil
}

// closeSummary tells the contact what a close wrote.
func (c *Composer) closeSummary(p *repository.Posting, actor string, written map[catalog.CloseGroup]int, n repository.CloseCounts) (*repository.Email, error) {
	s := &closeSummary{Actor: actor, InReview: written[catalog.CloseInReview], Interview: written[catalog.CloseInterview],
		Accepted: written[catalog.CloseAccepted], Rejected: written[catalog.CloseRejected],
		Withdrawn: n.Withdrawn, AcceptedSilent: n.Accepted - written[catalog.CloseAccepted], RejectedTold: n.RejectedTold}
	s.Told = s.InReview + s.Interview + s.Accepted + s.Rejected
	d := c.data(p, nil)
	d.Summary = s
	return c.email(CloseSummary, d, p.ContactEmail, "", "")
}

// RetentionNotice writes a retention cycle's notices: the applicants',
// rendered once, the names standing as placeholders that the database
// fills in and the private link's token as links.Marker (each notice gets
// a token of its own, sealed), and the posting contact's, if it has one.
func (c *Composer) RetentionNotice(p *repository.RetentionPosting) (repository.RetentionNotice, error) {
	d := c.data(&p.Posting, batchApplicant())
	d.Link = c.privateLink(PlaceholderToken)
	d.ClosedAt, d.EraseAt, d.Count = p.LastClose, p.EraseAt, p.Holding
	r, err := c.r.render(RetentionNotice, d)
	if err != nil {
		return repository.RetentionNotice{}, err
	}
	n := repository.RetentionNotice{Kind: string(RetentionNotice), Subject: links.Hide(r.Subject, PlaceholderToken),
		Text: links.Hide(r.Text, PlaceholderToken), HTML: links.Hide(r.HTML, PlaceholderToken), Fill: c.fill,
		ReplyTo: p.ContactEmail, EraseAt: p.EraseAt}
	if p.ContactEmail != "" {
		d.Application = nil
		if n.Contact, err = c.email(RetentionNoticeContact, d, p.ContactEmail, "", ""); err != nil {
			return n, err
		}
	}
	return n, nil
}

// SignInLink writes a sign-in link, of token, to a reviewer; the link
// returns to next (a local page, "" for the inbox) and lasts valid.
func (c *Composer) SignInLink(to, token, next string, valid time.Duration) (*repository.Email, error) {
	d := c.data(nil, nil)
	d.Link = c.baseURL + "/connexion/lien/" + token
	if next != "" {
		d.Link += "?suite=" + url.QueryEscape(next)
	}
	d.ValidMinutes = int(valid.Minutes())
	e, err := c.email(SignInLink, d, to, "", "")
	if err != nil {
		return nil, err
	}
	e.Token = token // stored sealed, never in clear
	return e, nil
}

// MessageWords are the words a reviewer's message starts from: the
// posting's own wording of e (one of MessageEditables, in own by key)
// when it has a valid one, the default otherwise.
func (c *Composer) MessageWords(e Editable, own map[string]repository.PostingTemplate) Words {
	return c.Source(e, own)
}

// Message writes a reviewer's message w to an applicant, answering the
// applicant's message of Message-ID inReplyTo ("" for none). Like every
// email to an applicant it is threaded, and routed back to Vivier when a
// mailbox is read (see workers.Sender). An error says in French what is
// wrong with w, naming the field (Objet or Message).
func (c *Composer) Message(p *repository.Posting, a *repository.Application, w Words, inReplyTo string) (*repository.Email, error) {
	if err := check(w.Subject, w.Message, c.data(p, a)); err != nil {
		return nil, err
	}
	d := c.data(p, a)
	subject, message, err := ownWords(w, d)
	if err != nil {
		return nil, err
	}
	d.Subject, d.Message = subject, message
	e, err := c.email(Message, d, a.Email, fullName(a), p.ContactEmail)
	if err != nil {
		return nil, err
	}
	e.InReplyTo = inReplyTo
	return e, nil
}

// Reply is what reviewers are told of an applicant's reply.
type Reply struct {
	Subject, Text string
	// Files names the attachments kept; Refused says, in French, those
	// not kept and why, and the parts that could not be read.
	Files, Refused []string
}

// ReplyNotification tells each of to (the posting's reviewers told at
// once: see repository.ReplyRecipients) that the applicant of a
// answered, with the reply's text and a link to the application. During
// a blind first pass (see applicationName) it names the application by
// its number, and leaves out the reply's subject and the names of its
// files, which may name the person; the text stays, as the motivation
// does.
func (c *Composer) ReplyNotification(p *repository.Posting, a *repository.Application, r Reply, to []string) ([]*repository.Email, error) {
	d := c.reviewerData(p, a)
	name, hidden := applicationName(p, a)
	in := &inboundSummary{Who: name, Subject: r.Subject, Text: r.Text,
		Attachments: strings.Join(append(append([]string{}, r.Files...), r.Refused...), " ; ")}
	if hidden {
		in.Subject, in.Attachments = "", ""
		in.HeldFiles, in.HeldNotes = len(r.Files), len(r.Refused) > 0
	}
	d.Inbound = in
	d.Link = c.applicationLink(a.ID)
	var out []*repository.Email
	for _, addr := range to {
		e, err := c.email(ReplyNotification, d, addr, "", "")
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
