package repository_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/internal/links"
	"vivier/repository"
)

// retentionNow is the instant the retention tests run at.
var retentionNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

const retentionMonths = 24

// monthsAgo is months before retentionNow.
func monthsAgo(months int) time.Time { return retentionNow.AddDate(0, -months, 0) }

// closeOn closes an open posting, its close dated when.
func (e *env) closeOn(p *repository.Posting, when time.Time) {
	e.t.Helper()
	if _, err := e.Repo.ClosePosting(e.t.Context(), p.ID, repository.ClosePlan{Actor: "système"}); err != nil {
		e.t.Fatal(err)
	}
	e.exec(`UPDATE posting_events SET created_at = $2 WHERE id = (SELECT max(id) FROM posting_events WHERE posting_id = $1)`, p.ID, when)
}

// reopen opens a closed posting again.
func (e *env) reopen(p *repository.Posting) {
	e.t.Helper()
	if err := e.Repo.SetPostingState(e.t.Context(), p.ID, []catalog.PostingState{catalog.PostingClosed}, catalog.PostingOpen, "système"); err != nil {
		e.t.Fatal(err)
	}
}

func retentionIDs(ps []repository.RetentionPosting) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// A posting's applications are due for erasure RETENTION_MONTHS after its
// latest close, as long as one still holds personal data.
func TestPostingsToErase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	due := e.openPosting()
	a := e.apply(due, "Camille", "Durand")
	e.apply(due, "Dominique", "Martin")
	erased := e.apply(due, "Eva", "Moreau")
	if err := e.Repo.Erase(t.Context(), erased.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.closeOn(due, monthsAgo(25))

	recent := e.openPosting()
	e.apply(recent, "Camille", "Durand")
	e.closeOn(recent, monthsAgo(23))

	empty := e.openPosting()
	gone := e.apply(empty, "Camille", "Durand")
	e.closeOn(empty, monthsAgo(30))
	if err := e.Repo.Erase(t.Context(), gone.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}

	reclosed := e.openPosting() // closed long ago, then reopened and closed again lately
	e.apply(reclosed, "Camille", "Durand")
	e.closeOn(reclosed, monthsAgo(30))
	e.reopen(reclosed)
	e.closeOn(reclosed, monthsAgo(1))

	// Imported already closed: no close in its history; its closing date counts.
	imported := e.posting(catalog.PostingOpen)
	e.apply(imported, "Camille", "Durand")
	e.exec(`UPDATE postings SET status = 'closed', closes_at = $2 WHERE id = $1`, imported.ID, monthsAgo(26))

	stillOpen := e.openPosting()
	e.apply(stillOpen, "Camille", "Durand")
	e.exec(`UPDATE postings SET created_at = $2 WHERE id = $1`, stillOpen.ID, monthsAgo(40))

	got, err := e.Repo.PostingsToErase(t.Context(), retentionNow, retentionMonths)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{imported.ID, due.ID}; !slices.Equal(retentionIDs(got), want) {
		t.Fatalf("due for erasure: %v, want %v (oldest close first)", retentionIDs(got), want)
	}
	d := got[1]
	if !d.LastClose.Equal(monthsAgo(25)) || !d.EraseAt.Equal(monthsAgo(1)) || d.Holding != 2 || d.Cycle == 0 || d.Title != due.Title {
		t.Errorf("due posting: last close %v, erase at %v, holding %d, cycle %d", d.LastClose, d.EraseAt, d.Holding, d.Cycle)
	}
	if i := got[0]; !i.LastClose.Equal(monthsAgo(26)) || i.Cycle != 0 {
		t.Errorf("imported posting: last close %v, cycle %d; want its closing date and no cycle", i.LastClose, i.Cycle)
	}
	if n, err := e.Repo.EraseForRetention(t.Context(), due.ID, 100, nil); err != nil || n != 2 {
		t.Fatalf("erase: %d, %v", n, err)
	}
	if got, _ := e.Repo.PostingsToErase(t.Context(), retentionNow, retentionMonths); !slices.Equal(retentionIDs(got), []int64{imported.ID}) {
		t.Errorf("due after erasing one: %v", retentionIDs(got))
	}
	if got, _ := e.Repo.ApplicationByID(t.Context(), a.ID); got.ErasedAt == nil {
		t.Errorf("application of the posting erased is not")
	}
}

