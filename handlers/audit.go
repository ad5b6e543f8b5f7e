package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// The audit log: who opened which CV, who changed what, who exported
// what. Handlers record a line with h.audit; admins read it at
// /admin/journal.

// audit records an action of the signed-in reviewer (or, on the
// applicant's own pages, of the applicant) about a posting and an
// application (0: none). A failure is logged, not shown: the action is
// already done.
func (h *Handler) audit(c *gin.Context, action string, postingID, appID int64, details map[string]any) {
	actor := viewerOf(c).Email
	if actor == "" {
		actor = repository.ActorApplicant
	}
	// The client may have gone (a download it stopped): record it anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := h.Repo.Audit(ctx, actor, action, postingID, appID, details); err != nil {
		h.logger(c).Error("audit log write failed", "error", err, "action", action, "posting_id", postingID, "application_id", appID)
	}
}

// auditLabels are the actions' French names.
var auditLabels = map[string]string{
	repository.AuditCVOpened:          "CV consulté",
	repository.AuditStatusChanged:     "Statut modifié",
	repository.AuditNoteAdded:         "Note ajoutée",
	repository.AuditMessageSent:       "Message écrit à la personne candidate",
	repository.AuditAddressCorrected:  "Adresse corrigée après une non-remise",
	repository.AuditRatingSet:         "Évaluation enregistrée",
	repository.AuditReviewerAdded:     "Relecteur·rice ajouté·e",
	repository.AuditReviewerRemoved:   "Relecteur·rice retiré·e",
	repository.AuditExported:          "Export CSV des candidatures",
	repository.AuditPersonalData:      "Données personnelles téléchargées (droit d'accès)",
	repository.AuditErased:            "Données effacées à la demande de la personne",
	repository.AuditRetentionNotified: "Effacement annoncé (durée de conservation)",
	repository.AuditRetentionErased:   "Données effacées (durée de conservation)",
	repository.AuditQuestionAdded:     "Question ajoutée",
	repository.AuditQuestionChanged:   "Question modifiée",
	repository.AuditQuestionMoved:     "Question déplacée",
	repository.AuditQuestionRemoved:   "Question retirée",
	repository.AuditQuestionsImported: "Questions remplacées par un import",
	repository.AuditScorecardSaved:    "Grille d'évaluation enregistrée",
	repository.AuditCriteriaChanged:   "Critères d'évaluation modifiés",
	repository.AuditBlindSet:          "Relecture à l'aveugle réglée",
	repository.AuditRevealed:          "Candidature dévoilée (fin de la relecture à l'aveugle)",
	repository.AuditReportDownloaded:  "Rapport de sélection téléchargé (CSV)",
}

// questionSettingLabels name, in the journal, the settings of a question
// a change changed (repository.QuestionKey*).
var questionSettingLabels = map[string]string{
	repository.QuestionKeyLabel: "intitulé", repository.QuestionKeyKind: "type de réponse", repository.QuestionKeyHelp: "aide",
	repository.QuestionKeyChoices: "choix proposés", repository.QuestionKeyMin: "minimum", repository.QuestionKeyMax: "maximum",
	repository.QuestionKeyRequired: "réponse obligatoire", repository.QuestionKeyInList: "colonne de la liste",
}

func auditLabel(action string) string {
	if l, ok := auditLabels[action]; ok {
		return l
	}
	return action
}

