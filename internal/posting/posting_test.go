package posting

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, name, data string) *Posting {
	t.Helper()
	p, err := Parse(name, []byte(data), testNow)
	if err != nil {
		t.Fatalf("Parse(%q): %v", name, err)
	}
	return p
}

func parisTime(y int, m time.Month, d, h, min, s, ns int) time.Time {
	return time.Date(y, m, d, h, min, s, ns, paris)
}

func TestSeedPosting(t *testing.T) {
	path := filepath.Join(corpusDir, "seed", "2021-03-15-anct-pni-coach.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("seed posting missing: %v", err)
	}
	p, err := Parse("2021-03-15-anct-pni-coach.md", data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	check := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("Title", p.Title, "Coach pour le Programme national d'investigation")
	check("Organisation", p.Organisation, "Incubateur des Territoires")
	check("ContactEmail", p.ContactEmail, "benjamin.vanderlynden@anct.gouv.fr")
	check("Contract", p.Contract, "indépendent")
	check("Slug", p.Slug, "anct-pni-coach")
	check("SourceName", p.SourceName, "2021-03-15-anct-pni-coach.md")
	check("ExternalURL", p.ExternalURL, "https://incubateur.anct.gouv.fr/recrutements/incubateur-des-territoires-coach-pour-le-programme-national-d-investigation-c8f3ad9ceffbd209decb30133a76bf2b/")
	if p.Open {
		t.Error("Open = true, want false")
	}
	if p.OpensAt == nil || !p.OpensAt.Equal(parisTime(2021, 3, 15, 0, 0, 0, 0)) {
		t.Errorf("OpensAt = %v, want 2021-03-15 00:00 Paris (from the file name)", p.OpensAt)
	}
	if p.ClosesAt != nil {
		t.Errorf("ClosesAt = %v, want nil", p.ClosesAt)
	}
	if !strings.Contains(p.BodyHTML, "<h3>Qui sommes nous : L&#39;Incubateur des Territoires</h3>") {
		t.Errorf("BodyHTML lacks the demoted first heading:\n%.300s", p.BodyHTML)
	}
	if !strings.HasPrefix(p.ExcerptHTML, "<p>Nous sommes l&#39;Incubateur des Territoires") {
		t.Errorf("ExcerptHTML = %.200q, want the first paragraph", p.ExcerptHTML)
	}
}

func TestFrontMatterTolerance(t *testing.T) {
	tests := []struct {
		name, data string
		check      func(t *testing.T, p *Posting)
	}{
		{"duplicated key: last wins", "---\nroles: Dev\nopen: true\nstatus: open\nopen: false\n---\nCorps\n",
			func(t *testing.T, p *Posting) {
				if p.Open {
					t.Error("Open = true, want the last `open: false`")
				}
			}},
		{"comments, blank lines, trailing spaces",
			"---\n# un commentaire\nroles: Responsable des opérations #\n\nstartup: locatio  # identifiant   \n" +
				"junior: true # S'il est possible de candidater\nopen: false # Basculer à 'false'\n   \n---\nCorps\n",
			func(t *testing.T, p *Posting) {
				want := Posting{Title: "Responsable des opérations", Organisation: "locatio", Junior: true}
				if p.Title != want.Title || p.Organisation != want.Organisation || !p.Junior || p.Open {
					t.Errorf("got %q %q junior=%v open=%v", p.Title, p.Organisation, p.Junior, p.Open)
				}
			}},
		{"CRLF, lone CR, BOM, no final newline",
			"\ufeff---\r\nroles: Dev\r\nstartup: mrs\rcontrat: CDD\n---\r\nLigne 1\r\nLigne 2\rFin",
			func(t *testing.T, p *Posting) {
				if p.Title != "Dev" || p.Organisation != "mrs" || p.Contract != "CDD" {
					t.Errorf("got %q %q %q", p.Title, p.Organisation, p.Contract)
				}
				if p.BodyMarkdown != "Ligne 1\nLigne 2\nFin" {
					t.Errorf("BodyMarkdown = %q", p.BodyMarkdown)
				}
			}},
		{"decomposed accents become NFC",
			"---\nroles: Charge\u0301e de de\u0301ploiement\n---\nL'e\u0301quipe\n",
			func(t *testing.T, p *Posting) {
				if p.Title != "Chargée de déploiement" {
					t.Errorf("Title = %q", p.Title)
				}
				if p.BodyMarkdown != "L'équipe\n" {
					t.Errorf("BodyMarkdown = %q", p.BodyMarkdown)
				}
			}},
		{"NBSP and zero-width characters",
			"---\nroles:\u00a0Entrepreneur\u00a0associé\u200b «\u202fPass\u00a0Emploi\u00a0»\u200b\u200b\nroles\u200b2: x\n" +
				"contact: ma\u200brie@beta.gouv.fr\u00a0\nfriend: \u200b\n---\nCorps\n",
			func(t *testing.T, p *Posting) {
				if p.Title != "Entrepreneur associé « Pass Emploi »" {
					t.Errorf("Title = %q", p.Title)
				}
				if p.ContactEmail != "marie@beta.gouv.fr" {
					t.Errorf("ContactEmail = %q", p.ContactEmail)
				}
				if p.Organisation != "" {
					t.Errorf("Organisation = %q, want empty", p.Organisation)
				}
			}},
		{"tabs and list items indented 0 to 4 spaces",
			"---\nroles: Dev\ntechno:\n\t- Go\ndomaines:\n- Design\n    - Produit\n  - Autre\n---\nCorps\n",
			func(t *testing.T, p *Posting) {
				if !reflect.DeepEqual(p.Technos, []string{"Go"}) ||
					!reflect.DeepEqual(p.Domains, []string{"Design", "Produit", "Autre"}) {
					t.Errorf("Technos = %q, Domains = %q", p.Technos, p.Domains)
				}
			}},
		{"emoji",
			"---\nroles: 🚀 Growth Hacker de JeVeuxAider.Gouv.fr !\n---\n## 👋 Qui sommes-nous ?\n",
			func(t *testing.T, p *Posting) {
				if p.Title != "🚀 Growth Hacker de JeVeuxAider.Gouv.fr !" || !strings.Contains(p.BodyHTML, "<h3>👋 Qui") {
					t.Errorf("Title = %q, BodyHTML = %q", p.Title, p.BodyHTML)
				}
			}},
		{"--- inside the body is body",
			"---\nroles: Dev\n---\nAvant\n\n---\n\nAprès\n---\nfin\n",
			func(t *testing.T, p *Posting) {
				if p.BodyMarkdown != "Avant\n\n---\n\nAprès\n---\nfin\n" {
					t.Errorf("BodyMarkdown = %q", p.BodyMarkdown)
				}
				if !strings.Contains(p.BodyHTML, "<hr>") || !strings.Contains(p.BodyHTML, "<h3>Après</h3>") {
					t.Errorf("BodyHTML = %q", p.BodyHTML)
				}
			}},
		{"blank lines before the opening fence", "\n  \n---\nroles: Dev\n---\nCorps",
			func(t *testing.T, p *Posting) {
				if p.Title != "Dev" {
					t.Errorf("Title = %q", p.Title)
				}
			}},
		{"empty front matter: title from the file name", "---\n---\nCorps",
			func(t *testing.T, p *Posting) {
				if p.Title != "UX mon entreprise" {
					t.Errorf("Title = %q", p.Title)
				}
			}},
		{"multi-line quoted value", "---\nroles: \"calculateur d’empreinte climat\n  nosgestesclimat.fr \"\n---\nCorps",
			func(t *testing.T, p *Posting) {
				if p.Title != "calculateur d’empreinte climat nosgestesclimat.fr" {
					t.Errorf("Title = %q", p.Title)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, "2022-07-28-UX-mon-entreprise", tt.data))
		})
	}
}

