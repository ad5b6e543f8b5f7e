package repository_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// closeTexts gives every group a text naming the applicant, as the
// closing service renders it once per group.
func closeTexts(groups ...catalog.CloseGroup) map[catalog.CloseGroup]repository.CloseText {
	out := map[catalog.CloseGroup]repository.CloseText{}
	for _, g := range groups {
		out[g] = repository.CloseText{
			Kind:    string(g),
			Subject: string(g) + " pour " + firstNameMark + " " + lastNameMark,
			Text:    "Bonjour " + firstNameMark + " " + lastNameMark + ",\n" + string(g),
			HTML:    "<p>Bonjour " + firstNameMark + " " + lastNameMark + ",</p><p>" + string(g) + "</p>",
		}
	}
	return out
}

// closeEmails returns a posting's close updates by application id.
func (e *env) closeEmails(postingID int64, round int) map[int64]repository.Email {
	e.t.Helper()
	var es []repository.Email
	if err := e.DB.Select(&es, `SELECT id, kind, application_id, to_address, to_name, reply_to, subject, text_body,
		html_body, status, dedupe_key, about_status FROM emails
		WHERE posting_id = $1 AND dedupe_key LIKE $2 ORDER BY id`, postingID, fmt.Sprintf("close:%d:%d:%%", postingID, round)); err != nil {
		e.t.Fatal(err)
	}
	out := map[int64]repository.Email{}
	for _, m := range es {
		if _, dup := out[*m.ApplicationID]; dup {
			e.t.Errorf("application %d has two updates in round %d", *m.ApplicationID, round)
		}
		out[*m.ApplicationID] = m
	}
	return out
}

// pipeline is a posting with an application in each place a close
// tells apart.
type pipeline struct {
	p                                                    *repository.Posting
	received, inReview, shortlisted, interview, accepted *repository.Application
	rejectedNew, rejectedTold, withdrawn, erased         *repository.Application
}

func (e *env) pipeline() pipeline {
	e.t.Helper()
	p := e.openPosting()
	mk := func(first, last string, status catalog.Status) *repository.Application {
		a := e.apply(p, first, last)
		e.setStatus(a, status)
		return a
	}
	pl := pipeline{p: p,
		received:     mk("Alice", "O'Brien <Jr> & fils", catalog.StatusReceived),
		inReview:     mk("Basile", "Durand", catalog.StatusInReview),
		shortlisted:  mk("Chloé", "Bernard", catalog.StatusShortlisted),
		interview:    mk("Driss", "Petit", catalog.StatusInterview),
		accepted:     mk("Eva", "Moreau", catalog.StatusAccepted),
		rejectedNew:  mk("Farid", "Lambert", catalog.StatusRejected),
		rejectedTold: mk("Gaëlle", "Roux", catalog.StatusRejected),
		withdrawn:    mk("Hugo", "Fournier", catalog.StatusWithdrawn),
		erased:       mk("Inès", "Girard", catalog.StatusReceived),
	}
	// Told of the rejection already: an email about it has left.
	told := email("status_update", pl.rejectedTold, "Votre candidature n'est pas retenue")
	told.AboutStatus = catalog.StatusRejected
	e.insertEmails(told)
	e.exec(`UPDATE emails SET status = 'sent' WHERE id = $1`, told.ID)
	if err := e.Repo.Erase(e.t.Context(), pl.erased.ID, repository.ActorApplicant, nil, nil); err != nil {
		e.t.Fatal(err)
	}
	return pl
}

