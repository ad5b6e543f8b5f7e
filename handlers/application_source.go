package handlers

import (
	"net"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"vivier/internal/applyform"
)

// sourceOf says where an applicant came from. The posting page (GET)
// reads its address's campaign parameters and the Referer of another
// site; the form carries them as hidden fields, which the answer (POST)
// reads back, checked again. Bad values are dropped, never refused.
func (h *Handler) sourceOf(c *gin.Context, posted url.Values) applyform.Source {
	own := h.ownHosts(c.Request)
	// A page shown again after ProConnect has no source in its URL: the
	// values kept across the trip carry it.
	if c.Request.Method == http.MethodGet && !carriesSource(posted) {
		src := applyform.ReadSource(c.Request.URL.Query())
		src.ReferrerHost = applyform.ReferrerHost(c.Request.Referer(), own...)
		return src
	}
	src := applyform.ReadSource(posted, own...)
	if src.ReferrerHost == "" {
		src.ReferrerHost = applyform.ReferrerHost(c.Request.Referer(), own...)
	}
	return src
}

// carriesSource tells values that hold where the applicant came from.
func carriesSource(v url.Values) bool {
	for _, f := range applyform.SourceFields() {
		if v.Get(f) != "" {
			return true
		}
	}
	return false
}

// ownHosts are this site's host names: a Referer from them is no source.
func (h *Handler) ownHosts(r *http.Request) []string {
	var out []string
	if u, err := url.Parse(h.Config.BaseURL); err == nil {
		out = append(out, u.Hostname())
	}
	host := r.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	return append(out, host)
}

// hiddenField is a hidden input of a form.
type hiddenField struct{ Name, Value string }

// sourceFields are the form's hidden fields for src.
func sourceFields(src applyform.Source) []hiddenField {
	var out []hiddenField
	for _, f := range []hiddenField{{applyform.FieldUTMSource, src.Source}, {applyform.FieldUTMMedium, src.Medium},
		{applyform.FieldUTMCampaign, src.Campaign}, {applyform.FieldRef, src.Ref}, {applyform.FieldOrigin, src.ReferrerHost}} {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}
