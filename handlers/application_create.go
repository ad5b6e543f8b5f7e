package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"

	"vivier/internal/applyform"
	"vivier/internal/compose"
	"vivier/internal/frfmt"
	"vivier/internal/links"
	"vivier/internal/views"
	"vivier/repository"
)

// postingTakingApplications is the posting a form is sent to, when it
// still takes applications and the client is within its limit; otherwise
// it answers and returns false. The limit is counted before the body is
// read: a client past it gets no upload read for it.
func (h *Handler) postingTakingApplications(c *gin.Context) (*repository.Posting, bool) {
	p, ok := h.publicPosting(c)
	if !ok {
		return nil, false
	}
	// A form loaded while the posting was open may arrive after it closed.
	if !p.AcceptsApplications(h.Now()) {
		h.refuseClosed(c, p)
		return nil, false
	}
	if !h.allow(c, "apply:client:"+c.ClientIP(), h.Config.ApplyRateLimit, time.Hour) {
		h.tooManyRequests(c)
		return nil, false
	}
	return p, true
}

func (h *Handler) createApplication(c *gin.Context) {
	p, ok := h.postingTakingApplications(c)
	if !ok {
		return
	}

	h.count(c, p, views.FormSent)
	questions, err := h.formQuestions(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	form, err := readApplicationForm(c.Writer, c.Request, h.Config.UploadMaxBytes, fileFields(questions)...)
	values := form.Values
	switch {
	case errors.Is(err, errFormTooLarge):
		h.renderPosting(c, http.StatusRequestEntityTooLarge, p, formError(values, "Le formulaire reçu est trop volumineux : raccourcissez vos réponses, puis envoyez-le à nouveau."))
		return
	case err != nil:
		h.renderPosting(c, http.StatusBadRequest, p, formError(values, "Le formulaire reçu est illisible : rechargez la page et envoyez-le à nouveau."))
		return
	}
	if values.Get(applyform.FieldHoneypot) != "" {
		h.logger(c).Info("honeypot filled: application refused", "posting_id", p.ID)
		h.renderPosting(c, http.StatusUnprocessableEntity, p, formError(values, "Votre candidature n'a pas pu être envoyée. Si vous utilisez un outil de remplissage automatique, désactivez-le puis réessayez."))
		return
	}

	today := h.Now().In(frfmt.Paris)
	input, errs := applyform.Check(values, today)
	answers, answerErrs := applyform.CheckAnswers(questions, values, uploads(form), h.Config.UploadMaxBytes, today)
	for field, msg := range answerErrs {
		errs[field] = msg
	}
	status := http.StatusUnprocessableEntity
	if form.Cut {
		// Fields sent after a file over the limit never arrived: only the
		// files are at fault.
		errs = applyform.Errors{}
		for name, f := range form.Files {
			if f.TooLarge {
				errs[name] = answerErrs[name]
				status = http.StatusRequestEntityTooLarge
			}
		}
	}
	cv, data, cvErr, cvStatus := h.checkCV(form.CV)
	if cvErr != "" {
		errs[applyform.FieldCV] = cvErr
		if cvStatus != 0 {
			status = cvStatus
		}
	}
	if len(errs) > 0 {
		h.renderPosting(c, status, p, &formView{Values: values, Errors: errs, Summary: errs.OrderedWith(questions), ChooseFileAgain: true,
			VerifiedSIRET: h.verifiedSIRET(c, p.Slug)})
		return
	}

	token, hash, err := newToken()
	if err != nil {
		h.fail(c, err)
		return
	}
	app := &repository.Application{
		PostingID: p.ID, FirstName: input.FirstName, LastName: input.LastName, Email: input.Email,
		Phone: input.Phone, Location: input.Location, DailyRate: input.DailyRate, DaysPerWeek: input.DaysPerWeek,
		AvailableFrom: input.AvailableFrom, SIRET: input.SIRET, Links: pq.StringArray(input.Links),
		Motivation: input.Motivation, ConsentAt: h.Now(), AccessTokenHash: hash,
		SubmissionNonce: nonceOf(values),
		SIRETVerified:   h.siretVerified(c, p.Slug, input.SIRET),
		Answers:         answerRows(answers, questions),
	}
	src := h.sourceOf(c, values)
	app.UTMSource, app.UTMMedium, app.UTMCampaign, app.Ref, app.ReferrerHost = src.Source, src.Medium, src.Campaign, src.Ref, src.ReferrerHost
	if app.Links == nil {
		app.Links = pq.StringArray{}
	}
	sum := sha256.Sum256(data)
	doc := &repository.Document{FileName: cv.Name, ContentType: cv.ContentType, SizeBytes: int64(len(data)), SHA256: sum[:], Content: data}

	saved, err := h.Repo.PostingTemplates(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	notify, err := h.Repo.NotifiedAtOnce(c.Request.Context(), p.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	emails, err := h.Repo.CreateApplication(c.Request.Context(), app, doc, func(a *repository.Application) ([]*repository.Email, error) {
		return h.Emails.Application(p, a, token, cv.Name, saved, notify)
	})
	switch {
	case errors.Is(err, repository.ErrPostingClosed):
		h.refuseClosed(c, p)
		return
	case errors.Is(err, repository.ErrDuplicateApplication):
		h.refuseDuplicate(c, p, app.Email, app.SubmissionNonce)
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.enqueue(c, emails...)
	if h.Sessions != nil {
		h.Sessions.Remove(c.Request.Context(), verifiedSIRETKey(p.Slug))
	}
	h.logger(c).Info("application received", "posting_id", p.ID, "application_id", app.ID, "siret_verified", app.SIRETVerified)
	h.Metrics.ApplicationReceived()
	c.Redirect(http.StatusSeeOther, "/offres/"+p.Slug+"/candidature-envoyee")
}

// checkCV checks the CV sent, if any; it returns a French message and,
// for a file over the limit, 413.
func (h *Handler) checkCV(f *postedFile) (applyform.CV, []byte, string, int) {
	switch {
	case f == nil:
		return applyform.CV{}, nil, "Choisissez votre CV (PDF, DOC, DOCX ou ODT).", 0
	case f.TooLarge:
		return applyform.CV{}, nil, tooLargeMessage(h.Config.UploadMaxBytes), http.StatusRequestEntityTooLarge
	}
	cv, msg := applyform.CheckCV(f.Name, f.Data, h.Config.UploadMaxBytes)
	return cv, f.Data, msg, 0
}

func tooLargeMessage(max int64) string {
	return "Votre CV dépasse la taille maximale de " + applyform.HumanSize(max) + " : allégez-le (par exemple en l'exportant en PDF) puis choisissez-le à nouveau."
}

func formError(values url.Values, msg string) *formView {
	return &formView{Values: values, Errors: applyform.Errors{}, ChooseFileAgain: true,
		Summary: []applyform.FieldError{{Message: msg}}}
}

func (h *Handler) refuseClosed(c *gin.Context, p *repository.Posting) {
	// Show the page as it is now: closed, with its notice and no form.
	h.renderPosting(c, http.StatusConflict, p, &formView{})
}

// refuseDuplicate answers a second application from the same address
// exactly as a first one, so the form tells nobody who applied: the same
// redirect to the same confirmation. The truth goes by email to that
// address alone, with a fresh private link; the first application stays
// as it was.
//
// The same form sent twice (a double click, a reload) is not a duplicate:
// it gets the confirmation again, and no email.
func (h *Handler) refuseDuplicate(c *gin.Context, p *repository.Posting, email, nonce string) {
	existing, err := h.Repo.ApplicationByEmail(c.Request.Context(), p.ID, email)
	// At most a few links an hour to one address, whoever asks.
	if err == nil && (nonce == "" || existing.SubmissionNonce != nonce) &&
		h.allow(c, "apply:resend:"+strings.ToLower(existing.Email), 3, time.Hour) {
		err = h.resendPrivateLink(c, p, existing)
	}
	if err != nil && !errors.Is(err, repository.ErrNotFound) {
		h.logger(c).Error("resend private link", "posting_id", p.ID, "error", err)
	}
	c.Redirect(http.StatusSeeOther, "/offres/"+p.Slug+"/candidature-envoyee")
}

// resendPrivateLink mails a new private link to an applicant; every link
// they had before stops working, as the email says.
func (h *Handler) resendPrivateLink(c *gin.Context, p *repository.Posting, a *repository.Application) error {
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	e, err := h.Emails.PrivateLink(p, a, token)
	if err != nil {
		return err
	}
	if err := h.Repo.ReplaceAccessTokens(c.Request.Context(), a.ID, hash, []*repository.Email{e}); err != nil {
		return err
	}
	h.enqueue(c, e)
	return nil
}

// nonceOf reads the form's one-time value, ignoring anything odd.
func nonceOf(values url.Values) string {
	n := values.Get(applyform.FieldNonce)
	if len(n) > 64 || strings.ContainsFunc(n, func(r rune) bool { return r < '-' || r > 'z' }) {
		return ""
	}
	return n
}

// newNonce is a fresh one-time value for a form.
func newNonce() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newToken returns a 256-bit random token for a private link and its
// SHA-256, which alone is stored.
func newToken() (string, []byte, error) { return links.NewToken() }

func hashToken(token string) []byte { return links.Hash(token) }

// enqueue hands committed emails to the queue. A failure is only logged:
// the outbox keeps them and the scheduler's sweep enqueues them later.
func (h *Handler) enqueue(c *gin.Context, emails ...*repository.Email) {
	if err := h.Enqueuer.Enqueue(c.Request.Context(), compose.Outgoing(emails...)...); err != nil {
		h.logger(c).Warn("enqueue failed; the outbox sweep will retry", "error", err)
	}
}

type sentData struct {
	Page
	Posting postingView
}

func (h *Handler) applicationSent(c *gin.Context) {
	p, ok := h.publicPosting(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, "application_sent", sentData{Page: h.page("Candidature envoyée"), Posting: viewOf(p)})
}
