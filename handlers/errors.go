package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"vivier/repository"
)

// Errors: one place maps an error to its HTTP status, its French page and
// its log line, from the error's code (repository.ErrorCode), never from
// its text.

// ErrorStatusCode is the HTTP status of an error code.
func ErrorStatusCode(code repository.Code) int {
	switch code {
	case repository.ENotFound:
		return http.StatusNotFound
	case repository.EConflict:
		return http.StatusConflict
	case repository.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorTexts are each code's page, for errors that bring no message of
// their own (repository.WithMessage gives one).
var errorTexts = map[repository.Code]struct{ heading, message string }{
	repository.ENotFound: {"Page introuvable",
		"La page que vous cherchez n'existe pas ou plus. Si vous avez tapé l'adresse, vérifiez-la ; sinon, repartez de la liste des offres."},
	repository.EConflict: {"Action impossible",
		"Ce que vous vouliez faire ne correspond plus à ce qui est enregistré : une autre personne vient peut-être de le faire. Rechargez la page, puis recommencez."},
	repository.EUnavailable: {"Service momentanément indisponible",
		"Le service est momentanément indisponible. Réessayez dans quelques instants : ce que vous avez saisi n'a pas été enregistré."},
	repository.EInternal: {"Erreur", "Une erreur inattendue est survenue. Réessayez dans un instant."},
}

// fail answers a request with err's status and page. What the visitor may
// not see is a 404 like what does not exist; an unavailable service is a
// 503 to try again (a warning in the log); only a 500 is logged as an
// error.
func (h *Handler) fail(c *gin.Context, err error) {
	code := repository.ErrorCode(err)
	if code == "" {
		code = repository.EInternal
	}
	text, ok := errorTexts[code]
	if !ok {
		text = errorTexts[repository.EInternal]
	}
	if e, ok := errors.AsType[*repository.Error](err); ok && e.Message != "" {
		text.heading, text.message = e.Heading, e.Message
	}
	// The route, not the path: paths may hold private tokens.
	status := ErrorStatusCode(code)
	switch {
	case code == repository.EUnavailable:
		h.logger(c).Warn("service unavailable", "error", err, "route", c.FullPath())
		c.Header("Retry-After", "10")
	case status >= http.StatusInternalServerError:
		h.logger(c).Error("request failed", "error", err, "route", c.FullPath())
	}
	h.errorPage(c, status, text.heading, text.message)
}

func (h *Handler) notFound(c *gin.Context) { h.fail(c, repository.ErrNotFound) }

type errorData struct {
	Page
	Heading, Message string
	Status           int
	// BackURL and BackLabel, when set, replace the link home (the sign-in
	// page after a failed sign-in).
	BackURL, BackLabel string
}

func (h *Handler) errorPage(c *gin.Context, status int, heading, message string) {
	h.render(c, status, "error", errorData{Page: h.page(heading), Heading: heading, Message: message, Status: status})
	c.Abort()
}

// loggerKey holds the request's logger in the Gin context.
const loggerKey = "vivier.logger"

// logger is the request's logger: each of its lines carries the
// request_id that observe gave the request (and the response's
// X-Request-Id).
func (h *Handler) logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(loggerKey); ok {
		return l.(*slog.Logger)
	}
	return h.Log
}