// A close writes, in one go, one update per applicant of each group
// with its names filled in, and the summary to the contact; withdrawn,
// erased and already told applicants get nothing.
func TestClosePostingWritesEachGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := e.pipeline()
	var summaryWritten map[catalog.CloseGroup]int
	var summaryCounts repository.CloseCounts
	plan := repository.ClosePlan{Actor: "contact@anct.gouv.fr", Texts: closeTexts(catalog.CloseGroups()...), Fill: testFill(),
		Summary: func(written map[catalog.CloseGroup]int, counts repository.CloseCounts) (*repository.Email, error) {
			summaryWritten, summaryCounts = written, counts
			return &repository.Email{Kind: "close_summary", PostingID: &pl.p.ID, ToAddress: pl.p.ContactEmail,
				Subject: "Offre fermée", TextBody: "t", HTMLBody: "h"}, nil
		}}
	res, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, plan)
	if err != nil {
		t.Fatal(err)
	}
	wantWritten := map[catalog.CloseGroup]int{catalog.CloseInReview: 3, catalog.CloseInterview: 1,
		catalog.CloseAccepted: 1, catalog.CloseRejected: 1}
	if res.Round != 1 || !mapsEqual(res.Written, wantWritten) || !mapsEqual(summaryWritten, wantWritten) {
		t.Errorf("round %d wrote %v (summary saw %v), want round 1 writing %v", res.Round, res.Written, summaryWritten, wantWritten)
	}
	wantCounts := repository.CloseCounts{InReview: 3, Interview: 1, Accepted: 1, RejectedNew: 1, RejectedTold: 1, Withdrawn: 1, Total: 8}
	if res.Counts != wantCounts || summaryCounts != wantCounts {
		t.Errorf("counts %+v (summary saw %+v), want %+v", res.Counts, summaryCounts, wantCounts)
	}
	emails := e.closeEmails(pl.p.ID, 1)
	groups := map[*repository.Application]catalog.CloseGroup{
		pl.received: catalog.CloseInReview, pl.inReview: catalog.CloseInReview, pl.shortlisted: catalog.CloseInReview,
		pl.interview: catalog.CloseInterview, pl.accepted: catalog.CloseAccepted, pl.rejectedNew: catalog.CloseRejected,
	}
	if len(emails) != len(groups) {
		t.Errorf("%d updates written, want %d", len(emails), len(groups))
	}
	about := map[catalog.CloseGroup]catalog.Status{catalog.CloseAccepted: catalog.StatusAccepted, catalog.CloseRejected: catalog.StatusRejected}
	for a, g := range groups {
		m, ok := emails[a.ID]
		if !ok {
			t.Errorf("%s %s (%s) got no update", a.FirstName, a.LastName, a.Status)
			continue
		}
		name := a.FirstName + " " + a.LastName
		if m.Kind != string(g) || m.ToAddress != a.Email || m.ToName != name || m.ReplyTo != pl.p.ContactEmail ||
			m.Status != repository.EmailPending || m.AboutStatus != about[g] ||
			*m.DedupeKey != fmt.Sprintf("close:%d:1:%d", pl.p.ID, a.ID) {
			t.Errorf("update to %s: %+v", name, m)
		}
		if m.Subject != string(g)+" pour "+name || m.TextBody != "Bonjour "+name+",\n"+string(g) {
			t.Errorf("update to %s: subject %q, text %q", name, m.Subject, m.TextBody)
		}
	}
	// Names are escaped in the HTML part, as the templates escape them.
	if html := emails[pl.received.ID].HTMLBody; !strings.Contains(html, "Alice O&#39;Brien &lt;Jr&gt; &amp; fils,</p>") {
		t.Errorf("HTML of an update to a name with markup: %s", html)
	}
	if res.Summary == nil || res.Summary.ID == 0 || *res.Summary.DedupeKey != fmt.Sprintf("close-summary:%d:1", pl.p.ID) {
		t.Errorf("summary: %+v", res.Summary)
	}
	got, _ := e.Repo.PostingByID(t.Context(), pl.p.ID)
	if got.Status != catalog.PostingClosed {
		t.Errorf("posting is %s after its close", got.Status)
	}
	events, _ := e.Repo.PostingEvents(t.Context(), pl.p.ID)
	last := events[len(events)-1]
	if last.FromStatus != catalog.PostingOpen || last.ToStatus != catalog.PostingClosed ||
		last.Actor != "contact@anct.gouv.fr" || last.CloseRound == nil || *last.CloseRound != 1 {
		t.Errorf("history line of the close: %+v", last)
	}
	pending, err := e.Repo.PendingCloseEmails(t.Context(), pl.p.ID, compose.CloseKinds())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != len(groups)+1 {
		t.Errorf("%d close emails pending, want %d updates and the summary", len(pending), len(groups))
	}
	for i := 1; i < len(pending); i++ {
		if pending[i-1].ID >= pending[i].ID {
			t.Errorf("pending close emails not in id order: %v", pending)
		}
	}
}

// A round is written once: a second close of the closed posting is a
// conflict that writes nothing; a reopen and a new close write a new
// round, where those told of their rejection in the first are not told
// again.
func TestClosePostingOncePerRound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := e.pipeline()
	plan := repository.ClosePlan{Actor: "contact@anct.gouv.fr", Texts: closeTexts(catalog.CloseGroups()...), Fill: testFill()}
	if _, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, plan); err != nil {
		t.Fatal(err)
	}
	before := e.count(`SELECT count(*) FROM emails`)
	if _, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, plan); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("second close: %v, want ErrConflict", err)
	}
	if n := e.count(`SELECT count(*) FROM emails`); n != before {
		t.Errorf("second close wrote %d emails", n-before)
	}
	if err := e.Repo.SetPostingState(t.Context(), pl.p.ID, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingOpen, "contact@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	res, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, plan)
	if err != nil {
		t.Fatal(err)
	}
	want := map[catalog.CloseGroup]int{catalog.CloseInReview: 3, catalog.CloseInterview: 1, catalog.CloseAccepted: 1, catalog.CloseRejected: 0}
	if res.Round != 2 || !mapsEqual(res.Written, want) {
		t.Errorf("second round: round %d wrote %v, want round 2 writing %v", res.Round, res.Written, want)
	}
	if res.Counts.RejectedNew != 0 || res.Counts.RejectedTold != 2 {
		t.Errorf("second round's counts: %+v, want both rejections told", res.Counts)
	}
	if first, second := e.closeEmails(pl.p.ID, 1), e.closeEmails(pl.p.ID, 2); len(first) != 6 || len(second) != 5 {
		t.Errorf("updates by round: %d, %d; want 6 then 5", len(first), len(second))
	}
}

