package handlers

import (
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"vivier/repository"
)

// Reviewers sign in with a single-use link sent by email.

const (
	sessionEmailKey   = "email"
	viewerKey         = "viewer"
	signInPerClient   = 20 // sign-in requests a client may make per hour
	signInLimitWindow = time.Hour
)

// viewer is the signed-in reviewer or admin.
type viewer struct {
	Email string
	Admin bool
}

type signInData struct {
	Page
	Email string
	Error string
	Sent  bool
	Next  string
	Token string
	Flash string
	// Expired: the sign-in link was used already or is past its time.
	Expired bool
	// ProConnect shows the ProConnect button.
	ProConnect bool
}

func (h *Handler) signInForm(c *gin.Context) {
	if h.currentEmail(c) != "" {
		c.Redirect(http.StatusSeeOther, "/boite")
		return
	}
	d := signInData{Page: h.page("Connexion"), Next: safeNext(c.Query("suite")), ProConnect: h.ProConnect != nil}
	d.Flash, _ = h.popFlash(c)
	h.render(c, http.StatusOK, "signin", d)
}

// plainAddress reports whether s, lowercased and trimmed already, is an
// email address alone: no display name, no comment, nothing around it.
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && !strings.ContainsAny(s, "\r\n")
}

// requestSignIn answers the same, and does the same work, whatever the
// address: past the per-client limit, every well-formed address is handed
// to a worker, which looks it up and emails a link only to one that may
// sign in (at most signin.PerAddress an hour). The page tells nobody who
// reviews what, neither by its words nor by its time.
func (h *Handler) requestSignIn(c *gin.Context) {
	ctx := c.Request.Context()
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	next := safeNext(c.PostForm("suite"))
	d := signInData{Page: h.page("Connexion"), Email: email, Next: next, ProConnect: h.ProConnect != nil}
	if !plainAddress(email) {
		d.Error = "Saisissez une adresse email valide, au format nom@domaine.fr."
		h.render(c, http.StatusUnprocessableEntity, "signin", d)
		return
	}
	if !h.allow(c, "signin:client:"+c.ClientIP(), signInPerClient, signInLimitWindow) {
		h.tooManyRequests(c)
		return
	}
	if err := h.Enqueuer.EnqueueSignInRequest(ctx, email, next); err != nil {
		// Redis is down (and /readyz says so): rather than lose a
		// reviewer's request, do the work here; its email waits in the
		// outbox until Redis is back.
		h.logger(c).Warn("enqueue sign-in request failed; handled in the request", "error", err)
		if err := h.signInMailer.Send(ctx, email, next); err != nil {
			h.fail(c, err)
			return
		}
	}
	d.Sent = true
	h.render(c, http.StatusOK, "signin", d)
}

// signInConfirm shows a button: mail scanners that open links do not
// press buttons, so they do not use the link up. A link already used or
// expired says so at once, without being used.
func (h *Handler) signInConfirm(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	next := safeNext(c.Query("suite"))
	usable, err := h.Repo.SignInTokenUsable(c.Request.Context(), hashToken(c.Param("token")))
	if err != nil {
		h.fail(c, err)
		return
	}
	if !usable {
		h.signInExpired(c, next)
		return
	}
	h.render(c, http.StatusOK, "signin_confirm", signInData{Page: h.page("Connexion"), Token: c.Param("token"), Next: next})
}

func (h *Handler) signIn(c *gin.Context) {
	ctx := c.Request.Context()
	email, err := h.Repo.ConsumeSignInToken(ctx, hashToken(c.Param("token")))
	if errors.Is(err, repository.ErrNotFound) {
		h.signInExpired(c, safeNext(c.PostForm("suite")))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.startSession(c, email); err != nil {
		h.fail(c, err)
		return
	}
	next := safeNext(c.PostForm("suite"))
	if next == "" {
		next = "/boite"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// signInExpired answers a sign-in link used already or expired: 410, and
// a button to ask for a new one.
func (h *Handler) signInExpired(c *gin.Context, next string) {
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusGone, "signin_confirm", signInData{Page: h.page("Lien de connexion expiré"), Expired: true, Next: next})
	c.Abort()
}

// startSession signs email in, whatever the way (an emailed link or
// ProConnect).
func (h *Handler) startSession(c *gin.Context, email string) error {
	ctx := c.Request.Context()
	// A new session id at sign-in, so a planted cookie is worthless.
	if err := h.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.Sessions.Put(ctx, sessionEmailKey, email)
	return nil
}

func (h *Handler) signOut(c *gin.Context) {
	ctx := c.Request.Context()
	idToken := h.Sessions.GetString(ctx, proConnectIDTokenKey)
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.fail(c, err)
		return
	}
	const msg = "Vous êtes déconnecté·e."
	if idToken != "" && h.ProConnect != nil {
		// Signed in with ProConnect: end its session too, coming back to
		// /connexion, where the flash (in a fresh, anonymous session) waits.
		// The sign-out form's redirect to another site would break the
		// page's form-action policy: a page sends the browser on instead.
		target, err := h.ProConnect.LogoutURL(ctx, idToken, flowSecret())
		if err == nil {
			h.Sessions.Put(ctx, flashKey+"/connexion", msg)
			h.sendToProConnect(c, target, "Déconnexion",
				"Vous êtes déconnecté·e de l'espace de recrutement. Votre session ProConnect se termine à son tour.")
			return
		}
		h.logger(c).Warn("proconnect logout unavailable; signed out of Vivier only", "error", err)
	}
	// The flash lives in a fresh, anonymous session.
	h.redirectFlash(c, "/connexion", msg, "")
}

func (h *Handler) currentEmail(c *gin.Context) string {
	return h.Sessions.GetString(c.Request.Context(), sessionEmailKey)
}

// requireViewer sends anonymous visitors to the sign-in page.
func (h *Handler) requireViewer(c *gin.Context) {
	email := h.currentEmail(c)
	if email == "" {
		// Back there after signing in, if the address is not too long to carry.
		target := "/connexion"
		if next := c.Request.URL.RequestURI(); len(next) <= maxQueryValue {
			target += "?suite=" + url.QueryEscape(next)
		}
		c.Redirect(http.StatusSeeOther, target)
		c.Abort()
		return
	}
	c.Set(viewerKey, viewer{Email: email, Admin: h.Config.IsAdmin(email)})
	c.Header("Cache-Control", "no-store")
	c.Next()
}

func viewerOf(c *gin.Context) viewer {
	v, _ := c.Get(viewerKey)
	vv, _ := v.(viewer)
	return vv
}

// safeNext keeps only local paths of the inbox and the admin pages as a
// place to return to.
func safeNext(next string) string {
	if (strings.HasPrefix(next, "/boite") || strings.HasPrefix(next, "/admin/")) && !strings.HasPrefix(next, "//") &&
		!strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return ""
}

// allow applies a rate limit; a Redis outage lets the request through.
func (h *Handler) allow(c *gin.Context, key string, limit int, window time.Duration) bool {
	if h.Limiter == nil || limit <= 0 {
		return true
	}
	ok, err := h.Limiter.Allow(c.Request.Context(), key, limit, window)
	if err != nil {
		h.logger(c).Warn("rate limit unavailable", "error", err)
	}
	return ok
}

func (h *Handler) tooManyRequests(c *gin.Context) {
	c.Header("Retry-After", "600")
	h.errorPage(c, http.StatusTooManyRequests, "Trop de demandes",
		"Vous avez fait beaucoup de demandes en peu de temps. Patientez quelques minutes, puis réessayez.")
}
