package inbound

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"strings"

	"vivier/internal/compose"
	"vivier/internal/config"
	"vivier/internal/links"
	"vivier/repository"
	"vivier/workers/tasks"
)

// Outcome is what became of a message; the reader files it accordingly.
type Outcome int

const (
	// Stored: on its application's timeline (a reply, an automatic
	// answer, a bounce). Filed in the processed folder.
	Stored Outcome = iota
	// Duplicate: stored already (by another reader, or before a crash).
	// Filed in the processed folder.
	Duplicate
	// Dropped: for an application whose data was erased; not stored.
	// Filed in the processed folder.
	Dropped
	// Unmatched: for no application we know; kept for admins. Filed in
	// the unmatched folder.
	Unmatched
)

func (o Outcome) String() string {
	return [...]string{"stored", "duplicate", "dropped", "unmatched"}[o]
}

// Processor parses, matches and stores inbound messages. The IMAP reader
// and development mode's "reply as the applicant" hand it messages alike.
type Processor struct {
	Repo   *repository.Repo
	Emails *compose.Composer
	Config *config.Config
	// Key checks routing tokens (LINK_KEY).
	Key *links.Key
	// Enqueuer hands the notifications written to the workers (the outbox
	// sweep enqueues them otherwise).
	Enqueuer *tasks.Enqueuer
	Log      *slog.Logger
}

// Process reads one message and stores what it says. where names the
// message in its mailbox (such as its UID), the key of a message whose
// header cannot be read at all. Its error means the message could not be
// stored for now (the database did not answer): it stays where it is, to
// be read again.
func (p *Processor) Process(ctx context.Context, r io.Reader, where string) (Outcome, error) {
	msg, err := Parse(r, p.Config.UploadMaxBytes)
	if err != nil {
		// Not even a header: nothing to match; kept for admins.
		return p.unmatched(ctx, &Parsed{Key: "unreadable:" + where, Subject: "(message illisible)"}, "en-tête illisible")
	}
	m := &repository.InboundMessage{MessageKey: msg.Key, FromAddress: msg.From, FromName: msg.FromName,
		Subject: msg.Subject, Body: msg.Text, Notes: strings.Join(msg.Refused, "\n"), SentAt: msg.Date}
	in := repository.Inbound{Message: m}

	switch {
	case msg.Bounce != nil:
		e, err := p.Repo.EmailByMessageIDs(ctx, []string{normalizeID(msg.Bounce.MessageID)})
		if errors.Is(err, repository.ErrNotFound) || (err == nil && e.ApplicationID == nil) {
			return p.unmatched(ctx, msg, "avis de non-remise d'un message inconnu")
		}
		if err != nil {
			return 0, err
		}
		m.Kind, m.MatchedBy, m.EmailID, m.ApplicationID = repository.InboundBounce, repository.MatchedByBounce, &e.ID, e.ApplicationID
		in.Bounce = msg.Bounce.Reason
		if m.Body == "" {
			m.Body = msg.Bounce.Reason
		}
	default:
		appID, by, err := p.match(ctx, msg)
		if err != nil {
			return 0, err
		}
		if appID == 0 {
			return p.unmatched(ctx, msg, "ni adresse de suivi valable, ni réponse à l'un de nos emails")
		}
		m.ApplicationID, m.MatchedBy = &appID, by
		m.Kind = repository.InboundReply
		if msg.Auto {
			m.Kind = repository.InboundAutoReply // kept as such; nobody is told
		} else {
			in.Notify = p.notify(msg)
		}
		for _, a := range msg.Attachments {
			sum := sha256.Sum256(a.Data)
			m.Attachments = append(m.Attachments, repository.InboundAttachment{FileName: a.Name, ContentType: a.ContentType,
				SizeBytes: int64(len(a.Data)), SHA256: sum[:], Content: a.Data})
		}
	}
	emails, err := p.Repo.StoreInbound(ctx, in)
	switch {
	case errors.Is(err, repository.ErrConflict):
		return Duplicate, nil
	case errors.Is(err, repository.ErrApplicationGone):
		p.Log.Info("inbound message for an erased application: dropped", "application_id", *m.ApplicationID)
		return Dropped, nil
	case err != nil:
		return 0, err
	}
	p.Log.Info("inbound message stored", "kind", m.Kind, "application_id", *m.ApplicationID, "matched_by", m.MatchedBy)
	if len(emails) > 0 && p.Enqueuer != nil {
		if err := p.Enqueuer.Enqueue(ctx, compose.Outgoing(emails...)...); err != nil {
			p.Log.Warn("enqueue failed; the outbox sweep will retry", "error", err)
		}
	}
	return Stored, nil
}

