package compose

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// Reviewers' notifications: the daily digest, the weekly reminder of
// applications waiting for an answer, and the mention in a note.

// WaitingDays is how long an application waits for an answer before the
// contact is reminded of it.
const WaitingDays = 14

// applicationName is how every email to reviewers names an application
// of p, and whether it hides the person: during the posting's blind
// first pass (repository.ShownOf decides) its number, « Candidature n°
// 17 »; otherwise the applicant's name, or the number once the name is
// erased. It is the one switch of the emails to reviewers: the names
// they read and what they leave out (the applicant's address, a reply's
// subject and the names of its files) follow it.
func applicationName(p *repository.Posting, a *repository.Application) (name string, hidden bool) {
	s := repository.ShownOf(p, a)
	if s.Hidden {
		return s.Name, true
	}
	if name := strings.TrimSpace(s.Name); name != "" {
		return name, false
	}
	return repository.NumberLabel(a.ID), false
}

// rowName is applicationName for an application known by a row of a
// digest or a reminder.
func rowName(postingID int64, blindUntil catalog.Status, appID int64, status catalog.Status, revealedAt *time.Time, first, last string) string {
	name, _ := applicationName(&repository.Posting{ID: postingID, BlindUntil: blindUntil},
		&repository.Application{ID: appID, PostingID: postingID, Status: status, RevealedAt: revealedAt, FirstName: first, LastName: last})
	return name
}

// digestView is what a digest or a reminder lists.
type digestView struct {
	Day      time.Time
	New      int // events reported
	Postings []digestPosting
	Waiting  []waitingPosting
	// WaitingTotal counts the applications waiting, listed or not.
	WaitingTotal int
	WaitingDays  int
}

type digestPosting struct {
	Title, Link, SettingsLink string
	Items                     []digestItem
}

type digestItem struct {
	What, Name, Link string
	At               time.Time
}

type waitingPosting struct {
	Title, ListLink, SettingsLink string
	Total, More                   int
	Items                         []waitingItem
}

type waitingItem struct {
	Name, Link string
	ReceivedAt time.Time
	Days       int
}

// mentionView is a mention in a note.
type mentionView struct {
	Author, Name, Note, Link string
}

func (c *Composer) applicationLink(id int64) string {
	return c.baseURL + "/boite/candidatures/" + strconv.FormatInt(id, 10)
}

func (c *Composer) postingLink(id int64) string {
	return c.baseURL + "/boite/offres/" + strconv.FormatInt(id, 10)
}

// SettingsLink is where a reviewer chooses how they hear of a posting.
func (c *Composer) SettingsLink(postingID int64) string {
	return c.postingLink(postingID) + "/notifications"
}

// waitingLink is the posting's list filtered to the applications still
// received on day cutoff (Paris) or before, as the figures page links it.
func (c *Composer) waitingLink(postingID int64, lastDay time.Time) string {
	q := url.Values{"statut": {string(catalog.StatusReceived)}, "recu_au": {lastDay.Format(time.DateOnly)}}
	return c.postingLink(postingID) + "?" + q.Encode()
}

// WaitingCutoff is when an application must have been received, at the
// latest, to be waiting more than WaitingDays at now: received on day
// today-WaitingDays (Paris) or before, as the figures page counts them.
func WaitingCutoff(now time.Time) time.Time {
	t := now.In(frfmt.Paris)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, frfmt.Paris)
	return midnight.AddDate(0, 0, 1-WaitingDays)
}

// waitingView groups the applications waiting by posting, for kept
// postings only (keep nil: all).
func (c *Composer) waitingView(waiting []repository.WaitingApplication, now time.Time, keep func(repository.WaitingApplication) bool) ([]waitingPosting, int, []int64) {
	var out []waitingPosting
	var ids []int64
	total, last := 0, int64(0)
	lastDay := WaitingCutoff(now).AddDate(0, 0, -1)
	for _, w := range waiting {
		if keep != nil && !keep(w) {
			continue
		}
		if len(out) == 0 || w.PostingID != last {
			out = append(out, waitingPosting{Title: w.PostingTitle, ListLink: c.waitingLink(w.PostingID, lastDay),
				SettingsLink: c.SettingsLink(w.PostingID), Total: w.TotalInPosting})
			total, last = total+w.TotalInPosting, w.PostingID
		}
		p := &out[len(out)-1]
		p.Items = append(p.Items, waitingItem{Name: rowName(w.PostingID, w.BlindUntil, w.ApplicationID, w.Status, w.RevealedAt, w.FirstName, w.LastName),
			Link: c.applicationLink(w.ApplicationID), ReceivedAt: w.ReceivedAt, Days: daysBetween(w.ReceivedAt, now)})
		p.More = p.Total - len(p.Items)
		ids = append(ids, w.ApplicationID)
	}
	return out, total, ids
}

