package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"vivier/internal/catalog"
	"vivier/repository"
)

// Withdrawing from the private page is a step of its own: a page says
// what it means before the applicant confirms. While the posting takes
// applications, the applicant can undo it.

// confirmWithdrawal asks the applicant to confirm a withdrawal.
func (h *Handler) confirmWithdrawal(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	if a.Status == catalog.StatusWithdrawn {
		c.Redirect(http.StatusSeeOther, "/candidature/"+c.Param("token"))
		return
	}
	h.render(c, http.StatusOK, "withdraw_confirm", ownApplicationData{Page: h.page("Retirer ma candidature"),
		Token: c.Param("token"), Posting: viewOf(p), Application: a, PostingOpen: p.AcceptsApplications(h.Now())})
}

// undoOwnWithdrawal gives a withdrawn application back the status it had,
// while its posting takes applications; the contact is told, as of the
// withdrawal.
func (h *Handler) undoOwnWithdrawal(c *gin.Context) {
	a, p, ok := h.ownApplication(c)
	if !ok {
		return
	}
	if !p.AcceptsApplications(h.Now()) {
		h.fail(c, undoRefused(p, repository.ErrPostingClosed))
		return
	}
	var emails []*repository.Email
	_, err := h.Repo.UndoWithdrawal(c.Request.Context(), a.ID, func(restored catalog.Status) ([]*repository.Email, error) {
		var err error
		emails, err = h.Emails.WithdrawalUndone(p, a, restored)
		return emails, err
	})
	switch {
	case errors.Is(err, repository.ErrPostingClosed):
		h.fail(c, undoRefused(p, err))
		return
	case errors.Is(err, repository.ErrConflict): // not withdrawn (any more): nothing to undo
		c.Redirect(http.StatusSeeOther, "/candidature/"+c.Param("token"))
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.enqueue(c, emails...)
	c.Redirect(http.StatusSeeOther, "/candidature/"+c.Param("token")+"?fait=retablissement")
}

// undoRefused is the answer to an undo once p takes no more applications.
func undoRefused(p *repository.Posting, err error) error {
	return &repository.Error{Code: repository.EConflict, Err: err, Heading: "Retrait définitif",
		Message: "L'offre « " + p.Title + " » ne prend plus de candidatures : le retrait de votre candidature ne peut plus être annulé."}
}
