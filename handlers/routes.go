package handlers

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"vivier/templates"
)

// Engine returns the whole HTTP handler: the route table and middleware.
func (h *Handler) Engine() (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Gin trusts every proxy by default: trust only those configured.
	if err := r.SetTrustedProxies(h.Config.TrustedProxies); err != nil {
		return nil, err
	}
	r.HandleMethodNotAllowed = true
	r.MaxMultipartMemory = 1 << 20
	r.Use(h.recoverer(), securityHeaders(h.Config.Secure()))
	r.NoRoute(func(c *gin.Context) { h.notFound(c) })
	r.NoMethod(func(c *gin.Context) {
		h.errorPage(c, http.StatusMethodNotAllowed, "Action impossible", "Cette adresse n'accepte pas cette action.")
	})

	static, err := fs.Sub(templates.FS, "static")
	if err != nil {
		return nil, err
	}
	r.GET("/static/*filepath", staticFiles(static))

	// The applicant's path.
	r.GET("/", h.home)
	r.GET("/offres-closes", h.closedPostings)
	r.GET("/offres/:slug", h.showPosting)
	r.POST("/offres/:slug/candidature", h.createApplication)
	r.GET("/offres/:slug/candidature-envoyee", h.applicationSent)
	r.GET("/candidature/:token", h.showOwnApplication)
	r.POST("/candidature/:token/retrait", h.withdrawOwnApplication)
	r.GET("/candidature/:token/effacement", h.confirmErasure)
	r.POST("/candidature/:token/effacement", h.eraseOwnApplication)
	r.GET("/donnees-effacees", h.erased)

	// Pages every public service has.
	r.GET("/accessibilite", h.staticPage("accessibility"))
	r.GET("/mentions-legales", h.staticPage("legal"))
	r.GET("/donnees-personnelles", h.staticPage("privacy"))

	// Dev mode only: the mail caught by the embedded SMTP server.
	if h.MailCatcher != nil {
		r.GET("/dev/mail", h.devMailList)
		r.GET("/dev/mail/:id", h.devMailShow)
		r.GET("/dev/mail/:id/html", h.devMailHTML)
	}

	// Refuse cross-site state-changing requests (browsers send Sec-Fetch-Site / Origin).
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOriginDenied))
	return cop.Handler(r), nil
}
