// Package templates embeds the page templates, the email templates and the
// static assets (the DSFR, copied from npm by `make assets`, and our own).
package templates

import "embed"

// FS holds pages/, email/ and static/.
//
//go:embed pages email static
var FS embed.FS