// Notices are due in the month before the erasure, until each applicant
// holding data has been told in this cycle; a new close is a new cycle.
func TestPostingsToNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	soon := e.openPosting()
	e.apply(soon, "Camille", "Durand")
	e.closeOn(soon, monthsAgo(24).AddDate(0, 0, 10)) // erased in 10 days
	early := e.openPosting()
	e.apply(early, "Camille", "Durand")
	e.closeOn(early, monthsAgo(22)) // erased in two months
	late := e.openPosting()
	e.apply(late, "Camille", "Durand")
	e.closeOn(late, monthsAgo(25)) // due for erasure: no notice any more

	got, err := e.Repo.PostingsToNotify(t.Context(), retentionNow, retentionMonths)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(retentionIDs(got), []int64{soon.ID}) {
		t.Fatalf("to notify: %v, want %d", retentionIDs(got), soon.ID)
	}
	if _, err := e.Repo.WriteRetentionNotices(t.Context(), &got[0], retentionNotice(soon, nil), 100); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Repo.PostingsToNotify(t.Context(), retentionNow, retentionMonths); len(got) != 0 {
		t.Errorf("to notify once told: %v", retentionIDs(got))
	}
	// Reopened and closed again: the clock starts again, a new cycle
	// tells again when its month comes.
	e.reopen(soon)
	e.closeOn(soon, monthsAgo(24).AddDate(0, 0, 20))
	if got, _ := e.Repo.PostingsToNotify(t.Context(), retentionNow, retentionMonths); !slices.Equal(retentionIDs(got), []int64{soon.ID}) {
		t.Errorf("to notify in the new cycle: %v, want %d", retentionIDs(got), soon.ID)
	}
}

// retentionNotice is what the retention scheduler has the composer write
// for a posting's applicants: the names as placeholders the database
// fills in, links.Marker where each one's token goes.
func retentionNotice(p *repository.Posting, contact *repository.Email) repository.RetentionNotice {
	hello := "Bonjour " + firstNameMark + " " + lastNameMark
	link := "http://vivier.test/candidature/" + links.Marker
	return repository.RetentionNotice{
		Kind: string(compose.RetentionNotice), Fill: testFill(),
		Subject: "Vos données seront effacées, " + firstNameMark,
		Text:    hello + ",\n" + link + "\n", HTML: "<p>" + hello + ",</p><a href=\"" + link + "\">lien</a>",
		ReplyTo: p.ContactEmail, EraseAt: retentionNow.AddDate(0, 0, 10), Contact: contact,
	}
}

