package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/internal/frfmt"
	"vivier/repository"
)

// The right of access: everything held on one application, as JSON, for
// the applicant (from their private link) and for admins (on request).
// Both get the same document. Keys are French: people read it.

type pdPosting struct {
	ID           int64                `json:"id"`
	Title        string               `json:"titre"`
	Organisation string               `json:"organisation"`
	Contact      string               `json:"contact"`
	Status       catalog.PostingState `json:"etat"`
	StatusLabel  string               `json:"etat_libelle"`
	URL          string               `json:"adresse"`
}

type pdApplication struct {
	ID            int64          `json:"id"`
	Status        catalog.Status `json:"statut"`
	StatusLabel   string         `json:"statut_libelle"`
	FirstName     string         `json:"prenom"`
	LastName      string         `json:"nom"`
	Email         string         `json:"email"`
	Phone         string         `json:"telephone"`
	Location      string         `json:"localisation"`
	DailyRate     int            `json:"tjm_euros_ht"`
	DaysPerWeek   float64        `json:"jours_par_semaine"`
	AvailableFrom string         `json:"disponible_a_partir_du"`
	SIRET         string         `json:"siret"`
	SIRETVerified bool           `json:"siret_verifie_par_proconnect"`
	Links         []string       `json:"liens"`
	Motivation    string         `json:"motivation"`
	ConsentAt     time.Time      `json:"consentement_le"`
	CreatedAt     time.Time      `json:"recue_le"`
	UpdatedAt     time.Time      `json:"modifiee_le"`
	WithdrawnAt   *time.Time     `json:"retiree_le"`
	ErasedAt      *time.Time     `json:"effacee_le"`
	Provenance    pdProvenance   `json:"provenance"`
}

// pdProvenance is where the application came from, as its address and
// the site that linked to it said.
type pdProvenance struct {
	Source       string `json:"source"`
	Medium       string `json:"support"`
	Campaign     string `json:"campagne"`
	Ref          string `json:"reference"`
	ReferrerHost string `json:"site_d_origine"`
}

type pdCV struct {
	FileName    string    `json:"nom_du_fichier"`
	ContentType string    `json:"type"`
	SizeBytes   int64     `json:"taille_octets"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"depose_le"`
	Content     string    `json:"contenu_base64"`
}

type pdEvent struct {
	At    time.Time       `json:"date"`
	Kind  string          `json:"evenement"`
	Label string          `json:"libelle"`
	From  *catalog.Status `json:"de"`
	To    *catalog.Status `json:"vers"`
	Actor string          `json:"par"`
	// Reason: a rejection's reason, as the reviewer wrote it.
	Reason string `json:"motif,omitempty"`
}

type pdNote struct {
	At     time.Time `json:"date"`
	Author string    `json:"auteur"`
	Body   string    `json:"texte"`
}

// pdScorecard is a reviewer's scorecard (a rating from before scorecards
// is one with its recommendation alone).
type pdScorecard struct {
	At             time.Time `json:"date"`
	Reviewer       string    `json:"relecteur"`
	Recommendation string    `json:"avis"`
	OutOf4         int       `json:"avis_sur_4"`
	Comment        string    `json:"commentaire"`
	Marks          []pdMark  `json:"criteres"`
}

type pdMark struct {
	Criterion string `json:"critere"`
	Mark      int    `json:"note_sur_4"`
}

