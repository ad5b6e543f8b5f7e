package handlers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
	"vivier/repository"
)

// applyThroughTheForm sends validForm with its CV and returns the
// application and its private link (a path), as the acknowledgement
// brings it to the applicant.
func applyThroughTheForm(t *testing.T, app *testkit.App, p *repository.Posting) (*repository.Application, string) {
	t.Helper()
	resp, _ := testkit.PostMultipart(t, app.Client(), app.URL+"/offres/"+p.Slug+"/candidature", validForm(), cv())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	a, err := app.Repo.ApplicationByEmail(t.Context(), p.ID, "camille.durand@example.org")
	if err != nil {
		t.Fatal(err)
	}
	return a, app.LinkTo("camille.durand@example.org")
}

// personalDataOf downloads the access JSON and checks its headers.
func personalDataOf(t *testing.T, c *http.Client, u string) map[string]any {
	t.Helper()
	resp, body := testkit.Get(t, c, u)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".json") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return doc
}

func TestPersonalDataDownloadIsCompleteAndTheSameForApplicantAndAdmin(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	a, private := applyThroughTheForm(t, app, p)
	aid := strconv.FormatInt(a.ID, 10)
	page := app.URL + "/boite/candidatures/" + aid

	// The contact reviews: a note, a rating, a status change with an email.
	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	testkit.PostForm(t, reviewer, page+"/notes", url.Values{"note": {"Profil solide, à revoir en entretien."}})
	testkit.PostForm(t, reviewer, page+"/evaluation", url.Values{"avis": {"3"}, "commentaire": {"Solide."}})
	testkit.PostForm(t, reviewer, page+"/statut", url.Values{"vers": {"shortlisted"}, "envoyer": {"oui"},
		"objet": {"Bonne nouvelle"}, "message": {"Votre candidature est présélectionnée."}, "delai": {"0"}})

	// Emails change state as they leave: let them all leave first.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var waiting int
		app.DB.Get(&waiting, `SELECT count(*) FROM emails WHERE application_id = $1 AND status <> 'sent'`, a.ID)
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d emails of the application still not sent", waiting)
		}
	}

	// The applicant's page links to the download.
	applicant := app.Client()
	if _, body := testkit.Get(t, applicant, app.URL+private); !strings.Contains(body, private+"/donnees.json") {
		t.Error("the private page has no link to download the data")
	}
	mine := personalDataOf(t, applicant, app.URL+private+"/donnees.json")

	// Every field of the application, the CV itself, the history, the
	// notes and ratings, and every email with its body and state.
	cand := mine["candidature"].(map[string]any)
	form := validForm()
	for key, want := range map[string]any{"prenom": "Camille", "nom": "Durand", "email": "camille.durand@example.org",
		"telephone": "+33612345678", "localisation": "Lyon", "tjm_euros_ht": 650.0, "jours_par_semaine": 2.5,
		"siret": "73282932000074", "siret_verifie_par_proconnect": false, "motivation": form.Get("motivation"), "statut": "shortlisted",
		"disponible_a_partir_du": form.Get("disponible_le")} {
		if cand[key] != want {
			t.Errorf("candidature.%s = %v, want %v", key, cand[key], want)
		}
	}
	if links, _ := cand["liens"].([]any); len(links) != 2 {
		t.Errorf("candidature.liens = %v", cand["liens"])
	}
	for _, key := range []string{"consentement_le", "recue_le"} {
		if s, _ := cand[key].(string); s == "" {
			t.Errorf("candidature.%s missing", key)
		}
	}
	cvDoc := mine["cv"].(map[string]any)
	content, err := base64.StdEncoding.DecodeString(cvDoc["contenu_base64"].(string))
	sum := sha256.Sum256(cv().Data)
	if err != nil || !bytes.Equal(content, cv().Data) || cvDoc["sha256"] != hex.EncodeToString(sum[:]) ||
		cvDoc["nom_du_fichier"] != "CV Camille.pdf" || cvDoc["type"] != "application/pdf" || cvDoc["taille_octets"] != float64(len(cv().Data)) {
		t.Errorf("cv: name %v, type %v, size %v, sha256 %v, content %d bytes (%v)", cvDoc["nom_du_fichier"], cvDoc["type"],
			cvDoc["taille_octets"], cvDoc["sha256"], len(content), err)
	}
	history := mine["historique"].([]any)
	if len(history) != 2 || history[1].(map[string]any)["vers"] != "shortlisted" || history[1].(map[string]any)["par"] != p.ContactEmail {
		t.Errorf("historique = %v", history)
	}
	notes := mine["notes"].([]any)
	if len(notes) != 1 || notes[0].(map[string]any)["texte"] != "Profil solide, à revoir en entretien." {
		t.Errorf("notes = %v", notes)
	}
	ratings := mine["evaluations"].([]any)
	if len(ratings) != 1 || ratings[0].(map[string]any)["avis_sur_4"] != 3.0 || ratings[0].(map[string]any)["commentaire"] != "Solide." {
		t.Errorf("evaluations = %v", ratings)
	}
	kinds := map[string]map[string]any{}
	for _, e := range mine["emails"].([]any) {
		kinds[e.(map[string]any)["type"].(string)] = e.(map[string]any)
	}
	ack, update := kinds["acknowledgement"], kinds["status_update"]
	if ack == nil || update == nil || kinds["contact_notification"] == nil {
		t.Fatalf("emails: %v", kinds)
	}
	if ack["destinataire"] != "camille.durand@example.org" || !strings.Contains(ack["objet"].(string), "Candidature reçue") ||
		!strings.Contains(ack["texte"].(string), "Bonjour Camille") || ack["html"] == "" || ack["etat"] == "" {
		t.Errorf("acknowledgement in the data: %v", ack)
	}
	if update["objet"] != "Bonne nouvelle" || !strings.Contains(update["texte"].(string), "présélectionnée") {
		t.Errorf("status update in the data: %v", update)
	}

	// The admin route gives the same document; a reviewer who is not an
	// admin gets 404 there.
	if resp, _ := testkit.Get(t, reviewer, page+"/donnees.json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("non-admin reviewer on the admin route: %d, want 404", resp.StatusCode)
	}
	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	if _, body := testkit.Get(t, admin, page); !strings.Contains(body, "/boite/candidatures/"+aid+"/donnees.json") {
		t.Error("the application page shows no download link to an admin")
	}
	if _, body := testkit.Get(t, reviewer, page); strings.Contains(body, "/donnees.json") {
		t.Error("the application page shows the download link to a non-admin")
	}
	theirs := personalDataOf(t, admin, page+"/donnees.json")
	// The journal grows with each download and the time differs: the rest is the same.
	journal := theirs["journal"].([]any)
	for _, doc := range []map[string]any{mine, theirs} {
		delete(doc, "genere_le")
		delete(doc, "journal")
	}
	if !reflect.DeepEqual(mine, theirs) {
		a, _ := json.MarshalIndent(mine, "", " ")
		b, _ := json.MarshalIndent(theirs, "", " ")
		t.Errorf("the applicant's and the admin's documents differ:\n%s\n---\n%s", a, b)
	}
	actions := map[string]string{}
	for _, e := range journal {
		actions[e.(map[string]any)["action"].(string)] = e.(map[string]any)["par"].(string)
	}
	if actions[repository.AuditPersonalData] != repository.ActorApplicant || actions[repository.AuditNoteAdded] != p.ContactEmail ||
		actions[repository.AuditStatusChanged] != p.ContactEmail {
		t.Errorf("journal in the data: %v", actions)
	}

	// Once erased, the link is dead, the download too.
	testkit.PostForm(t, applicant, app.URL+private+"/effacement", url.Values{"confirmation": {"oui"}})
	if resp, _ := testkit.Get(t, applicant, app.URL+private+"/donnees.json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("download after erasure: %d, want 404", resp.StatusCode)
	}
	var erased int
	app.DB.Get(&erased, `SELECT count(*) FROM audit_log WHERE action = 'application_erased' AND application_id = $1 AND actor = $2`,
		a.ID, repository.ActorApplicant)
	if erased != 1 {
		t.Errorf("%d audit entries for the erasure, want 1", erased)
	}
}