// TestYAMLRepair covers front matter that yaml.v3 rejects but whose intent
// is clear: each must parse after repair.
func TestYAMLRepair(t *testing.T) {
	tests := []struct {
		name, fm string
		title    string
		check    func(p *Posting) bool
	}{
		{"colon inside a plain value", "roles: Offre : développeur: senior\nopen: true", "Offre : développeur: senior",
			func(p *Posting) bool { return p.Open }},
		{"list item YAML misreads", "roles: Dev\ndomaines:\n  - @Design\n - Produit # commentaire\nopen: false", "Dev",
			func(p *Posting) bool { return reflect.DeepEqual(p.Domains, []string{"@Design", "Produit"}) }},
		{"value starting with @", "roles: @dev\nfriend: Beta", "@dev",
			func(p *Posting) bool { return p.Organisation == "Beta" }},
		{"value starting with *", "roles: *Urgent* dev", "*Urgent* dev", nil},
		{"text after a closing quote", "roles: \"Dev\" confirmé·e # comment\nopen: false", "\"Dev\" confirmé·e", nil},
		{"known key indented by mistake", "roles: Dev\n  contrat: CDD\nopen: false", "Dev",
			func(p *Posting) bool { return p.Contract == "CDD" }},
		{"key glued to its value", "roles:Dev\nopen:false\nexternalURL:https://x.fr", "Dev",
			func(p *Posting) bool { return !p.Open && p.ExternalURL == "https://x.fr" }},
		{"plain value continued with a colon", "roles: Dev\n  full stack: JS\nopen: false", "Dev full stack: JS", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if doc, err := unmarshal(sanitiseYAML(tt.fm)); err == nil {
				if _, ok := rootMapping(doc); ok {
					t.Fatalf("test input parses without repair; it tests nothing")
				}
			}
			p := mustParse(t, "x.md", "---\n"+tt.fm+"\n---\nCorps\n")
			if p.Title != tt.title {
				t.Errorf("Title = %q, want %q", p.Title, tt.title)
			}
			if tt.check != nil && !tt.check(p) {
				t.Errorf("unexpected fields: %+v", p)
			}
		})
	}
}