// Digest writes the daily digest of day to a reviewer: the events of the
// postings where they chose it, and, for those they are the contact of,
// the applications waiting more than WaitingDays. It returns the email
// and the applications it names; nil when it has nothing to say.
func (c *Composer) Digest(to string, day, now time.Time, events []repository.DigestEvent, waiting []repository.WaitingApplication) (*repository.Email, []int64, error) {
	v := &digestView{Day: day, New: len(events), WaitingDays: WaitingDays}
	var ids []int64
	last := int64(0)
	for _, e := range events {
		if len(v.Postings) == 0 || e.PostingID != last {
			last = e.PostingID
			v.Postings = append(v.Postings, digestPosting{Title: e.PostingTitle, Link: c.postingLink(e.PostingID),
				SettingsLink: c.SettingsLink(e.PostingID)})
		}
		p := &v.Postings[len(v.Postings)-1]
		p.Items = append(p.Items, digestItem{What: digestWhat(e.Kind), Name: rowName(e.PostingID, e.BlindUntil, e.ApplicationID, e.Status, e.RevealedAt, e.FirstName, e.LastName),
			Link: c.applicationLink(e.ApplicationID), At: e.At})
		ids = append(ids, e.ApplicationID)
	}
	var waitIDs []int64
	v.Waiting, v.WaitingTotal, waitIDs = c.waitingView(waiting, now, func(w repository.WaitingApplication) bool {
		return w.Frequency == catalog.NotifyDaily
	})
	if v.New == 0 && v.WaitingTotal == 0 {
		return nil, nil, nil
	}
	d := c.data(nil, nil)
	d.Digest = v
	e, err := c.email(ReviewerDigest, d, to, "", "")
	if err != nil {
		return nil, nil, err
	}
	return e, append(ids, waitIDs...), nil
}

// WaitingReminder writes the weekly reminder to a contact told at once of
// new applications: the applications waiting more than WaitingDays in
// those postings. It returns nil when there is none.
func (c *Composer) WaitingReminder(to string, now time.Time, waiting []repository.WaitingApplication) (*repository.Email, []int64, error) {
	v := &digestView{Day: now, WaitingDays: WaitingDays}
	var ids []int64
	v.Waiting, v.WaitingTotal, ids = c.waitingView(waiting, now, func(w repository.WaitingApplication) bool {
		return w.Frequency == catalog.NotifyAtOnce
	})
	if v.WaitingTotal == 0 {
		return nil, nil, nil
	}
	d := c.data(nil, nil)
	d.Digest = v
	e, err := c.email(WaitingReminder, d, to, "", "")
	if err != nil {
		return nil, nil, err
	}
	return e, ids, nil
}

// Mention tells a reviewer that author mentioned them in note noteID
// about a, with a link to it; during a blind first pass it names the
// application by its number.
func (c *Composer) Mention(p *repository.Posting, a *repository.Application, author string, noteID int64, note, to string) (*repository.Email, error) {
	d := c.reviewerData(p, a)
	name, _ := applicationName(p, a)
	d.Mention = &mentionView{Author: author, Name: name, Note: note,
		Link: c.applicationLink(a.ID) + "#note-" + strconv.FormatInt(noteID, 10)}
	return c.email(NoteMention, d, to, "", author)
}

// digestWhat says in French what a digest's event is.
func digestWhat(kind string) string {
	switch kind {
	case repository.DigestNewApplication:
		return "Nouvelle candidature"
	case repository.DigestReply:
		return "Réponse reçue"
	}
	return kind
}

// daysBetween counts the calendar days (Paris) from a to b.
func daysBetween(a, b time.Time) int {
	day := func(t time.Time) time.Time {
		t = t.In(frfmt.Paris)
		return time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC)
	}
	return int(day(b).Sub(day(a)).Hours() / 24)
}