// A group without words gets nothing; without a summary, none is written.
func TestClosePostingGroupsWithoutText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := e.pipeline()
	texts := closeTexts(catalog.CloseInReview, catalog.CloseRejected)
	texts[catalog.CloseAccepted] = repository.CloseText{Text: "sans objet"} // no subject: not sent
	res, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, repository.ClosePlan{Actor: "système", Texts: texts, Fill: testFill()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[catalog.CloseGroup]int{catalog.CloseInReview: 3, catalog.CloseRejected: 1}
	if !mapsEqual(res.Written, want) || res.Summary != nil {
		t.Errorf("wrote %v and summary %v, want %v and none", res.Written, res.Summary, want)
	}
	emails := e.closeEmails(pl.p.ID, 1)
	if _, ok := emails[pl.accepted.ID]; ok {
		t.Errorf("the accepted applicant got an update without words")
	}
	if _, ok := emails[pl.interview.ID]; ok {
		t.Errorf("the applicant in interview got an update without words")
	}
	if n := e.count(`SELECT count(*) FROM emails WHERE kind = 'close_summary'`); n != 0 {
		t.Errorf("%d summaries written without one asked", n)
	}
}

// A subject that the names make too long is cut, ending with "…".
func TestClosePostingCapsLongSubjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	e.apply(p, "Maximilienne", "De La Tour d'Auvergne-Lauraguais")
	texts := map[catalog.CloseGroup]repository.CloseText{catalog.CloseInReview: {Kind: string(catalog.CloseInReview),
		Subject: strings.Repeat("x", 180) + " " + lastNameMark, Text: "t", HTML: "h"}}
	if _, err := e.Repo.ClosePosting(t.Context(), p.ID, repository.ClosePlan{Actor: "système", Texts: texts, Fill: testFill()}); err != nil {
		t.Fatal(err)
	}
	var subject string
	if err := e.DB.Get(&subject, `SELECT subject FROM emails WHERE kind = $1`, catalog.CloseInReview); err != nil {
		t.Fatal(err)
	}
	if utf8.RuneCountInString(subject) != 200 || !strings.HasSuffix(subject, "…") || !strings.HasPrefix(subject, strings.Repeat("x", 180)+" De La") {
		t.Errorf("long subject: %d characters: %q", utf8.RuneCountInString(subject), subject)
	}
}

// A close that fails on its way (here, the summary) leaves the posting
// open and writes nothing.
func TestClosePostingIsAllOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := e.pipeline()
	before := e.count(`SELECT count(*) FROM emails`)
	plan := repository.ClosePlan{Actor: "système", Texts: closeTexts(catalog.CloseGroups()...), Fill: testFill(),
		Summary: func(map[catalog.CloseGroup]int, repository.CloseCounts) (*repository.Email, error) {
			return nil, errors.New("template broken")
		}}
	if _, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, plan); err == nil {
		t.Fatal("close succeeded")
	}
	got, _ := e.Repo.PostingByID(t.Context(), pl.p.ID)
	events, _ := e.Repo.PostingEvents(t.Context(), pl.p.ID)
	if got.Status != catalog.PostingOpen || len(events) != 0 {
		t.Errorf("after a failed close: posting %s, %d history lines", got.Status, len(events))
	}
	if n := e.count(`SELECT count(*) FROM emails`); n != before {
		t.Errorf("failed close left %d emails", n-before)
	}
	res, err := e.Repo.ClosePosting(t.Context(), pl.p.ID, repository.ClosePlan{Actor: "système"})
	if err != nil || res.Round != 1 {
		t.Errorf("close after the failed one: %+v, %v; want round 1", res, err)
	}
}

