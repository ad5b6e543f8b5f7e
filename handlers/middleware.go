package handlers

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy allows our own scripts only: no inline script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https:; font-src 'self'; connect-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

func securityHeaders(https bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		hd := c.Writer.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if https {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		c.Next()
	}
}

// recoverer turns a panic into the error page and a log line.
func (h *Handler) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.fail(c, fmt.Errorf("panic: %v", v))
			}
		}()
		c.Next()
	}
}

// staticFiles serves the embedded assets with long caching for the DSFR
// (versioned by package.json) and a short one for our own files; a
// missing file gets the French 404 page.
func (h *Handler) staticFiles(files fs.FS) gin.HandlerFunc {
	server := http.FileServer(http.FS(files))
	return func(c *gin.Context) {
		p := c.Param("filepath")
		if st, err := fs.Stat(files, strings.TrimPrefix(p, "/")); strings.HasSuffix(p, "/") || err != nil || st.IsDir() {
			h.notFound(c)
			return
		}
		if strings.HasPrefix(p, "/dsfr/") {
			c.Header("Cache-Control", "public, max-age=86400")
		} else {
			c.Header("Cache-Control", "public, max-age=300")
		}
		c.Request.URL.Path = p
		server.ServeHTTP(c.Writer, c.Request)
	}
}