// aliasBomb is front matter whose aliases, nested depth deep ten at a
// time, stand for 10^depth scalars once expanded.
func aliasBomb(depth int) string {
	var b strings.Builder
	b.WriteString("---\nl0: &l0 [x]\n")
	for i := 1; i <= depth; i++ {
		ref := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(ref+", ", 10), ", "))
	}
	fmt.Fprintf(&b, "contact: *l%d\nroles: *l%d\ntechno: *l%d\n---\nCorps", depth, depth, depth)
	return b.String()
}

// TestAliasBomb checks that alias bombs cost nothing: values are read
// from the node tree with bounds, so the work is counted in nodes, not
// timed (BenchmarkAliasBomb measures it). Unbounded, the 10^19 scalars
// would never end.
func TestAliasBomb(t *testing.T) {
	if _, err := Parse("x.md", []byte(aliasBomb(19)), testNow); err != nil {
		t.Fatal(err)
	}
	// A bomb within the depth bound: 10^6 scalars reachable.
	src := aliasBomb(6)
	if _, err := Parse("x.md", []byte(src), testNow); err != nil {
		t.Fatal(err)
	}
	doc, err := unmarshal(strings.TrimSuffix(strings.TrimPrefix(src, "---\n"), "---\nCorps"))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := rootMapping(doc)
	m := newMeta(root)
	// Lists are read one level down: ten aliases, no expansion.
	if n := len(items(m["roles"])); n > 10 {
		t.Errorf("a list of ten aliases gave %d items", n)
	}
	// The one walk that goes deep, for the contact's address, stops after
	// maxNodes nodes.
	budget, scalars := maxNodes, 0
	walkScalars(m["contact"], 0, &budget, func(string) bool { scalars++; return false })
	if scalars == 0 || scalars > maxNodes {
		t.Errorf("the walk read %d of the 10^6 scalars, want some and at most its bound of %d nodes", scalars, maxNodes)
	}
}