// The notices go by batches, each applicant holding data told once per
// cycle with their names and a private link of their own that works;
// the contact is told once; each batch that tells is in the audit log.
func TestWriteRetentionNotices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	apps := []*repository.Application{
		e.apply(p, "Alice", "O'Brien <Jr>"), e.apply(p, "Basile", "Durand"), e.apply(p, "Chloé", "Bernard"),
	}
	erased := e.apply(p, "Eva", "Moreau")
	if err := e.Repo.Erase(t.Context(), erased.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.closeOn(p, monthsAgo(24).AddDate(0, 0, 10))
	due, err := e.Repo.PostingsToNotify(t.Context(), retentionNow, retentionMonths)
	if err != nil || len(due) != 1 {
		t.Fatalf("to notify: %v, %v", due, err)
	}
	contact := &repository.Email{Kind: string(compose.RetentionNoticeContact), ToAddress: p.ContactEmail,
		Subject: "Effacement prochain", TextBody: "t", HTMLBody: "h"}
	notice := retentionNotice(p, contact)
	var written []int64
	contacts := 0
	for batch := 0; ; batch++ {
		if batch > 5 {
			t.Fatal("the batches never end")
		}
		b, err := e.Repo.WriteRetentionNotices(t.Context(), &due[0], notice, 2)
		if err != nil {
			t.Fatal(err)
		}
		if b.Contact != 0 {
			contacts++
		}
		if b.Examined == 0 {
			break
		}
		if b.Examined > 2 || len(b.Written) != b.Examined {
			t.Errorf("batch %d: examined %d, wrote %v", batch, b.Examined, b.Written)
		}
		written = append(written, b.Written...)
	}
	if len(written) != 3 || contacts != 1 {
		t.Fatalf("wrote %d notices and %d to the contact; want 3 and 1", len(written), contacts)
	}
	tokens := map[string]bool{}
	for _, id := range written {
		m, err := e.Repo.EmailByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		a := apps[slices.IndexFunc(apps, func(a *repository.Application) bool { return a.ID == *m.ApplicationID })]
		name := a.FirstName + " " + a.LastName
		if m.Kind != string(compose.RetentionNotice) || m.ToAddress != a.Email || m.ToName != name || m.ReplyTo != p.ContactEmail ||
			m.Subject != "Vos données seront effacées, "+a.FirstName || !strings.HasPrefix(m.TextBody, "Bonjour "+name+",\n") {
			t.Errorf("notice to %s: %+v", name, m)
		}
		if a.FirstName == "Alice" && !strings.Contains(m.HTMLBody, "Bonjour Alice O&#39;Brien &lt;Jr&gt;,") {
			t.Errorf("names not escaped in the HTML notice: %s", m.HTMLBody)
		}
		// The stored notice holds no working link: the token is sealed for
		// the worker, which puts it back only to send.
		token, err := e.Repo.Links.Open(m.ID, m.ToAddress, m.LinkSealed)
		if err != nil || !strings.Contains(m.TextBody, "/candidature/"+links.Marker) || strings.Contains(m.TextBody+m.HTMLBody, token) ||
			strings.Contains(m.TextBody+m.HTMLBody, compose.PlaceholderToken) || tokens[token] || len(token) != 43 {
			t.Errorf("notice to %s: sealed link %q (%v) in %q", name, token, err, m.TextBody)
			continue
		}
		link := []string{"", token}
		tokens[link[1]] = true
		for _, h := range [][]byte{tokenHash(link[1]), a.AccessTokenHash} {
			if got, err := e.Repo.ApplicationByTokenHash(t.Context(), h); err != nil || got.ID != a.ID {
				t.Errorf("link of %s: %v, %v", name, got, err)
			}
		}
	}
	if n := e.count(`SELECT count(*) FROM emails WHERE kind = $1 AND to_address = $2 AND dedupe_key = $3`,
		string(compose.RetentionNoticeContact), p.ContactEmail, repository.ContactNoticeKey(p.ID, due[0].Cycle)); n != 1 {
		t.Errorf("%d notices to the contact under the cycle's key, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM emails WHERE application_id = $1 AND kind = $2`, erased.ID, string(compose.RetentionNotice)); n != 0 {
		t.Errorf("the erased applicant was told")
	}
	entries, _, err := e.Repo.AuditLog(t.Context(), repository.AuditFilter{Action: repository.AuditRetentionNotified})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].DetailsMap()["contact"] != true || entries[0].DetailsMap()["candidatures"] != float64(1) {
		t.Errorf("audit of the notices: %d entries", len(entries))
		for _, en := range entries {
			t.Logf("%s", en.Details)
		}
	}
	// A rerun of the cycle writes nothing.
	b, err := e.Repo.WriteRetentionNotices(t.Context(), &due[0], notice, 100)
	if err != nil || b.Examined != 0 || len(b.Written) != 0 || b.Contact != 0 {
		t.Errorf("rerun: %+v, %v", b, err)
	}
}

// Erasure goes by batches of the posting's applications holding data,
// each in the audit log, until none is left.
func TestEraseForRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.openPosting()
	for i := range 5 {
		e.apply(p, fmt.Sprint("Prenom", i), "Durand")
	}
	other := e.apply(e.openPosting(), "Camille", "Durand")
	var batches []int
	for {
		n, err := e.Repo.EraseForRetention(t.Context(), p.ID, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		batches = append(batches, n)
		if len(batches) > 5 {
			t.Fatal("the batches never end")
		}
	}
	if !slices.Equal(batches, []int{2, 2, 1}) {
		t.Errorf("batches: %v, want 2, 2, 1", batches)
	}
	if n := e.count(`SELECT count(*) FROM applications WHERE posting_id = $1 AND (erased_at IS NULL OR email <> '')`, p.ID); n != 0 {
		t.Errorf("%d applications still hold data", n)
	}
	if n := e.count(`SELECT count(*) FROM documents d JOIN applications a ON a.id = d.application_id WHERE a.posting_id = $1`, p.ID); n != 0 {
		t.Errorf("%d CVs left", n)
	}
	if n := e.count(`SELECT count(*) FROM application_events WHERE kind = $1 AND actor = $2`, repository.EventErased, repository.ActorSystem); n != 5 {
		t.Errorf("%d erasures in the history, want 5 by the system", n)
	}
	if got, _ := e.Repo.ApplicationByID(t.Context(), other.ID); got.ErasedAt != nil {
		t.Errorf("another posting's application was erased")
	}
	entries, _, _ := e.Repo.AuditLog(t.Context(), repository.AuditFilter{Action: repository.AuditRetentionErased, PostingID: p.ID})
	if len(entries) != 3 || entries[0].DetailsMap()["candidatures"] != float64(1) || entries[0].Actor != repository.ActorSystem {
		t.Errorf("audit of the erasure: %+v", entries)
	}
}
