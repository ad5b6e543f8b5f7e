package posting

import (
	"fmt"
	"os"
	"testing"
)

func TestDump(t *testing.T) {
	f, _ := os.Create("/tmp/dump.txt")
	defer f.Close()
	for _, c := range loadCorpus(t) {
		p, err := Parse(c.name, c.data, testNow)
		if err != nil {
			fmt.Fprintln(f, c.rel, err)
			continue
		}
		fmt.Fprintf(f, "== %s\nslug=%s\ntitle=%q\norg=%q email=%q contrat=%q url=%q\nopens=%s closes=%s open=%v junior=%v\ndomains=%q technos=%q\nexcerpt=%s\n",
			c.rel, p.Slug, p.Title, p.Organisation, p.ContactEmail, p.Contract, p.ExternalURL, fmtTime(p.OpensAt), fmtTime(p.ClosesAt), p.Open, p.Junior, p.Domains, p.Technos, p.ExcerptHTML)
	}
}