// journalRows counts the lines of the journal's table.
func journalRows(body string) int {
	i := strings.Index(body, `<table id="journal">`)
	if i < 0 {
		return 0
	}
	return strings.Count(body[i:], "<tr>") - 1 // the header row
}

func TestAuditLogRecordsWhoDidWhat(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: "admin@anct.gouv.fr"})
	p := app.OpenPosting(time.Time{})
	a := seedApplication(t, app, p.ID, "Camille", "Durand", "camille@example.org")
	b := seedApplication(t, app, p.ID, "Dominique", "Martin", "dominique@example.org")
	pid, aid := strconv.FormatInt(p.ID, 10), strconv.FormatInt(a.ID, 10)

	reviewer := app.Client()
	app.SignIn(reviewer, p.ContactEmail)
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/cv?telecharger=1"); resp.StatusCode != 200 {
		t.Fatalf("CV: %d", resp.StatusCode)
	}
	if resp, _ := testkit.PostForm(t, reviewer, app.URL+"/boite/candidatures/"+aid+"/statut", url.Values{"vers": {"in_review"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status change: %d", resp.StatusCode)
	}
	testkit.PostForm(t, reviewer, app.URL+"/boite/offres/"+pid+"/statuts", url.Values{"ids": {aid, strconv.FormatInt(b.ID, 10)}, "vers": {"rejected"}, "motif": {"Profils trop éloignés"}})
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/boite/offres/"+pid+"/export.csv?statut=rejected"); resp.StatusCode != 200 {
		t.Fatalf("export: %d", resp.StatusCode)
	}

	// What the log holds.
	var export struct {
		Actor   string `db:"actor"`
		Details string `db:"details"`
	}
	if err := app.DB.Get(&export, `SELECT actor, details::text AS details FROM audit_log WHERE action = 'applications_exported'`); err != nil {
		t.Fatal(err)
	}
	var ex map[string]any
	json.Unmarshal([]byte(export.Details), &ex)
	if export.Actor != p.ContactEmail || ex["lignes"] != 2.0 || ex["filtre"] != "statut=rejected" {
		t.Errorf("export entry: %s by %s", export.Details, export.Actor)
	}

	// Admins read it, newest first, with French labels and filters.
	admin := app.Client()
	app.SignIn(admin, "admin@anct.gouv.fr")
	resp, body := testkit.Get(t, admin, app.URL+"/admin/journal")
	if resp.StatusCode != 200 {
		t.Fatalf("journal: %d", resp.StatusCode)
	}
	for _, want := range []string{"CV consulté", "Téléchargé", "Reçue → En cours d&#39;examen", "Export CSV des candidatures",
		"2 lignes, filtre : statut = rejected", "2 modifiées sur 2 cochées", p.ContactEmail} {
		if !strings.Contains(body, want) {
			t.Errorf("the journal lacks %q", want)
		}
	}
	if table := body[strings.Index(body, `<table id="journal">`):]; strings.Index(table, "Export CSV des candidatures") > strings.Index(table, "CV consulté") {
		t.Error("the journal is not newest first")
	}
	if n := journalRows(body); n != 4 {
		t.Errorf("journal: %d lines, want 4", n)
	}
	_, body = testkit.Get(t, admin, app.URL+"/admin/journal?action=cv_opened")
	if n := journalRows(body); n != 1 || !strings.Contains(body, "/boite/candidatures/"+aid) {
		t.Errorf("filtered by action: %d lines, want 1", n)
	}
	_, body = testkit.Get(t, admin, app.URL+"/admin/journal?acteur=personne%40example.org")
	if n := journalRows(body); n != 0 || !strings.Contains(body, "Aucune entrée pour ce filtre") {
		t.Errorf("filtered by an actor who did nothing: %d lines", n)
	}
	_, body = testkit.Get(t, admin, app.URL+"/admin/journal?offre="+pid+"&acteur="+url.QueryEscape(strings.ToUpper(p.ContactEmail)))
	if n := journalRows(body); n != 4 {
		t.Errorf("filtered by posting and actor: %d lines, want 4", n)
	}

	// 100 a page, older ones behind a keyset link.
	for i := 0; i < 150; i++ {
		if err := app.Repo.Audit(t.Context(), "robot@anct.gouv.fr", repository.AuditNoteAdded, p.ID, a.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, body = testkit.Get(t, admin, app.URL+"/admin/journal?acteur=robot%40anct.gouv.fr")
	next := regexp1(body, `href="(/admin/journal\?[^"]*avant=\d+[^"]*)" rel="next"`)
	if n := journalRows(body); n != 100 || next == "" {
		t.Fatalf("first page: %d lines, next %q", n, next)
	}
	_, body = testkit.Get(t, admin, app.URL+strings.ReplaceAll(next, "&amp;", "&"))
	if n := journalRows(body); n != 50 || strings.Contains(body, `rel="next"`) {
		t.Errorf("second page: %d lines, want 50 and no next page", n)
	}

	// Nobody else reads it.
	if resp, _ := testkit.Get(t, reviewer, app.URL+"/admin/journal"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("non-admin on the journal: %d, want 404", resp.StatusCode)
	}
	if resp, _ := testkit.Get(t, app.Client(), app.URL+"/admin/journal"); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/connexion") {
		t.Errorf("anonymous on the journal: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func regexp1(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// The form and the acknowledgement say what is done with the data, for
// how long (RETENTION_MONTHS) and whom to ask.
func TestConsentRetentionAndContactOnFormAndAcknowledgement(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{NoWorker: true, Env: map[string]string{"RETENTION_MONTHS": "18"}})
	p := app.OpenPosting(time.Time{})
	_, body := testkit.Get(t, app.Client(), app.URL+"/offres/"+p.Slug)
	for _, want := range []string{"conservées 18 mois après la clôture de l&#39;offre", "écrivez à " + p.ContactEmail, `name="consentement"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	applyThroughTheForm(t, app, p)
	var text, html string
	app.DB.QueryRow(`SELECT text_body, html_body FROM emails WHERE kind = 'acknowledgement'`).Scan(&text, &html)
	for _, part := range []string{text, html} {
		if !strings.Contains(part, "conservées 18 mois après la clôture") || !strings.Contains(part, p.ContactEmail) {
			t.Errorf("the acknowledgement lacks the retention period or the contact:\n%s", part)
		}
	}
}