// auditDetails says in French what an entry's details hold.
func auditDetails(e *repository.AuditEntry) string {
	d := e.DetailsMap()
	str := func(k string) string { s, _ := d[k].(string); return s }
	num := func(k string) int { n, _ := d[k].(float64); return int(n) }
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	withEmail := func(s string) string {
		if b, _ := d["email"].(bool); b {
			return s + ", avec un email à la personne candidate"
		}
		return s
	}
	switch e.Action {
	case repository.AuditCVOpened:
		if b, _ := d["telechargement"].(bool); b {
			return "Téléchargé"
		}
		return "Affiché dans la page"
	case repository.AuditStatusChanged:
		if ids, ok := d["candidatures"].([]any); ok {
			nums := make([]string, 0, len(ids))
			for _, id := range ids {
				if f, ok := id.(float64); ok {
					nums = append(nums, "n° "+strconv.FormatInt(int64(f), 10))
				}
			}
			return withEmail(fmt.Sprintf("Vers « %s » : %s sur %s (%s)", catalog.Status(str("vers")).Label(),
				plural(num("modifiees"), "modifiée", "modifiées"), plural(len(ids), "cochée", "cochées"), strings.Join(nums, ", ")))
		}
		return withEmail(catalog.Status(str("de")).Label() + " → " + catalog.Status(str("vers")).Label())
	case repository.AuditRatingSet:
		return "Note " + strconv.Itoa(num("note")) + "/4"
	case repository.AuditScorecardSaved:
		s := "Avis : " + catalog.Recommendation(num("recommandation")).Label()
		if b, _ := d["nouvelle"].(bool); !b {
			s += " (mise à jour)"
		}
		return s
	case repository.AuditRevealed:
		shown := "nom, email, téléphone, liens, SIRET et CV visibles"
		if revealed, _ := d["revele"].([]any); slices.Contains(revealed, any("fichiers")) {
			shown = "nom, email, téléphone, liens, SIRET, CV et fichiers joints visibles"
		}
		return "Passée à « " + catalog.Status(str("statut")).Label() + " » (étape « " + catalog.Status(str("etape")).Label() +
			" ») : " + shown
	case repository.AuditBlindSet:
		if u := catalog.Status(str("jusqu_a")); u != "" {
			return "À l'aveugle jusqu'à « " + u.Label() + " »"
		}
		return "Fin de la relecture à l'aveugle"
	case repository.AuditReviewerAdded, repository.AuditReviewerRemoved:
		return str("relecteur")
	case repository.AuditExported:
		filter := "sans filtre"
		if f := str("filtre"); f != "" {
			if v, err := url.ParseQuery(f); err == nil {
				filter = "filtre : " + describeQuery(v)
			}
		}
		return plural(num("lignes"), "ligne", "lignes") + ", " + filter
	case repository.AuditPersonalData:
		if b, _ := d["cv"].(bool); b {
			return "Toutes les données, CV compris"
		}
		return "Toutes les données (pas de CV)"
	case repository.AuditRetentionNotified:
		s := plural(num("candidatures"), "personne prévenue", "personnes prévenues")
		if b, _ := d["contact"].(bool); b {
			s += " et la personne à contacter"
		}
		if t, err := time.Parse(time.RFC3339, str("effacement_le")); err == nil {
			s += " ; effacement à partir du " + frfmt.Date(t)
		}
		return s
	case repository.AuditRetentionErased:
		return plural(num("candidatures"), "candidature effacée", "candidatures effacées")
	case repository.AuditQuestionAdded, repository.AuditQuestionRemoved:
		return "« " + str("libelle") + " » (" + catalog.QuestionKind(str("type")).Label() + ")"
	case repository.AuditQuestionChanged:
		var changed []string
		changes, _ := d["modifie"].([]any)
		for _, k := range changes {
			key, _ := k.(string)
			label := questionSettingLabels[key]
			if label == "" {
				label = key
			}
			if key == repository.QuestionKeyLabel && str("libelle_avant") != "" {
				label += " (avant : « " + str("libelle_avant") + " »)"
			}
			changed = append(changed, label)
		}
		return "« " + str("libelle") + " » : " + strings.Join(changed, ", ")
	case repository.AuditQuestionMoved:
		return fmt.Sprintf("« %s » : de la place %d à la place %d", str("libelle"), num("de"), num("vers"))
	case repository.AuditQuestionsImported:
		return fmt.Sprintf("Fichier %s : %s, %s", str("fichier"), plural(num("retirees"), "question retirée", "questions retirées"),
			plural(num("ajoutees"), "question ajoutée", "questions ajoutées"))
	}
	if len(d) == 0 {
		return ""
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s : %v", k, d[k])
	}
	return strings.Join(parts, ", ")
}

// describeQuery lists a list's filter as "key = value" pairs.
func describeQuery(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" = "+strings.Join(v[k], ", "))
	}
	return strings.Join(parts, " ; ")
}

type auditLine struct {
	At, Actor, Action, Details string
	PostingID                  int64
	PostingTitle               string
	ApplicationID              int64
}

type auditLogData struct {
	inboxPage
	Lines     []auditLine
	Actor     string
	Action    string
	PostingID int64
	Actions   []choice
	Postings  []repository.PostingTitle
	NextLink  string
	FirstLink string
}

// auditLogPage lists the audit log, newest first, 100 a page, filtered
// by actor, action and posting.
func (h *Handler) auditLogPage(c *gin.Context) {
	ctx := c.Request.Context()
	q := c.Request.URL.Query()
	f := repository.AuditFilter{Actor: strings.TrimSpace(q.Get("acteur")), Limit: 100}
	if _, ok := auditLabels[q.Get("action")]; ok {
		f.Action = q.Get("action")
	}
	// Ids fit a bigint and are positive; anything else names nothing.
	for _, p := range []struct {
		key, label string
		to         *int64
	}{{"offre", "Offre", &f.PostingID}, {"avant", "Page suivante", &f.Before}} {
		if s := q.Get(p.key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				h.errorPage(c, http.StatusBadRequest, "Adresse invalide", "« "+p.label+" » doit être un numéro (un nombre entier positif) : repartez du journal.")
				return
			}
			*p.to = n
		}
	}
	entries, next, err := h.Repo.AuditLog(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	postings, err := h.Repo.PostingTitles(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	titles := make(map[int64]string, len(postings))
	for _, p := range postings {
		titles[p.ID] = p.Title
	}
	d := auditLogData{inboxPage: h.inboxPage(c, "Journal des accès et des modifications"), Actor: f.Actor, Action: f.Action,
		PostingID: f.PostingID, Postings: postings}
	for _, a := range repository.AuditActions() {
		d.Actions = append(d.Actions, choice{Value: a, Label: auditLabel(a)})
	}
	for i := range entries {
		e := &entries[i]
		l := auditLine{At: frfmt.DateTime(e.At), Actor: e.Actor, Action: auditLabel(e.Action), Details: auditDetails(e)}
		if e.PostingID != nil {
			l.PostingID, l.PostingTitle = *e.PostingID, titles[*e.PostingID]
		}
		if e.ApplicationID != nil {
			l.ApplicationID = *e.ApplicationID
		}
		d.Lines = append(d.Lines, l)
	}
	link := func(before int64) string {
		v := url.Values{}
		if f.Actor != "" {
			v.Set("acteur", f.Actor)
		}
		if f.Action != "" {
			v.Set("action", f.Action)
		}
		if f.PostingID != 0 {
			v.Set("offre", strconv.FormatInt(f.PostingID, 10))
		}
		if before != 0 {
			v.Set("avant", strconv.FormatInt(before, 10))
		}
		if len(v) == 0 {
			return "/admin/journal"
		}
		return "/admin/journal?" + v.Encode()
	}
	if next != 0 {
		d.NextLink = link(next)
	}
	if f.Before != 0 {
		d.FirstLink = link(0)
	}
	h.render(c, http.StatusOK, "admin_journal", d)
}
