package handlers

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"vivier/internal/proconnect"
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
	r.Use(h.observe(), h.recoverer(), securityHeaders(h.Config.Secure()), h.guardInput())
	r.NoRoute(func(c *gin.Context) { h.notFound(c) })
	r.NoMethod(func(c *gin.Context) {
		h.errorPage(c, http.StatusMethodNotAllowed, "Action impossible", "Cette adresse n'accepte pas cette action.")
	})

	static, err := fs.Sub(templates.FS, "static")
	if err != nil {
		return nil, err
	}
	r.GET("/static/*filepath", h.staticFiles(static))

	// The applicant's path.
	r.GET("/", h.home)
	r.GET("/offres-closes", h.closedPostings)
	r.GET("/offres/:slug", h.showPosting)
	r.POST("/offres/:slug/candidature", h.createApplication)
	r.POST("/offres/:slug/formulaire-commence", h.formStarted)
	r.POST("/offres/:slug/proconnect", h.applyWithProConnect)
	r.GET("/offres/:slug/candidature-envoyee", h.applicationSent)
	r.GET("/candidature/:token", h.showOwnApplication)
	r.GET("/candidature/:token/retrait", h.confirmWithdrawal)
	r.POST("/candidature/:token/retrait", h.withdrawOwnApplication)
	r.POST("/candidature/:token/retablissement", h.undoOwnWithdrawal)
	r.GET("/candidature/:token/effacement", h.confirmErasure)
	r.POST("/candidature/:token/effacement", h.eraseOwnApplication)
	r.POST("/candidature/:token/entretien", h.pickSlot)
	r.POST("/candidature/:token/entretien/aucun", h.noSlotFits)
	r.POST("/candidature/:token/entretien/annulation", h.cancelOwnInterview)
	r.GET("/donnees-effacees", h.erased)
	// A posting's tracked link: to the posting, with its channel as source.
	r.GET("/l/:slug", h.followTrackedLink)

	// A reviewer's calendar feed: the token ends with ".ics".
	r.GET("/agenda/:token", h.calendarFeed)

	// Formats others read.
	r.GET("/api/v1/postings.json", h.apiPostings)
	r.GET("/postings.atom", h.atomPostings)

	// Pages every public service has.
	r.GET("/accessibilite", h.staticPage("accessibility"))
	r.GET("/mentions-legales", h.staticPage("legal"))
	r.GET("/donnees-personnelles", h.staticPage("privacy"))

	// An applicant who lost their private link gets a new one by email.
	r.GET("/lien-perdu", h.lostLinkForm)
	r.POST("/lien-perdu", h.requestLostLink)

	// Reviewers sign in with a link sent by email.
	r.GET("/connexion", h.signInForm)
	r.POST("/connexion", h.requestSignIn)
	r.GET("/connexion/lien/:token", h.signInConfirm)
	r.POST("/connexion/lien/:token", h.signIn)
	r.POST("/deconnexion", h.signOut)
	// ...or with ProConnect, when configured (404 otherwise).
	r.GET("/connexion/proconnect", h.proConnectStart)
	r.GET(proconnect.CallbackPath, h.proConnectCallback)

	// The inbox: signed-in reviewers only; what they may not see is a 404.
	inbox := r.Group("/boite", h.requireViewer)
	inbox.GET("", h.inboxPostings)
	inbox.GET("/offres/:id", h.inboxApplications)
	inbox.GET("/offres/:id/export.csv", h.exportCSV)
	inbox.POST("/offres/:id/statuts", h.bulkChangeStatus)
	inbox.POST("/offres/:id/relecteurs", h.requireAdmin, h.addReviewer)
	inbox.POST("/offres/:id/relecteurs/retrait", h.requireAdmin, h.removeReviewer)
	inbox.POST("/offres/:id/liens", h.createTrackedLink)
	inbox.GET("/offres/:id/statistiques", h.postingFigures)
	inbox.GET("/offres/:id/notifications", h.notificationsForm)
	inbox.POST("/offres/:id/notifications", h.saveNotifications)
	inbox.GET("/statistiques", h.requireAdmin, h.adminFigures)
	inbox.GET("/statistiques.csv", h.requireAdmin, h.adminFiguresCSV)
	inbox.GET("/candidatures/:id", h.inboxApplication)
	inbox.GET("/candidatures/:id/cv", h.inboxCV)
	inbox.POST("/candidatures/:id/notes", h.addNote)
	inbox.POST("/candidatures/:id/evaluation", h.submitScorecard)
	inbox.GET("/candidatures/:id/statut", h.statusForm)
	inbox.POST("/candidatures/:id/statut", h.changeStatus)
	inbox.GET("/candidatures/:id/entretien", h.inboxInterview)
	inbox.POST("/candidatures/:id/entretien/creneaux", h.proposeSlots)
	inbox.POST("/candidatures/:id/entretien/deplacement", h.moveInterview)
	inbox.POST("/candidatures/:id/entretien/annulation", h.cancelInterviewByReviewer)
	inbox.GET("/offres/:id/entretiens", h.postingInterviews)
	inbox.POST("/offres/:id/entretiens/creneaux", h.proposePoolSlots)
	// A reviewer's private calendar feed (made, replaced, revoked here).
	inbox.GET("/agenda", h.calendarFeedPage)
	inbox.POST("/agenda", h.createCalendarFeed)
	inbox.POST("/agenda/revocation", h.revokeCalendarFeed)
	inbox.POST("/emails/:id/annulation", h.cancelEmail)
	inbox.POST("/emails/:id/renvoi", h.resendEmail)
	// Conversations by email: write to an applicant; what came back.
	inbox.GET("/candidatures/:id/message", h.messageForm)
	inbox.POST("/candidatures/:id/message", h.sendMessage)
	inbox.GET("/pieces-jointes/:id", h.inboundAttachment)
	inbox.POST("/emails/:id/correction", h.correctAddress)

	// A posting's evaluation: criteria and blind first pass (its reviewers
	// and admins), and the selection report.
	inbox.GET("/offres/:id/evaluation", h.evaluationSettings)
	inbox.POST("/offres/:id/criteres", h.addCriterion)
	inbox.POST("/offres/:id/criteres-proposes", h.addDefaultCriteria)
	inbox.POST("/offres/:id/criteres/:critere", h.updateCriterion)
	inbox.POST("/offres/:id/criteres/:critere/retrait", h.removeCriterion)
	inbox.POST("/offres/:id/anonymat", h.setBlindReview)
	inbox.GET("/offres/:id/rapport", h.selectionReport)
	inbox.GET("/offres/:id/rapport.csv", h.selectionReportCSV)

	// Posting editor (admins create and edit postings; any reviewer downloads one as Markdown).
	inbox.GET("/offres/nouvelle", h.requireAdmin, h.newPostingForm)
	inbox.POST("/offres/nouvelle", h.requireAdmin, h.createPosting)
	inbox.GET("/offres/:id/modification", h.requireAdmin, h.editPostingForm)
	inbox.POST("/offres/:id/modification", h.requireAdmin, h.updatePosting)
	inbox.POST("/offres/:id/apercu", h.requireAdmin, h.previewPosting)
	inbox.GET("/offres/:id/markdown", h.downloadMarkdown)

	// A posting's own questions (its reviewers, while it is a draft or open).
	inbox.GET("/offres/:id/questions", h.questionsPage)
	inbox.POST("/offres/:id/questions", h.addQuestion)
	inbox.GET("/offres/:id/questions/:qid", h.editQuestionForm)
	inbox.POST("/offres/:id/questions/:qid", h.updateQuestion)
	inbox.POST("/offres/:id/questions/:qid/retrait", h.removeQuestion)
	inbox.POST("/offres/:id/questions/:qid/deplacement", h.moveQuestion)
	inbox.GET("/candidatures/:id/reponses/:qid", h.answerFile)

	// A posting's life: preview and close, reopen, archive.
	inbox.GET("/offres/:id/cloture", h.closePreview)
	inbox.POST("/offres/:id/cloture", h.closePosting)
	inbox.POST("/offres/:id/reouverture", h.reopenPosting)
	inbox.POST("/offres/:id/publication", h.requireAdmin, h.publishPosting)
	inbox.POST("/offres/:id/archivage", h.requireAdmin, h.archivePosting)
	inbox.GET("/offres/:id/modeles", h.postingTemplates)
	inbox.POST("/offres/:id/modeles/:cle", h.savePostingTemplate)

	// Personal data: an applicant's own (through the private link) and,
	// for admins, anyone's and the audit log.
	inbox.GET("/candidatures/:id/donnees.json", h.requireAdmin, h.adminPersonalData)
	inbox.GET("/candidatures/:id/effacement", h.requireAdmin, h.adminErasureForm)
	inbox.POST("/candidatures/:id/effacement", h.requireAdmin, h.adminErase)
	r.GET("/candidature/:token/donnees.json", h.ownPersonalData)
	admin := r.Group("/admin", h.requireViewer, h.requireAdmin)
	admin.GET("/journal", h.auditLogPage)
	admin.GET("/non-rattaches", h.unmatchedMessages)

	// Operations: health, metrics, queues.
	r.GET("/healthz", h.healthz)
	r.GET("/readyz", h.readyz)
	r.GET("/metrics", h.serveMetrics(h.Metrics.Handler(h.Log)))
	// asynqmon's page and its API (GET, POST, DELETE), admins only.
	queues := r.Group(QueuesPath, h.requireViewer, h.requireAdmin)
	serveQueues := h.serveQueues(h.queuesPolicy())
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		queues.Handle(method, "", serveQueues)
		queues.Handle(method, "/*path", serveQueues)
	}

	// Dev mode only: the mail caught by the embedded SMTP server.
	if h.MailCatcher != nil {
		r.GET("/dev/mail", h.devMailList)
		r.GET("/dev/mail/:id", h.devMailShow)
		r.GET("/dev/mail/:id/html", h.devMailHTML)
		r.POST("/dev/mail/:id/reponse", h.devMailReply)
	}

	h.routes = r.Routes()
	var handler http.Handler = r
	if h.Sessions != nil {
		handler = h.Sessions.LoadAndSave(handler)
	}
	// Refuse cross-site state-changing requests (browsers send Sec-Fetch-Site / Origin).
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOriginDenied))
	return cop.Handler(handler), nil
}

// Routes lists every route as "METHOD /path" (tests check each inbox
// route against the authorization table).
func (h *Handler) Routes() []string {
	out := make([]string, 0, len(h.routes))
	for _, rt := range h.routes {
		out = append(out, rt.Method+" "+rt.Path)
	}
	return out
}
