package posting

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// corpusDir is /work/shared/postings seen from this package's directory.
var corpusDir = filepath.Join("..", "..", "..", "shared", "postings")

// testNow is a fixed "now" so that Open never depends on the day tests run.
var testNow = time.Date(2024, 9, 1, 12, 0, 0, 0, time.UTC)

type corpusFile struct {
	rel  string // path under corpusDir, for messages
	name string // base name, as Parse gets it
	data []byte
}

// loadCorpus reads every posting file under corpusDir; the README at its
// top is documentation, not a posting.
func loadCorpus(tb testing.TB) []corpusFile {
	tb.Helper()
	if st, err := os.Stat(corpusDir); err != nil || !st.IsDir() {
		tb.Fatalf("corpus folder %s not found (from %s): the shared postings corpus must sit at "+
			"shared/postings beside the repository; err=%v", corpusDir, mustGetwd(), err)
	}
	var files []corpusFile
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		if d.IsDir() || rel == "README.md" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, corpusFile{rel: rel, name: d.Name(), data: data})
		return nil
	})
	if err != nil {
		tb.Fatalf("walking %s: %v", corpusDir, err)
	}
	if len(files) == 0 {
		tb.Fatalf("corpus folder %s holds no posting", corpusDir)
	}
	return files
}

func mustGetwd() string {
	wd, _ := os.Getwd()
	return wd
}

func TestCorpus(t *testing.T) {
	files := loadCorpus(t)
	var open, withEmail, withOpens, withCloses, withExcerpt, failed int
	perDir := map[string]int{}
	for _, f := range files {
		p, err := Parse(f.name, f.data, testNow)
		if err != nil {
			failed++
			t.Errorf("%s: %v", f.rel, err)
			continue
		}
		perDir[filepath.Dir(f.rel)]++
		switch {
		case p.Title == "":
			t.Errorf("%s: empty title", f.rel)
		case p.BodyHTML == "":
			t.Errorf("%s: empty BodyHTML", f.rel)
		case strings.Contains(strings.ToLower(p.BodyHTML+p.ExcerptHTML), "<script"):
			t.Errorf("%s: <script in HTML", f.rel)
		case strings.Contains(p.BodyHTML+p.ExcerptHTML, "<!--"):
			t.Errorf("%s: HTML comment left in HTML", f.rel)
		case strings.Contains(p.BodyHTML, "<h1"):
			t.Errorf("%s: h1 left in body", f.rel)
		case p.Slug == "" || len(p.Slug) > maxSlugLen:
			t.Errorf("%s: bad slug %q", f.rel, p.Slug)
		}
		if p.Open {
			open++
		}
		if p.ContactEmail != "" {
			withEmail++
		}
		if p.OpensAt != nil {
			withOpens++
		}
		if p.ClosesAt != nil {
			withCloses++
		}
		if p.ExcerptHTML != "" {
			withExcerpt++
		}
	}
	t.Logf("corpus: %d files parsed (%v), %d failed; %d open, %d with contact email, "+
		"%d with opening date, %d with closing date, %d with excerpt",
		len(files)-failed, perDir, failed, open, withEmail, withOpens, withCloses, withExcerpt)
}

func TestCorpusRoundTrip(t *testing.T) {
	for _, f := range loadCorpus(t) {
		p, err := Parse(f.name, f.data, testNow)
		if err != nil {
			t.Errorf("%s: %v", f.rel, err)
			continue
		}
		if msg := roundTrip(p, testNow); msg != "" {
			t.Errorf("%s: %s", f.rel, msg)
		}
	}
}

// roundTrip re-parses p.Markdown() and describes the first difference.
func roundTrip(p *Posting, now time.Time) string {
	out := p.Markdown()
	q, err := Parse(p.SourceName, out, now)
	if err != nil {
		return "re-parse failed: " + err.Error() + "\n" + string(out)
	}
	if d := diffPostings(p, q); d != "" {
		return "round trip changed " + d + "\n" + string(out)
	}
	return ""
}

func diffPostings(a, b *Posting) string {
	va, vb := reflect.ValueOf(*a), reflect.ValueOf(*b)
	for i := 0; i < va.NumField(); i++ {
		name := va.Type().Field(i).Name
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		if ta, ok := fa.(*time.Time); ok {
			tb := fb.(*time.Time)
			if (ta == nil) != (tb == nil) || ta != nil && !ta.Equal(*tb) {
				return name + ": " + fmtTime(ta) + " -> " + fmtTime(tb)
			}
			continue
		}
		if !reflect.DeepEqual(fa, fb) {
			return name + ": " + strings.TrimSpace(strings.ReplaceAll(
				strings.Join([]string{reprOf(fa), reprOf(fb)}, " -> "), "\n", `\n`))
		}
	}
	return ""
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339Nano)
}

func reprOf(v any) string {
	s := strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(v), "\n", " "))
	if sl, ok := v.([]string); ok {
		s = "[" + strings.Join(sl, " | ") + "]"
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return "«" + s + "»"
}

// TestCorpusConcurrent parses the corpus from several goroutines: the
// shared goldmark converter and bluemonday policy must be safe for that
// (run with -race to check).
func TestCorpusConcurrent(t *testing.T) {
	files := loadCorpus(t)
	want := make([]string, len(files))
	for i, f := range files {
		if p, err := Parse(f.name, f.data, testNow); err == nil {
			want[i] = p.BodyHTML + p.ExcerptHTML
		}
	}
	const workers = 4
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := w; i < len(files); i += workers {
				p, err := Parse(files[i].name, files[i].data, testNow)
				if err != nil || p.BodyHTML+p.ExcerptHTML != want[i] {
					errs <- files[i].rel
					return
				}
			}
			errs <- ""
		}(w)
	}
	for w := 0; w < workers; w++ {
		if rel := <-errs; rel != "" {
			t.Errorf("%s: concurrent parse differs", rel)
		}
	}
}
