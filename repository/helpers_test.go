package repository_test

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"vivier/internal/catalog"
	"vivier/internal/config"
	"vivier/internal/links"
	"vivier/internal/testkit"
	"vivier/repository"
)

// env is one test's repository over a fresh database of its own, with
// the fixtures the tests share. Fixtures go through the repository's own
// methods; direct SQL only sets what no method sets (a date in the past,
// a status without its history).
type env struct {
	t    *testing.T
	Repo *repository.Repo
	DB   *sqlx.DB
	seq  int
}

// newEnv gives t a repository on its own database.
func newEnv(t *testing.T) *env {
	t.Helper()
	db, _ := testkit.DB(t)
	repo := repository.New(db)
	key, err := links.NewKey(config.DevLinkKey())
	if err != nil {
		t.Fatal(err)
	}
	repo.Links = key
	return &env{t: t, Repo: repo, DB: db}
}

// The placeholders of the texts the tests write for many applicants at
// once, and how the database completes them: as the composer says for
// the real ones (see internal/compose), names escaped in the HTML part as
// html/template escapes them.
const (
	firstNameMark = "⟦prénom⟧"
	lastNameMark  = "⟦nom⟧"
)

func testFill() repository.Fill {
	return repository.Fill{
		Marks: []repository.Mark{{Placeholder: firstNameMark, Value: repository.ApplicantFirstName},
			{Placeholder: lastNameMark, Value: repository.ApplicantLastName}},
		HTMLEscapes: []repository.Escape{{Char: "&", Entity: "&amp;"}, {Char: "<", Entity: "&lt;"}, {Char: ">", Entity: "&gt;"},
			{Char: `"`, Entity: "&#34;"}, {Char: "'", Entity: "&#39;"}, {Char: "+", Entity: "&#43;"}},
		MaxSubject: 200, Ellipsis: "…",
	}
}

func (e *env) next() int {
	e.seq++
	return e.seq
}

// posting imports a posting in the given status, with a contact of its
// own, as `vivier import` does; change edits it before it is stored.
func (e *env) posting(status catalog.PostingState, change ...func(*repository.Posting)) *repository.Posting {
	e.t.Helper()
	n := e.next()
	hash := sha256.Sum256([]byte(fmt.Sprint("offre ", n)))
	p := &repository.Posting{
		Slug:         fmt.Sprintf("offre-%d", n),
		SourceName:   sql.NullString{String: fmt.Sprintf("tests/2024-01-01-offre-%d.md", n), Valid: true},
		SourceHash:   hash[:],
		Title:        fmt.Sprintf("Offre %d", n),
		Organisation: "Incubateur des Territoires",
		ContactEmail: fmt.Sprintf("contact-%d@anct.gouv.fr", n),
		Status:       status,
		Domains:      []string{},
		Technos:      []string{},
		BodyMD:       "Une mission.",
		BodyHTML:     "<p>Une mission.</p>",
	}
	for _, c := range change {
		c(p)
	}
	if _, err := e.Repo.ImportPosting(e.t.Context(), p, false); err != nil {
		e.t.Fatalf("import posting: %v", err)
	}
	return p
}

// openPosting is an open posting without a closing date.
func (e *env) openPosting() *repository.Posting {
	e.t.Helper()
	return e.posting(catalog.PostingOpen)
}

// tokenHash is the hash of an applicant's private link token.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newApplication is an application to postingID from first last, with
// valid fields and a private link token of its own; change edits it.
func newApplication(postingID int64, first, last string, change ...func(*repository.Application)) *repository.Application {
	email := strings.ToLower(first+"."+last) + "@example.org"
	a := &repository.Application{PostingID: postingID, FirstName: first, LastName: last, Email: email,
		Location: "Lyon", DailyRate: 600, DaysPerWeek: 3, AvailableFrom: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		Links: []string{"https://example.org/" + strings.ToLower(last)}, ConsentAt: time.Now(),
		Motivation:      "Une motivation assez longue pour passer les contrôles du formulaire.",
		SubmissionNonce: "nonce " + email}
	for _, c := range change {
		c(a)
	}
	if a.AccessTokenHash == nil {
		a.AccessTokenHash = tokenHash(fmt.Sprint("jeton ", a.Email, " ", postingID))
	}
	return a
}

// cv is a small CV.
func cv() *repository.Document {
	content := testkit.PDF(200)
	sum := sha256.Sum256(content)
	return &repository.Document{FileName: "cv.pdf", ContentType: "application/pdf", SizeBytes: int64(len(content)),
		SHA256: sum[:], Content: content}
}

// acknowledgement is the email an applicant gets when their application
// is stored, as the application form writes it.
func acknowledgement(a *repository.Application) ([]*repository.Email, error) {
	return []*repository.Email{{Kind: "acknowledgement", PostingID: &a.PostingID, ApplicationID: &a.ID,
		ToAddress: a.Email, ToName: a.FirstName + " " + a.LastName, Subject: "Candidature reçue",
		TextBody: "Bonjour " + a.FirstName, HTMLBody: "<p>Bonjour " + a.FirstName + "</p>"}}, nil
}

// apply stores an application from first last to p, with its CV and its
// acknowledgement, and returns it.
func (e *env) apply(p *repository.Posting, first, last string, change ...func(*repository.Application)) *repository.Application {
	e.t.Helper()
	a := newApplication(p.ID, first, last, change...)
	if _, err := e.Repo.CreateApplication(e.t.Context(), a, cv(), acknowledgement); err != nil {
		e.t.Fatalf("apply %s %s: %v", first, last, err)
	}
	return a
}

// setStatus puts an application in a status without history nor email,
// as if it had got there long ago.
func (e *env) setStatus(a *repository.Application, status catalog.Status) {
	e.t.Helper()
	e.exec(`UPDATE applications SET status = $2 WHERE id = $1`, a.ID, status)
	a.Status = status
}

// exec runs a statement on the test's database.
func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.DB.Exec(query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

// count runs a query returning one number.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.DB.Get(&n, query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// email is an email to address about a, ready to be written.
func email(kind string, a *repository.Application, subject string) *repository.Email {
	return &repository.Email{Kind: kind, PostingID: &a.PostingID, ApplicationID: &a.ID, ToAddress: a.Email,
		ToName: a.FirstName + " " + a.LastName, Subject: subject, TextBody: subject, HTMLBody: "<p>" + subject + "</p>"}
}

// insertEmails writes emails to the outbox.
func (e *env) insertEmails(es ...*repository.Email) {
	e.t.Helper()
	if err := e.Repo.InsertEmails(e.t.Context(), es); err != nil {
		e.t.Fatalf("insert emails: %v", err)
	}
}

// ids returns the ids of applications.
func ids(as ...*repository.Application) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// emailIDs returns the ids of emails.
func emailIDs(ms []*repository.Email) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
