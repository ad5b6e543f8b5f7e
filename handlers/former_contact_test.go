package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vivier/internal/testkit"
)

// When an admin names another contact, they say whether the previous one
// keeps access; a kept one shows as the former contact among the
// reviewers and can be removed there later.
func TestPreviousContactKeepsAccessOnlyIfTheAdminSaysSo(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: editorAdmin})
	p := app.OpenPosting(time.Time{})
	first := p.ContactEmail
	second, third := "dominique@anct.gouv.fr", "sacha@anct.gouv.fr"
	pid := strconv.FormatInt(p.ID, 10)
	list, edit := app.URL+"/boite/offres/"+pid, app.URL+"/boite/offres/"+pid+"/modification"
	admin, previous := app.Client(), app.Client()
	app.SignIn(admin, editorAdmin)
	app.SignIn(previous, first)

	// The edit form asks, naming the contact; keeping them is checked.
	_, body := testkit.Get(t, admin, edit)
	if !strings.Contains(body, `name="ancien_contact" value="garder" checked>`) ||
		!strings.Contains(body, `name="ancien_contact" value="retirer">`) ||
		!strings.Contains(body, "Si vous changez l'email de contact, "+first) {
		t.Fatal("the edit form does not ask what becomes of the contact")
	}
	// An answer that is neither is refused, naming the field.
	form := demoPostingForm()
	form.Set("contact", second)
	form.Set("ancien_contact", "peut-être")
	resp, body := testkit.PostForm(t, admin, edit, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="ancien_contact-erreur">Choisissez si `+first) ||
		!strings.Contains(body, `<a href="#champ-ancien_contact">Ancienne personne à contacter</a>`) {
		t.Fatalf("an unknown choice: %d, the field is not named", resp.StatusCode)
	}
	if same, _ := app.Repo.PostingByID(t.Context(), p.ID); same.ContactEmail != first {
		t.Fatalf("a refused edit changed the contact to %q", same.ContactEmail)
	}

	// Kept: still a reviewer, shown as the former contact.
	form.Set("ancien_contact", "garder")
	if resp, _ := testkit.PostForm(t, admin, edit, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit keeping the previous contact: %d", resp.StatusCode)
	}
	_, body = testkit.Get(t, admin, list)
	if !strings.Contains(body, first+", l&#39;ancienne personne à contacter, garde l&#39;accès aux candidatures") {
		t.Error("the message after the edit does not say the previous contact keeps access")
	}
	reviewers := body[strings.Index(body, `id="relecteurs"`):]
	if !strings.Contains(reviewers, first+` <span class="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon">Ancienne personne à contacter</span>`) ||
		!strings.Contains(reviewers, second+` <span class="fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon">Personne à contacter</span>`) {
		t.Error("the reviewers list does not mark the contact and the former contact")
	}
	if resp, _ := testkit.Get(t, previous, list); resp.StatusCode != http.StatusOK {
		t.Errorf("the kept former contact: %d, want 200", resp.StatusCode)
	}
	// Later, removed from the list as any reviewer.
	testkit.PostForm(t, admin, list+"/relecteurs/retrait", url.Values{"email": {first}})
	if resp, _ := testkit.Get(t, previous, list); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the former contact after removal: %d, want 404", resp.StatusCode)
	}

	// Removed at the time of the change: no access at once, no line in the list.
	second2 := app.Client()
	app.SignIn(second2, second)
	form.Set("contact", third)
	form.Set("ancien_contact", "retirer")
	if resp, _ := testkit.PostForm(t, admin, edit, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit removing the previous contact: %d", resp.StatusCode)
	}
	if resp, _ := testkit.Get(t, second2, list); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the removed former contact: %d, want 404", resp.StatusCode)
	}
	_, body = testkit.Get(t, admin, list)
	if !strings.Contains(body, second+", l&#39;ancienne personne à contacter, n&#39;a plus accès") {
		t.Error("the message after the edit does not say the previous contact lost access")
	}
	if reviewers := body[strings.Index(body, `id="relecteurs"`):]; strings.Contains(reviewers, second) {
		t.Error("the removed former contact is still listed")
	}
	var removals int
	app.DB.Get(&removals, `SELECT count(*) FROM audit_log WHERE action = 'reviewer_removed' AND details->>'relecteur' = $1`, second)
	if removals != 1 {
		t.Errorf("%d audit lines for the removal, want 1", removals)
	}

	// A former contact named again is the contact, without the mark.
	form.Set("contact", first)
	testkit.PostForm(t, admin, edit, form)
	form.Set("contact", third)
	form.Set("ancien_contact", "garder")
	testkit.PostForm(t, admin, edit, form)
	_, body = testkit.Get(t, admin, list)
	if reviewers := body[strings.Index(body, `id="relecteurs"`):]; !strings.Contains(reviewers, third+` <span class="fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon">Personne à contacter</span>`) {
		t.Error("a former contact named again is not shown as the contact")
	}
}

// A posting file imported again with another contact keeps the previous
// one as a reviewer, marked as the former contact.
func TestImportWithAnotherContactMarksTheFormerContact(t *testing.T) {
	t.Parallel()
	app := testkit.NewApp(t, testkit.Options{AdminEmails: editorAdmin})
	p := app.Posting("tests/2024-01-01-contact.md", []byte("---\ntitle: Offre\ncontact: ancien@anct.gouv.fr\nopen: true\n---\nUne mission.\n"))
	app.Posting("tests/2024-01-01-contact.md", []byte("---\ntitle: Offre\ncontact: nouveau@anct.gouv.fr\nopen: true\n---\nUne mission.\n"))
	reviewers, err := app.Repo.ReviewerList(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reviewers) != 2 || reviewers[0].Email != "ancien@anct.gouv.fr" || reviewers[0].ContactUntil == nil || reviewers[0].Contact ||
		reviewers[1].Email != "nouveau@anct.gouv.fr" || !reviewers[1].Contact || reviewers[1].ContactUntil != nil {
		t.Errorf("reviewers after the import: %+v", reviewers)
	}
}
