package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
	"vivier/repository"
)

// A posting's reviewers make a short link per channel ("LinkedIn",
// "Mailing beta.gouv"); applications that come through it carry the
// channel as their source.

// maxLinkLabel bounds a channel's name, in characters (it becomes the
// applications' source, which is bounded by applyform.MaxSourceLen).
const maxLinkLabel = 60

// fieldLinkLabel is the form field of a new link's channel.
const fieldLinkLabel = "canal"

type trackedLinksView struct {
	Items []trackedLinkItem
	Label string // what was typed, shown again with Error
	Error string
}

type trackedLinkItem struct {
	Label, URL string
}

func (h *Handler) trackedLinkItems(ctx context.Context, postingID int64) ([]trackedLinkItem, error) {
	links, err := h.Repo.TrackedLinks(ctx, postingID)
	if err != nil {
		return nil, err
	}
	out := make([]trackedLinkItem, 0, len(links))
	for _, l := range links {
		out = append(out, trackedLinkItem{Label: l.Label, URL: h.Config.BaseURL + "/l/" + l.Slug})
	}
	return out, nil
}

func (h *Handler) createTrackedLink(c *gin.Context) {
	p, ok := h.reviewedPosting(c)
	if !ok {
		return
	}
	label := strings.TrimSpace(c.PostForm(fieldLinkLabel))
	if msg := checkLinkLabel(label); msg != "" {
		h.renderInboxApplications(c, http.StatusUnprocessableEntity, p, trackedLinksView{Label: label, Error: msg})
		return
	}
	_, err := h.Repo.CreateTrackedLink(c.Request.Context(), p.ID, label, viewerOf(c).Email)
	if errors.Is(err, repository.ErrDuplicateLabel) {
		h.renderInboxApplications(c, http.StatusUnprocessableEntity, p, trackedLinksView{Label: label,
			Error: "Cette offre a déjà un lien pour « " + label + " » : copiez-le dans la liste, ou nommez autrement ce canal."})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirectFlash(c, "/boite/offres/"+strconv.FormatInt(p.ID, 10)+"#liens", "Lien créé pour « "+label+" ».", "liens")
}

// checkLinkLabel returns a French message naming what is wrong with a
// channel's name, or "".
func checkLinkLabel(label string) string {
	switch {
	case label == "":
		return "Saisissez le nom du canal, par exemple « LinkedIn » ou « Mailing beta.gouv »."
	case !utf8.ValidString(label) || utf8.RuneCountInString(label) > maxLinkLabel:
		return "Le nom du canal doit faire au plus " + strconv.Itoa(maxLinkLabel) + " caractères."
	case strings.ContainsFunc(label, func(r rune) bool { return !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) }),
		applyform.SourceValue(label) != label:
		return "Le nom du canal ne peut contenir que des caractères visibles (lettres, chiffres, espaces, ponctuation)."
	}
	return ""
}

// followTrackedLink sends a visitor to the posting, with the link's
// channel as source. Nothing about the visitor is kept.
func (h *Handler) followTrackedLink(c *gin.Context) {
	slug := c.Param("slug")
	if len(slug) > 32 || strings.ContainsFunc(slug, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') }) {
		h.notFound(c)
		return
	}
	l, err := h.Repo.TrackedLinkBySlug(c.Request.Context(), slug)
	if err != nil {
		h.fail(c, err)
		return
	}
	q := url.Values{applyform.FieldUTMSource: {l.Label}, applyform.FieldUTMMedium: {"lien"}}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, "/offres/"+url.PathEscape(l.PostingSlug)+"?"+q.Encode())
}
