package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"vivier/internal/frfmt"
	"vivier/internal/proconnect"
)

// Reviewers may sign in with ProConnect instead of an emailed link: the
// same people (a posting's contact or reviewer, or an admin, matched by
// email) and the same sessions.

const (
	proConnectStateKey   = "proconnect:state"
	proConnectNonceKey   = "proconnect:nonce"
	proConnectNextKey    = "proconnect:next"
	proConnectIDTokenKey = "proconnect:id_token"
)

// proConnectStart sends the browser to ProConnect, keeping the flow's
// state and nonce in the session.
func (h *Handler) proConnectStart(c *gin.Context) {
	if h.ProConnect == nil {
		h.notFound(c)
		return
	}
	ctx := c.Request.Context()
	state, nonce := flowSecret(), flowSecret()
	target, err := h.ProConnect.AuthURL(ctx, state, nonce)
	if err != nil {
		h.proConnectFailed(c, err, signInWay)
		return
	}
	h.Sessions.Put(ctx, proConnectStateKey, state)
	h.Sessions.Put(ctx, proConnectNonceKey, nonce)
	h.Sessions.Put(ctx, proConnectNextKey, safeNext(c.Query("suite")))
	// A sign-in, even after a form's trip left half-way in this browser.
	h.Sessions.Remove(ctx, proConnectPurposeKey)
	h.Sessions.Remove(ctx, proConnectDraftKey)
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, target)
}

// proConnectCallback is where ProConnect sends the browser back. The
// flow's state and nonce are taken out of the session first, so that a
// callback serves once.
func (h *Handler) proConnectCallback(c *gin.Context) {
	if h.ProConnect == nil {
		h.notFound(c)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	ctx := c.Request.Context()
	state := h.Sessions.PopString(ctx, proConnectStateKey)
	nonce := h.Sessions.PopString(ctx, proConnectNonceKey)
	next := h.Sessions.PopString(ctx, proConnectNextKey)
	purpose := h.Sessions.PopString(ctx, proConnectPurposeKey)
	draft := h.Sessions.PopString(ctx, proConnectDraftKey)
	log := h.logger(c)
	way := signInWay
	slug, apply := strings.CutPrefix(purpose, applyPurposePrefix)
	if apply {
		way = applyWay(slug)
		// Whatever happens, the form gets back what was typed.
		h.Sessions.Put(ctx, prefillKey(slug), draft)
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(c.Query("state"))) != 1 {
		log.Warn("proconnect callback refused: state mismatch, or no flow under way", "has_flow", state != "")
		way.page(h, c, http.StatusBadRequest, "Connexion interrompue",
			"Cette démarche avec ProConnect n'a pas été commencée depuis ce navigateur, ou elle a déjà servi. "+way.restart+".")
		return
	}
	if e := c.Query("error"); e != "" {
		log.Warn("proconnect sign-in not granted", "provider_error", e)
		if e == "access_denied" {
			way.page(h, c, http.StatusForbidden, "Connexion annulée",
				"La connexion avec ProConnect a été refusée ou annulée. Vous pouvez recommencer, ou "+way.instead+".")
			return
		}
		way.page(h, c, http.StatusBadRequest, "Connexion impossible",
			"ProConnect n'a pas pu vous identifier. Recommencez, ou "+way.instead+".")
		return
	}
	who, err := h.ProConnect.Exchange(ctx, c.Query("code"), nonce)
	if err != nil {
		h.proConnectFailed(c, err, way)
		return
	}
	if apply {
		h.applyCallback(c, slug, draft, who)
		return
	}
	known := h.Config.IsAdmin(who.Email)
	if !known {
		if known, err = h.Repo.IsReviewer(ctx, who.Email); err != nil {
			h.fail(c, err)
			return
		}
	}
	if !known {
		log.Info("proconnect sign-in of an address with no access")
		way.page(h, c, http.StatusForbidden, "Votre adresse n'a accès à aucune offre",
			"L'adresse "+who.Email+", que ProConnect nous a transmise, n'est ni celle de la personne à contacter d'une offre, ni celle d'un·e de ses relecteur·rices. "+
				"Demandez à la personne à contacter de l'offre de vous ajouter à ses relecteur·rices, ou écrivez "+frfmt.A(h.Config.OperatorNameArticle)+".")
		return
	}
	if err := h.startSession(c, who.Email); err != nil {
		h.fail(c, err)
		return
	}
	// Kept for signing out of ProConnect too.
	h.Sessions.Put(ctx, proConnectIDTokenKey, who.IDToken)
	if next == "" {
		next = "/boite"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// proConnectWay is where a failed ProConnect flow sends the person back,
// and what else they may do: a reviewer's sign-in, or an applicant's form.
type proConnectWay struct {
	back, backLabel, restart, instead string
}

var signInWay = proConnectWay{back: "/connexion", backLabel: "Revenir à la page de connexion",
	restart: "Recommencez depuis la page de connexion", instead: "recevez un lien de connexion par email"}

func applyWay(slug string) proConnectWay {
	return proConnectWay{back: "/offres/" + slug + "#candidater", backLabel: "Revenir au formulaire",
		restart: "Recommencez depuis le formulaire de l'offre",
		instead: "remplissez le formulaire vous-même : ce que vous aviez saisi vous y attend"}
}

func (w proConnectWay) page(h *Handler, c *gin.Context, status int, heading, message string) {
	h.render(c, status, "error", errorData{Page: h.page(heading), Heading: heading, Message: message, Status: status,
		BackURL: w.back, BackLabel: w.backLabel})
	c.Abort()
}

// proConnectFailed answers an error of the provider's side of the flow:
// a French page, never a 500, and a warning with the request id.
func (h *Handler) proConnectFailed(c *gin.Context, err error, way proConnectWay) {
	log := h.logger(c)
	switch {
	case errors.Is(err, proconnect.ErrUnavailable):
		log.Warn("proconnect unavailable", "error", err)
		c.Header("Retry-After", "60")
		way.page(h, c, http.StatusServiceUnavailable, "ProConnect ne répond pas",
			"ProConnect est momentanément indisponible. Réessayez dans quelques minutes, ou, dès maintenant, "+way.instead+".")
	case errors.Is(err, proconnect.ErrCodeRefused):
		log.Warn("proconnect refused the code", "error", err)
		way.page(h, c, http.StatusBadRequest, "Connexion expirée",
			"Cette connexion avec ProConnect a expiré ou a déjà servi. "+way.restart+".")
	case errors.Is(err, proconnect.ErrInvalid):
		log.Warn("proconnect answer refused", "error", err)
		way.page(h, c, http.StatusBadRequest, "Connexion refusée",
			"La réponse de ProConnect n'a pas pu être vérifiée : elle n'a pas été prise en compte. "+way.restart+", ou "+way.instead+".")
	default:
		h.fail(c, err)
	}
}

// flowSecret is a state or a nonce: 256 random bits, 43 characters.
func flowSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