func BenchmarkAliasBomb(b *testing.B) {
	src := []byte(aliasBomb(19))
	for b.Loop() {
		if _, err := Parse("x.md", src, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		msg        string
	}{
		{"empty file", "", 1, "en-tête YAML manquant"},
		{"no front matter", "# Titre\n\nCorps\n", 1, "en-tête YAML manquant"},
		{"text before the fence", "\n\nbonjour\n---\nroles: x\n---\n", 3, "en-tête YAML manquant"},
		{"unclosed front matter", "\n---\nroles: Dev\nopen: false\n", 2, "non fermé"},
		{"line that is no key", "---\nroles: Dev\nceci n'est pas du yaml\nopen: true\n---\nCorps", 3, "deux-points « : » attendu"},
		{"unclosed flow list", "---\nroles: Dev\ndomaines: [Design, Produit\nopen: true\n---\nCorps", 3, "« ] » attendu"},
		{"list item under a scalar", "\ufeff\n---\nroles: Dev\nopen: true\ndomaines:\n  - a\n - b\n  c: d\n---\n", 8, "YAML illisible"},
		{"unknown alias in a flow list", "---\nroles: Dev\ntechno: [*go]\n---\n", 3, "référence « * » inconnue"},
		{"a list instead of a mapping", "---\n- roles\n- open\n---\nCorps", 2, "clé: valeur"},
		{"a bare scalar", "---\nbonjour\n---\nCorps", 2, "clé: valeur"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("offre.md", []byte(tt.data), testNow)
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want an error at line %d", p, tt.line)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.File != "offre.md" || pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %q (line %d), want line %d and a message containing %q", err, pe.Line, tt.line, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "offre.md:") {
				t.Errorf("Error() = %q, want NAME:LINE: MSG", err)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name, fm string
		open     bool
	}{
		{"open true", "open: true", true},
		{"open false", "open: false", false},
		{"open as a string", "open: 'true'", true},
		{"open wins over status", "open: false\nstatus: open", false},
		{"status open", "status: open\nposte_pourvu: true", true},
		{"status closed", "status: closed", false},
		{"status fermé", "status: Fermé", false},
		{"unreadable open falls back to status", "open: peut-être\nstatus: closed", false},
		{"poste_pourvu true", "poste_pourvu: true\nposte_ferme: 2099-01-01", false},
		{"poste_pourvu false, future closing", "poste_pourvu: false\nposte_ferme: 2099-01-01", true},
		{"closing date past", "poste_ferme: 2024-08-31", false},
		{"closing date today still open", "poste_ferme: 2024-09-01", true},
		{"depublication_date past", "depublication_date: 2022-09-30T16:54:35.037Z", false},
		{"unreadable closing date ignored", "poste_ferme: 2022-04-T15:00:00.000Z", true},
		{"nothing said", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, "x.md", "---\nroles: Dev\n"+tt.fm+"\n---\nCorps")
			if p.Open != tt.open {
				t.Errorf("Open = %v, want %v", p.Open, tt.open)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	tests := []struct {
		in       string
		endOfDay bool
		want     time.Time // zero: unparseable
	}{
		{"2021-02-01", false, parisTime(2021, 2, 1, 0, 0, 0, 0)},
		{"2021-02-01", true, parisTime(2021, 2, 1, 23, 59, 59, 0)},
		{"2021-07-01", true, parisTime(2021, 7, 1, 23, 59, 59, 0)},
		{"2021-3-5", false, parisTime(2021, 3, 5, 0, 0, 0, 0)},
		{"2020-10-12T13:56:39.601Z", false, utc(2020, 10, 12, 13, 56, 39, 601000000)},
		{"2022-06-20T8:12:44.262Z", true, utc(2022, 6, 20, 8, 12, 44, 262000000)},
		{"2021-03-15T14:03:44", false, parisTime(2021, 3, 15, 14, 3, 44, 0)},
		{"2021-03-15 9:03", false, parisTime(2021, 3, 15, 9, 3, 0, 0)},
		{"2021-03-15T14:03:44+01:00", false, utc(2021, 3, 15, 13, 3, 44, 0)},
		{"2021-03-15T14:03:44+0100", false, utc(2021, 3, 15, 13, 3, 44, 0)},
		{"2001-12-14 21:59:43.10 -5", false, utc(2001, 12, 15, 2, 59, 43, 100000000)},
		{"2001-12-14t21:59:43.1234567891Z", false, utc(2001, 12, 14, 21, 59, 43, 123456789)},
		{"15/03/2021", false, parisTime(2021, 3, 15, 0, 0, 0, 0)},
		{"Mon Dec 21 2020 14:05:12 GMT+0100 (heure normale d’Europe centrale)", false, utc(2020, 12, 21, 13, 5, 12, 0)},
		{"2022-04-T15:00:00.000Z", false, time.Time{}},
		{"2021-02-30", false, time.Time{}},
		{"2021-13-01", false, time.Time{}},
		{"2021-01-01T25:00", false, time.Time{}},
		{"2021-01-01T10:00+15:00", false, time.Time{}},
		{"demain", false, time.Time{}},
		{"", false, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in, tt.endOfDay)
		if tt.want.IsZero() {
			if ok {
				t.Errorf("parseDate(%q) = %v, want unparseable", tt.in, got)
			}
			continue
		}
		if !ok || !got.Equal(tt.want) || got.Location() != paris {
			t.Errorf("parseDate(%q, %v) = %v, %v; want %v in Europe/Paris", tt.in, tt.endOfDay, got, ok, tt.want)
		}
	}
}

func TestDateFields(t *testing.T) {
	tests := []struct {
		name, file, fm string
		opens, closes  time.Time // zero: nil
	}{
		{"poste_ouvert wins over post_ouvert and the file name", "2020-01-01-x.md",
			"post_ouvert: 2021-08-04\nposte_ouvert: 2021-08-04T11:05:00.515Z", parisTime(2021, 8, 4, 13, 5, 0, 515000000), time.Time{}},
		{"post_ouvert", "x.md", "post_ouvert: 2020-05-19", parisTime(2020, 5, 19, 0, 0, 0, 0), time.Time{}},
		{"date, quoted", "x.md", "date: '2022-01-17T13:26:05.348Z'", parisTime(2022, 1, 17, 14, 26, 5, 348000000), time.Time{}},
		{"file name", "2021-03-15_x.md", "", parisTime(2021, 3, 15, 0, 0, 0, 0), time.Time{}},
		{"unreadable date falls back to the file name", "2021-03-15 x.md", "date: bientôt", parisTime(2021, 3, 15, 0, 0, 0, 0), time.Time{}},
		{"poste_ferme date-only is the end of the day", "x.md", "poste_ferme: 2021-03-24",
			time.Time{}, parisTime(2021, 3, 24, 23, 59, 59, 0)},
		{"depublication_date", "x.md", "depublication_date: 2022-09-30T16:54:35.037Z",
			time.Time{}, parisTime(2022, 9, 30, 18, 54, 35, 37000000)},
		{"poste_ferme wins, unreadable one skipped", "x.md", "poste_ferme: 2022-04-T15:00:00.000Z\ndepublication_date: 2022-05-01",
			time.Time{}, parisTime(2022, 5, 1, 23, 59, 59, 0)},
		{"no date at all", "offre.md", "", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.file, "---\nroles: Dev\n"+tt.fm+"\n---\nCorps")
			for _, c := range []struct {
				field string
				got   *time.Time
				want  time.Time
			}{{"OpensAt", p.OpensAt, tt.opens}, {"ClosesAt", p.ClosesAt, tt.closes}} {
				if c.want.IsZero() != (c.got == nil) || c.got != nil && !c.got.Equal(c.want) {
					t.Errorf("%s = %v, want %v", c.field, fmtTime(c.got), c.want)
				}
			}
		})
	}
}

func TestListsAndVariants(t *testing.T) {
	tests := []struct {
		name, fm string
		want     Posting
	}{
		{"techno string", "techno: Python", Posting{Title: "Dev", Technos: []string{"Python"}}},
		{"techno comma-separated", "techno: Vue.js ,PHP 7 (Laravel), Mysql", Posting{Title: "Dev", Technos: []string{"Vue.js", "PHP 7 (Laravel)", "Mysql"}}},
		{"techno list", "techno:\n  - Python\n  - Java, Spring Boot\n  -  ", Posting{Title: "Dev", Technos: []string{"Python", "Java, Spring Boot"}}},
		{"techno blank", "techno:  ", Posting{Title: "Dev"}},
		{"domaines list", "domaines:\n    - Développement\n    - Produit ", Posting{Title: "Dev", Domains: []string{"Développement", "Produit"}}},
		{"domaine string", "domaine: Déploiement", Posting{Title: "Dev", Domains: []string{"Déploiement"}}},
		{"role", "roles:\nrole: Chargé·e de déploiement", Posting{Title: "Chargé·e de déploiement"}},
		{"title when no role", "roles: ''\ntitle: Offre de dev", Posting{Title: "Offre de dev"}},
		{"titles", "roles: ~\ntitles: Chargé.e de communication", Posting{Title: "Chargé.e de communication"}},
		{"roles as a list", "roles:\n  - Dev\n  - Ops", Posting{Title: "Dev, Ops"}},
		{"externalUrl", "externalUrl: https://incubateur.anct.gouv.fr/recrutement/dev-nocodb", Posting{Title: "Dev", ExternalURL: "https://incubateur.anct.gouv.fr/recrutement/dev-nocodb"}},
		{"externalURL quoted", "externalURL: 'https://pix.fr/recrutement/developpeur-web'", Posting{Title: "Dev", ExternalURL: "https://pix.fr/recrutement/developpeur-web"}},
		{"externalURL not http", "externalURL: javascript:alert(1)", Posting{Title: "Dev"}},
		{"externalURL relative", "externalURL: /recrutement", Posting{Title: "Dev"}},
		{"friend before startup before equipe", "equipe: E\nstartup: S\nfriend: F", Posting{Title: "Dev", Organisation: "F"}},
		{"startup with a space before the colon", "startup : carnet.de.bord\nequipe: E", Posting{Title: "Dev", Organisation: "carnet.de.bord"}},
		{"equipe", "friend: ''\nequipe: Aidants Connect", Posting{Title: "Dev", Organisation: "Aidants Connect"}},
		{"contact mailto", "contact: mailto:Ariane.ROSE@anct.gouv.fr?subject=Candidature", Posting{Title: "Dev", ContactEmail: "Ariane.ROSE@anct.gouv.fr"}},
		{"contact list", "contact:\n  - Jeanne\n  - Jeanne Dupont <jeanne@beta.gouv.fr>\n  - x@y.fr", Posting{Title: "Dev", ContactEmail: "jeanne@beta.gouv.fr"}},
		{"contact without email", "contact: Jeanne Dupont", Posting{Title: "Dev"}},
		{"contacts as a fallback", "contacts: patrick.lambret", Posting{Title: "Dev"}},
		{"contrat and junior", "contrat: ' indépendant/freelance '\njunior: 'true'", Posting{Title: "Dev", Contract: "indépendant/freelance", Junior: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm := tt.fm
			if !strings.Contains(fm, "role") {
				fm = "roles: Dev\n" + fm
			}
			p := mustParse(t, "x.md", "---\n"+fm+"\n---\nCorps")
			got := Posting{Title: p.Title, Organisation: p.Organisation, ContactEmail: p.ContactEmail,
				Contract: p.Contract, ExternalURL: p.ExternalURL, Domains: p.Domains, Technos: p.Technos, Junior: p.Junior}
			if d := diffPostings(&got, &tt.want); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestTitleFallback(t *testing.T) {
	for name, want := range map[string]string{
		"2021-11-05-Product Designer - User research - UX UI.md": "Product Designer User research UX UI",
		"2018-09-15-developpeu-r-se-2-camino-.md":                "Developpeu r se 2 camino",
		"2021-03-15-.md":           "Offre sans titre",
		"écrivain_public.markdown": "Écrivain public",
	} {
		if got := mustParse(t, name, "---\nopen: true\n---\nCorps").Title; got != want {
			t.Errorf("title from %q = %q, want %q", name, got, want)
		}
	}
}

func TestSlugify(t *testing.T) {
	long := "2021-05-11-profil.recherche.charge.e.d.assistance.aux.utilisateurs.service.national.universel.md"
	tests := map[string]string{
		"2021-03-15-anct-pni-coach.md":                                                 "anct-pni-coach",
		"2021-11-05-Product Designer - User research - UX UI.md":                       "product-designer-user-research-ux-ui",
		"2021-04-19_full-stack-product-développeur·euse_incubateur-des-territoires.md": "full-stack-product-developpeur-euse-incubateur-des-territoires",
		"2018-09-15-developpeu-r-se-2-camino-.md":                                      "developpeu-r-se-2-camino",
		"2022-07-28-UX-mon-entreprise":                                                 "ux-mon-entreprise",
		"2022-01-10-charge.ou.chargee.d.acquisition.pour.le.marche.de.linclusion.md":   "charge-ou-chargee-d-acquisition-pour-le-marche-de-linclusion",
		"Chargé(e) de mission (H/F).markdown":                                          "charge-e-de-mission-h-f",
		"offre sans date.MD":                                                           "offre-sans-date",
		"Cœur d’Œuvre.md":                                                              "coeur-d-oeuvre",
		"2021-03-15 Équipe.md":                                                         "equipe",
		"2021-03-15.md":                                                                "2021-03-15",
		"readme.txt":                                                                   "readme-txt",
		"---.md":                                                                       "offre",
		"":                                                                             "offre",
		"🚀.md":                                                                         "offre",
		long:                                                                           "profil-recherche-charge-e-d-assistance-aux-utilisateurs-service-national",
		strings.Repeat("a", 100):                                                       strings.Repeat("a", 80),
	}
	for in, want := range tests {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
		if got := Slugify(in); len(got) > maxSlugLen {
			t.Errorf("Slugify(%q) is %d bytes long", in, len(got))
		}
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"more marker", "Intro **courte**.\n\nSuite.\n<!--more-->\n\nLe reste.", "<p>Intro <strong>courte</strong>.</p>\n<p>Suite.</p>"},
		{"more marker with spaces", "# Titre\n\nIntro\n<!-- more -->\nReste", "<h2>Titre</h2>\n<p>Intro</p>"},
		{"no marker: first paragraph", "## Qui sommes-nous ?\n\nPremier paragraphe.\n\nSecond.", "<p>Premier paragraphe.</p>"},
		{"marker first: first paragraph", "<!--more-->\n\n### Titre\n\nTexte.", "<p>Texte.</p>"},
		{"only a list", "- un\n- deux", "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>"},
		{"empty body", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, "x.md", "---\nroles: Dev\n---\n"+tt.body)
			if p.ExcerptHTML != tt.want {
				t.Errorf("ExcerptHTML = %q, want %q", p.ExcerptHTML, tt.want)
			}
		})
	}
}

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		name, md  string
		want      []string
		forbidden []string
	}{
		{"headings are demoted", "# Un\n## Deux\n#### Quatre\n###### Six\n<h1>Brut</h1>",
			[]string{"<h2>Un</h2>", "<h3>Deux</h3>", "<h5>Quatre</h5>", "<h6>Six</h6>", "<h2>Brut</h2>"}, []string{"<h1"}},
		{"setext headings", "Titre\n=====\n\nSous-titre\n---", []string{"<h2>Titre</h2>", "<h3>Sous-titre</h3>"}, nil},
		{"comments disappear", "<!--StartFragment-->**Gras** ici\n\nTexte <!-- caché --> visible\n<!--EndFragment-->",
			[]string{"<strong>Gras</strong> ici", "Texte  visible"}, []string{"<!--", "caché", "StartFragment"}},
		{"unclosed comment", "Avant <!-- jamais fermé\n\nAprès", []string{"Après"}, []string{"<!--"}},
		{"email autolinks", "Écrire à <jeanne@beta.gouv.fr> ou <mailto:paul@beta.gouv.fr>, ou marie@beta.gouv.fr.",
			[]string{`<a href="mailto:jeanne@beta.gouv.fr" rel="nofollow">jeanne@beta.gouv.fr</a>`,
				`<a href="mailto:paul@beta.gouv.fr" rel="nofollow">mailto:paul@beta.gouv.fr</a>`,
				`<a href="mailto:marie@beta.gouv.fr" rel="nofollow">marie@beta.gouv.fr</a>`}, nil},
		{"links get nofollow noopener", "[beta](https://beta.gouv.fr) et https://www.data.gouv.fr",
			[]string{`<a href="https://beta.gouv.fr" rel="nofollow noopener" target="_blank">beta</a>`,
				`href="https://www.data.gouv.fr" rel="nofollow noopener"`}, nil},
		{"www links get https", "[site](www.example.fr)", []string{`href="https://www.example.fr"`}, nil},
		{"mixed bullets make one list", "Liste :\n- un\n* deux\n• trois\n•quatre\n+ cinq\\\n• six\\\n\n* * *\n*pas une liste*",
			[]string{"<ul>\n<li>un</li>\n<li>deux</li>\n<li>trois</li>\n<li>quatre</li>\n<li>cinq</li>\n<li>six</li>\n</ul>", "<hr>", "<em>pas une liste</em>"},
			[]string{"•", `\`}},
		{"bullet inside code is kept", "```\n• code\n```", []string{"• code"}, nil},
		{"two-space line break and backslash escapes", "ligne un  \nligne deux\\\nligne trois \\*pas italique\\*",
			[]string{"ligne un<br>", "ligne deux<br>", "*pas italique*"}, nil},
		{"inline HTML", `<p align="center"><b>gras</b><br><a href="https://x.fr">lien</a><img src="https://x.fr/a.png" alt="a"></p>`,
			[]string{"<b>gras</b>", "<br>", `<a href="https://x.fr" rel="nofollow noopener" target="_blank">lien</a>`, `<img src="https://x.fr/a.png" alt="a">`}, nil},
		{"dangerous HTML is removed", "<script>alert(1)</script>\n\nTexte <a href=\"javascript:alert(1)\">x</a> [y](javascript:alert(2)) " +
			"<img src=x onerror=alert(3)> <iframe src=\"https://x.fr\"></iframe> [rel](/relatif) <a href=\"data:text/html,x\">d</a>",
			[]string{"<p>Texte x y", "rel d</p>"}, []string{"<script", "javascript:", "onerror", "<iframe", "/relatif", "alert(1)", "data:", "href"}},
		{"GFM", "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~barré~~\n\n- [x] fait\n- [ ] à faire",
			[]string{"<table>", "<td>1</td>", "<del>barré</del>", `<input checked="" disabled="" type="checkbox">`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenderMarkdown(tt.md)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, f := range tt.forbidden {
				if strings.Contains(got, f) {
					t.Errorf("unexpected %q in:\n%s", f, got)
				}
			}
		})
	}
}

func TestMarkdownRoundTripSamples(t *testing.T) {
	samples := map[string]string{
		"2021-03-15-a.md": "---\nroles: \"Dev \\\"senior\\\" # 1: oui\"\nfriend: 'L''équipe'\ncontact: 'x <a.b@c.fr>'\n" +
			"poste_ouvert: 2020-10-12T13:56:39.601Z\nposte_ferme: 2021-03-24\nstatus: closed\n" +
			"domaines: Design\ntechno: Go, SQL\njunior: true\n---\nCorps\n---\nfin",
		"sans-date.md":         "---\ntitle: Offre\nposte_ferme: 2021-03-24T10:00:00+05:30\n---\n",
		"2021-10-31-heure.md":  "---\nroles: Dev\ndate: 2021-10-31T02:30:00\nposte_ferme: 2021-10-31T02:30:00Z\n---\nx",
		"2021-02-30-faux.md":   "---\nexternalUrl: http://x.fr/a b\n---\nx",
		"1850-01-01-ancien.md": "---\nroles: Dev\nposte_ferme: 1850-06-01T10:00:00Z\n---\nx",
	}
	for name, data := range samples {
		p := mustParse(t, name, data)
		if msg := roundTrip(p, testNow); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
}
