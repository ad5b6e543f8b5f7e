package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
	"vivier/internal/proconnect"
)

// Freelancers may fill their names, email and SIRET from ProConnect: the
// form goes with what was typed, which the session keeps meanwhile; the
// callback (shared with the reviewers' sign-in) brings them back to the
// form with ProConnect's values, and the SIRET it gave is marked verified
// if it is the one sent with the application. Nobody is signed in.

const (
	proConnectPurposeKey = "proconnect:purpose" // "apply:SLUG" for a form; "" for a sign-in
	proConnectDraftKey   = "proconnect:draft"
	applyPurposePrefix   = "apply:"
)

// prefillKey and verifiedSIRETKey are per posting, so that two forms in
// two tabs keep apart.
func prefillKey(slug string) string       { return "proconnect:prefill:" + slug }
func verifiedSIRETKey(slug string) string { return "proconnect:siret:" + slug }

// draftFields are the form's typed values kept across the trip to
// ProConnect (no file: browsers never send one back), and where the
// applicant came from.
var draftFields = append([]string{applyform.FieldFirstName, applyform.FieldLastName, applyform.FieldEmail, applyform.FieldPhone,
	applyform.FieldLocation, applyform.FieldDailyRate, applyform.FieldDaysPerWeek, applyform.FieldAvailable, applyform.FieldSIRET,
	applyform.FieldLinks, applyform.FieldMotivation, applyform.FieldConsent, applyform.FieldNonce}, applyform.SourceFields()...)

func (h *Handler) applyWithProConnect(c *gin.Context) {
	if h.ProConnect == nil {
		h.notFound(c)
		return
	}
	// The trip reads the form as an application does: counted the same.
	p, ok := h.postingTakingApplications(c)
	if !ok {
		return
	}
	form, err := readApplicationForm(c.Writer, c.Request, h.Config.UploadMaxBytes)
	if errors.Is(err, errFormTooLarge) {
		h.renderPosting(c, http.StatusRequestEntityTooLarge, p, formError(form.Values, "Le formulaire reçu est trop volumineux : raccourcissez vos réponses, puis réessayez."))
		return
	}
	draft := url.Values{}
	for _, f := range draftFields {
		if v := form.Values.Get(f); v != "" {
			draft.Set(f, v)
		}
	}
	ctx := c.Request.Context()
	state, nonce := flowSecret(), flowSecret()
	target, err := h.ProConnect.AuthURL(ctx, state, nonce)
	if err != nil {
		h.Sessions.Put(ctx, prefillKey(p.Slug), draft.Encode())
		h.proConnectFailed(c, err, applyWay(p.Slug))
		return
	}
	h.Sessions.Put(ctx, proConnectStateKey, state)
	h.Sessions.Put(ctx, proConnectNonceKey, nonce)
	h.Sessions.Put(ctx, proConnectPurposeKey, applyPurposePrefix+p.Slug)
	h.Sessions.Put(ctx, proConnectDraftKey, draft.Encode())
	h.Sessions.Remove(ctx, proConnectNextKey)
	h.sendToProConnect(c, target, "Remplir avec ProConnect", "Vous allez sur ProConnect pour remplir votre candidature ; ce que vous avez saisi vous attend au retour.")
}

// applyCallback ends a form's trip to ProConnect: back to the form, with
// ProConnect's values over what was typed.
func (h *Handler) applyCallback(c *gin.Context, slug, draftRaw string, who *proconnect.Identity) {
	ctx := c.Request.Context()
	draft, _ := url.ParseQuery(draftRaw)
	for field, v := range map[string]string{applyform.FieldFirstName: who.GivenName, applyform.FieldLastName: who.UsualName,
		applyform.FieldEmail: who.Email, applyform.FieldSIRET: who.SIRET} {
		if v = strings.TrimSpace(v); v != "" {
			draft.Set(field, v)
		}
	}
	h.Sessions.Put(ctx, prefillKey(slug), draft.Encode())
	if siret := strings.TrimSpace(who.SIRET); siret != "" {
		h.Sessions.Put(ctx, verifiedSIRETKey(slug), siret)
	} else {
		h.Sessions.Remove(ctx, verifiedSIRETKey(slug))
	}
	h.logger(c).Info("application form filled with proconnect")
	c.Redirect(http.StatusSeeOther, "/offres/"+slug+"#candidater")
}

// prefill returns the values kept for the posting's form after a trip to
// ProConnect (once), and the SIRET ProConnect gave, if any.
func (h *Handler) prefill(c *gin.Context, slug string) (url.Values, string) {
	if h.Sessions == nil {
		return nil, ""
	}
	ctx := c.Request.Context()
	raw := h.Sessions.PopString(ctx, prefillKey(slug))
	if raw == "" {
		return nil, ""
	}
	v, _ := url.ParseQuery(raw)
	return v, h.Sessions.GetString(ctx, verifiedSIRETKey(slug))
}

// verifiedSIRET is the SIRET ProConnect gave this browser for this
// posting's form, or "".
func (h *Handler) verifiedSIRET(c *gin.Context, slug string) string {
	if h.Sessions == nil {
		return ""
	}
	return h.Sessions.GetString(c.Request.Context(), verifiedSIRETKey(slug))
}

// siretVerified reports whether siret is the one ProConnect gave for this
// posting's form, in this browser.
func (h *Handler) siretVerified(c *gin.Context, slug, siret string) bool {
	return siret != "" && h.verifiedSIRET(c, slug) == siret
}

// sendToProConnect sends the browser on to ProConnect from a page: a
// form's redirect to another site would break the page's form-action
// policy.
func (h *Handler) sendToProConnect(c *gin.Context, target, heading, text string) {
	d := proConnectRedirectData{Page: h.page(heading), Target: target, Heading: heading, Text: text}
	d.Refresh = target
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	h.render(c, http.StatusOK, "proconnect_redirect", d)
}

type proConnectRedirectData struct {
	Page
	Target, Heading, Text string
}