// Only an open posting closes; of two closes at once, one writes and the
// other is a conflict.
func TestClosePostingConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plan := repository.ClosePlan{Actor: "système", Texts: closeTexts(catalog.CloseGroups()...), Fill: testFill()}
	if _, err := e.Repo.ClosePosting(t.Context(), 999_999, plan); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown posting: %v, want ErrNotFound", err)
	}
	for _, status := range []catalog.PostingState{catalog.PostingDraft, catalog.PostingClosed, catalog.PostingArchived} {
		p := e.posting(status)
		if _, err := e.Repo.ClosePosting(t.Context(), p.ID, plan); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("close of a %s posting: %v, want ErrConflict", status, err)
		}
	}
	p := e.openPosting()
	e.apply(p, "Camille", "Durand")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.Repo.ClosePosting(t.Context(), p.ID, plan) })
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, repository.ErrConflict):
			conflicts++
		default:
			t.Errorf("close at once: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Errorf("two closes at once: %d succeeded, %d conflicts", ok, conflicts)
	}
	if n := e.count(`SELECT count(*) FROM emails WHERE posting_id = $1 AND kind = $2`, p.ID, catalog.CloseInReview); n != 1 {
		t.Errorf("two closes at once wrote %d updates, want 1", n)
	}
}

// The counts a close page shows before the close are those it then writes.
func TestCloseCountsOf(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := e.pipeline()
	got, err := e.Repo.CloseCountsOf(t.Context(), pl.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := repository.CloseCounts{InReview: 3, Interview: 1, Accepted: 1, RejectedNew: 1, RejectedTold: 1, Withdrawn: 1, Total: 8}
	if got != want {
		t.Errorf("counts: %+v, want %+v", got, want)
	}
	// A rejection whose email failed or was cancelled was not told.
	e.exec(`UPDATE emails SET status = 'failed' WHERE application_id = $1`, pl.rejectedTold.ID)
	if got, _ := e.Repo.CloseCountsOf(t.Context(), pl.p.ID); got.RejectedNew != 2 || got.RejectedTold != 0 {
		t.Errorf("after the rejection's email failed: %+v, want both rejections new", got)
	}
}

// A posting moves only from one of the states named, and the move is
// recorded with who made it.
func TestSetPostingState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posting(catalog.PostingDraft)
	err := e.Repo.SetPostingState(t.Context(), p.ID, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingArchived, "admin@anct.gouv.fr")
	if !errors.Is(err, repository.ErrConflict) {
		t.Errorf("archive a draft: %v, want ErrConflict", err)
	}
	if err := e.Repo.SetPostingState(t.Context(), 999_999, []catalog.PostingState{catalog.PostingDraft}, catalog.PostingOpen, "x"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown posting: %v, want ErrNotFound", err)
	}
	from := []catalog.PostingState{catalog.PostingDraft, catalog.PostingClosed}
	if err := e.Repo.SetPostingState(t.Context(), p.ID, from, catalog.PostingOpen, "admin@anct.gouv.fr"); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Repo.PostingByID(t.Context(), p.ID)
	events, _ := e.Repo.PostingEvents(t.Context(), p.ID)
	if got.Status != catalog.PostingOpen || len(events) != 1 || events[0].FromStatus != catalog.PostingDraft ||
		events[0].ToStatus != catalog.PostingOpen || events[0].Actor != "admin@anct.gouv.fr" || events[0].CloseRound != nil {
		t.Errorf("after opening: %s, history %+v", got.Status, events)
	}
}

// The scheduler closes the open postings whose date has passed, the
// earliest first, and no other.
func TestPostingsDueToClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := func(d time.Duration) func(*repository.Posting) {
		return func(p *repository.Posting) { c := time.Now().Add(d); p.ClosesAt = &c }
	}
	late := e.posting(catalog.PostingOpen, at(-time.Hour))
	later := e.posting(catalog.PostingOpen, at(-2*time.Hour))
	e.posting(catalog.PostingOpen, at(time.Hour))
	e.posting(catalog.PostingOpen)
	e.posting(catalog.PostingClosed, at(-time.Hour))
	e.posting(catalog.PostingDraft, at(-time.Hour))
	got, err := e.Repo.PostingsDueToClose(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != later.ID || got[1] != late.ID {
		t.Errorf("due to close: %v, want %d then %d", got, later.ID, late.ID)
	}
}

// A closing date is set, moved and removed.
func TestSetClosingDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	when := time.Date(2030, 6, 30, 18, 0, 0, 0, time.UTC)
	if err := e.Repo.SetClosingDate(t.Context(), p.ID, &when); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Repo.PostingByID(t.Context(), p.ID)
	if got.ClosesAt == nil || !got.ClosesAt.Equal(when) {
		t.Errorf("closing date: %v, want %v", got.ClosesAt, when)
	}
	if err := e.Repo.SetClosingDate(t.Context(), p.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Repo.PostingByID(t.Context(), p.ID); got.ClosesAt != nil {
		t.Errorf("closing date after removing it: %v", got.ClosesAt)
	}
}