// match finds the application of a message: by its routing address (a
// token that does not check is ignored), then by the Message-IDs it
// answers. It returns 0 when neither names one of ours.
func (p *Processor) match(ctx context.Context, msg *Parsed) (int64, string, error) {
	if p.Config.InboundAddress != "" && p.Key != nil {
		local, domain, _ := strings.Cut(p.Config.InboundAddress, "@")
		for _, rcpt := range msg.Recipients {
			l, d, ok := strings.Cut(rcpt, "@")
			if !ok || !strings.EqualFold(d, domain) {
				continue
			}
			base, token, ok := strings.Cut(l, "+")
			if !ok || !strings.EqualFold(base, local) {
				continue
			}
			if id, ok := p.Key.RouteApplication(token); ok {
				return id, repository.MatchedByAddress, nil
			}
			p.Log.Warn("inbound message with a routing token that does not check: ignored")
		}
	}
	ids := append(append([]string{}, msg.InReplyTo...), msg.References...)
	e, err := p.Repo.EmailByMessageIDs(ctx, ids)
	if errors.Is(err, repository.ErrNotFound) || (err == nil && e.ApplicationID == nil) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	return *e.ApplicationID, repository.MatchedByThread, nil
}

// notify writes the "at once" notifications of a reply to the posting's
// reviewers who chose them (repository.ReplyRecipients chooses them; the
// composer decides what a blind first pass leaves out).
func (p *Processor) notify(msg *Parsed) func(ctx context.Context, tx *repository.Tx, a *repository.Application, post *repository.Posting) ([]*repository.Email, error) {
	return func(ctx context.Context, tx *repository.Tx, a *repository.Application, post *repository.Posting) ([]*repository.Email, error) {
		to, err := p.Repo.ReplyRecipients(ctx, tx, post.ID)
		if err != nil || len(to) == 0 {
			return nil, err
		}
		var files []string
		for _, f := range msg.Attachments {
			files = append(files, f.Name)
		}
		text := msg.Text
		if text == "" {
			text = "(message sans texte)"
		}
		return p.Emails.ReplyNotification(post, a, compose.Reply{Subject: msg.Subject, Text: text,
			Files: files, Refused: msg.Refused}, to)
	}
}

// unmatched keeps a message matched to nothing, for admins.
func (p *Processor) unmatched(ctx context.Context, msg *Parsed, why string) (Outcome, error) {
	excerpt := msg.Text
	if r := []rune(excerpt); len(r) > 2000 {
		excerpt = string(r[:2000]) + "…"
	}
	notes := append([]string{why}, msg.Refused...)
	_, err := p.Repo.StoreInbound(ctx, repository.Inbound{Message: &repository.InboundMessage{
		MessageKey: msg.Key, Kind: repository.InboundUnmatched, FromAddress: msg.From, FromName: msg.FromName,
		Subject: msg.Subject, Body: excerpt, Notes: strings.Join(notes, "\n"), SentAt: msg.Date}})
	if err != nil && !errors.Is(err, repository.ErrConflict) {
		return 0, err
	}
	p.Log.Info("inbound message matched to no application", "reason", why)
	return Unmatched, nil
}

// normalizeID writes a Message-ID with its angle brackets.
func normalizeID(id string) string {
	id = strings.TrimSpace(id)
	if !strings.HasPrefix(id, "<") {
		id = "<" + id
	}
	if !strings.HasSuffix(id, ">") {
		id += ">"
	}
	return id
}