type pdEmail struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"type"`
	CreatedAt   time.Time  `json:"ecrit_le"`
	SendAfter   time.Time  `json:"envoi_prevu_le"`
	To          string     `json:"destinataire"`
	ToName      string     `json:"nom_du_destinataire"`
	ReplyTo     string     `json:"repondre_a"`
	Subject     string     `json:"objet"`
	Text        string     `json:"texte"`
	HTML        string     `json:"html"`
	Status      string     `json:"etat"`
	StatusLabel string     `json:"etat_libelle"`
	SentAt      *time.Time `json:"envoye_le"`
	Attempts    int        `json:"tentatives"`
	LastError   string     `json:"derniere_erreur"`
	MessageID   string     `json:"message_id"`
	// Bounced: a delivery status notification said the email did not
	// arrive, and why.
	Bounced      bool       `json:"non_remis"`
	BouncedAt    *time.Time `json:"non_remis_le"`
	BounceReason string     `json:"motif_de_non_remise"`
}

// pdReply is what the applicant wrote back by email (or their mail
// client's automatic answer), with the files kept.
type pdReply struct {
	ReceivedAt  time.Time      `json:"recue_le"`
	SentAt      *time.Time     `json:"envoyee_le"`
	Automatic   bool           `json:"reponse_automatique"`
	From        string         `json:"expediteur"`
	FromName    string         `json:"nom_de_l_expediteur"`
	Subject     string         `json:"objet"`
	Text        string         `json:"texte"`
	Notes       string         `json:"remarques"`
	Attachments []pdAttachment `json:"pieces_jointes"`
}

// pdAttachment is a file attached to a reply, with its content as the
// CV's.
type pdAttachment struct {
	FileName    string `json:"nom_du_fichier"`
	ContentType string `json:"type"`
	SizeBytes   int64  `json:"taille_octets"`
	SHA256      string `json:"sha256"`
	Content     string `json:"contenu_base64"`
}

type pdInterview struct {
	Start     time.Time `json:"debut"`
	Minutes   int       `json:"duree_minutes"`
	Mode      string    `json:"modalite"`
	Place     string    `json:"lieu"`
	State     string    `json:"etat"`
	Attendees []string  `json:"relecteurs_presents"`
	CreatedAt time.Time `json:"choisi_le"`
}

type pdDecline struct {
	At      time.Time `json:"date"`
	Message string    `json:"message"`
}

type pdAudit struct {
	At      time.Time       `json:"date"`
	Actor   string          `json:"par"`
	Action  string          `json:"action"`
	Label   string          `json:"libelle"`
	Details json.RawMessage `json:"details"`
}

type personalDataDoc struct {
	Format          string        `json:"format"`
	GeneratedAt     time.Time     `json:"genere_le"`
	Controller      string        `json:"responsable_du_traitement"`
	DataContact     string        `json:"contact_pour_vos_donnees"`
	RetentionMonths int           `json:"duree_de_conservation_mois"`
	Retention       string        `json:"conservation"`
	Posting         pdPosting     `json:"offre"`
	Application     pdApplication `json:"candidature"`
	CV              *pdCV         `json:"cv"`
	Answers         []pdAnswer    `json:"reponses_aux_questions"`
	History         []pdEvent     `json:"historique"`
	Notes           []pdNote      `json:"notes"`
	Scorecards      []pdScorecard `json:"evaluations"`
	Emails          []pdEmail     `json:"emails"`
	Interviews      []pdInterview `json:"entretiens"`
	Declines        []pdDecline   `json:"aucun_creneau_ne_convient"`
	Replies         []pdReply     `json:"reponses_recues"`
	Journal         []pdAudit     `json:"journal"`
}

func paris(t time.Time) time.Time { return t.In(frfmt.Paris) }

func parisPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	p := paris(*t)
	return &p
}

func (h *Handler) personalDataDoc(d *repository.PersonalData) personalDataDoc {
	a, p := d.Application, d.Posting
	doc := personalDataDoc{
		Format: "vivier-donnees-personnelles/1", GeneratedAt: paris(h.Now()), Controller: h.Config.OperatorName,
		DataContact: h.dataContact(p), RetentionMonths: h.Config.RetentionMonths,
		Retention: "Ces données sont conservées " + strconv.Itoa(h.Config.RetentionMonths) +
			" mois après la clôture de l'offre, puis effacées ; seuls des décomptes anonymes restent.",
		Posting: pdPosting{ID: p.ID, Title: p.Title, Organisation: p.Organisation, Contact: p.ContactEmail,
			Status: p.Status, StatusLabel: p.Status.Label(),
			URL: h.Config.BaseURL + "/offres/" + p.Slug},
		Application: pdApplication{ID: a.ID, Status: a.Status, StatusLabel: a.Status.Label(),
			FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, Phone: a.Phone, Location: a.Location,
			DailyRate: a.DailyRate, DaysPerWeek: a.DaysPerWeek, AvailableFrom: a.AvailableFrom.Format("2006-01-02"),
			SIRET: a.SIRET, SIRETVerified: a.SIRETVerified, Links: append([]string{}, a.Links...), Motivation: a.Motivation,
			ConsentAt: paris(a.ConsentAt), CreatedAt: paris(a.CreatedAt), UpdatedAt: paris(a.UpdatedAt),
			WithdrawnAt: parisPtr(a.WithdrawnAt), ErasedAt: parisPtr(a.ErasedAt),
			Provenance: pdProvenance{Source: a.UTMSource, Medium: a.UTMMedium, Campaign: a.UTMCampaign,
				Ref: a.Ref, ReferrerHost: a.ReferrerHost}},
		History: []pdEvent{}, Notes: []pdNote{}, Scorecards: []pdScorecard{}, Emails: []pdEmail{}, Journal: []pdAudit{},
		Interviews: []pdInterview{}, Declines: []pdDecline{}, Replies: []pdReply{},
	}
	if cv := d.Document; cv != nil {
		doc.CV = &pdCV{FileName: cv.FileName, ContentType: cv.ContentType, SizeBytes: cv.SizeBytes,
			SHA256: hex.EncodeToString(cv.SHA256), CreatedAt: paris(cv.CreatedAt),
			Content: base64.StdEncoding.EncodeToString(cv.Content)}
	}
	for _, e := range d.Events {
		label := timeline([]repository.Event{e}, nil, nil, nil, nil)[0].What
		doc.History = append(doc.History, pdEvent{At: paris(e.CreatedAt), Kind: e.Kind, Label: label, From: e.FromStatus, To: e.ToStatus, Actor: e.Actor, Reason: e.Reason})
	}
	for _, n := range d.Notes {
		doc.Notes = append(doc.Notes, pdNote{At: paris(n.CreatedAt), Author: n.Author, Body: n.Body})
	}
	for _, s := range d.Scorecards {
		card := pdScorecard{At: paris(s.UpdatedAt), Reviewer: s.Reviewer, Recommendation: s.Recommendation.Label(),
			OutOf4: int(s.Recommendation), Comment: s.Comment, Marks: []pdMark{}}
		for _, c := range d.Criteria {
			if m, ok := s.Marks[c.ID]; ok {
				card.Marks = append(card.Marks, pdMark{Criterion: c.Name, Mark: int(m)})
			}
		}
		doc.Scorecards = append(doc.Scorecards, card)
	}
	for _, e := range d.Emails {
		doc.Emails = append(doc.Emails, pdEmail{ID: e.ID, Kind: e.Kind, CreatedAt: paris(e.CreatedAt), SendAfter: paris(e.SendAfter),
			To: e.ToAddress, ToName: e.ToName, ReplyTo: e.ReplyTo, Subject: e.Subject, Text: e.TextBody, HTML: e.HTMLBody,
			Status: e.Status, StatusLabel: emailStateLabel(e.Status), SentAt: parisPtr(e.SentAt), Attempts: e.Attempts,
			LastError: e.LastError, MessageID: e.MessageID,
			Bounced: e.BouncedAt != nil, BouncedAt: parisPtr(e.BouncedAt), BounceReason: e.BounceReason})
	}
	for _, m := range d.Replies {
		r := pdReply{ReceivedAt: paris(m.CreatedAt), SentAt: parisPtr(m.SentAt), Automatic: m.Kind == repository.InboundAutoReply,
			From: m.FromAddress, FromName: m.FromName, Subject: m.Subject, Text: m.Body, Notes: m.Notes, Attachments: []pdAttachment{}}
		for _, f := range m.Attachments {
			r.Attachments = append(r.Attachments, pdAttachment{FileName: f.FileName, ContentType: f.ContentType, SizeBytes: f.SizeBytes,
				SHA256: hex.EncodeToString(f.SHA256), Content: base64.StdEncoding.EncodeToString(f.Content)})
		}
		doc.Replies = append(doc.Replies, r)
	}
	for _, iv := range d.Interviews {
		doc.Interviews = append(doc.Interviews, pdInterview{Start: paris(iv.StartsAt), Minutes: iv.Minutes, Mode: iv.Mode.Label(),
			Place: iv.Place, State: iv.State.Label(), Attendees: append([]string{}, iv.Attendees...), CreatedAt: paris(iv.CreatedAt)})
	}
	for _, dc := range d.Declines {
		doc.Declines = append(doc.Declines, pdDecline{At: paris(dc.CreatedAt), Message: dc.Message})
	}
	for _, e := range d.Audit {
		details := e.Details
		if len(details) == 0 {
			details = json.RawMessage("{}")
		}
		doc.Journal = append(doc.Journal, pdAudit{At: paris(e.At), Actor: e.Actor, Action: e.Action, Label: auditLabel(e.Action), Details: details})
	}
	return doc
}

// sendPersonalData answers the JSON of everything held on an application.
func (h *Handler) sendPersonalData(c *gin.Context, appID int64) {
	d, err := h.Repo.PersonalDataOf(c.Request.Context(), appID)
	if err != nil {
		h.fail(c, err)
		return
	}
	doc := h.personalDataDoc(d)
	if doc.Answers, err = h.personalDataAnswers(c.Request.Context(), appID); err != nil {
		h.fail(c, err)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditPersonalData, d.Posting.ID, appID, map[string]any{"cv": d.Document != nil})
	name := "donnees-candidature-" + strconv.FormatInt(appID, 10) + ".json"
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Data(http.StatusOK, "application/json; charset=utf-8", buf.Bytes())
}

// adminPersonalData: an admin downloads everything held on an application
// (the route is for admins only).
func (h *Handler) adminPersonalData(c *gin.Context) {
	a, _, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	h.sendPersonalData(c, a.ID)
}

// ownPersonalData: the applicant downloads everything held on them.
func (h *Handler) ownPersonalData(c *gin.Context) {
	a, _, ok := h.ownApplication(c)
	if !ok {
		return
	}
	h.sendPersonalData(c, a.ID)
}
