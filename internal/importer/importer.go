// Package importer loads Markdown postings (files or folders) into the
// database, printing one line a file: created, updated, unchanged, or the
// error with the file's name and line.
package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"

	"vivier/internal/catalog"
	"vivier/internal/posting"
	"vivier/repository"
)

// Result counts what an import did.
type Result struct {
	Created, Updated, Unchanged, Failed int
}

// Importer writes postings through the repository.
type Importer struct {
	Repo   *repository.Repo
	DryRun bool
	Now    func() time.Time
	Out    io.Writer
}

// Paths imports every file named, and every file under every folder named
// (hidden files and README files aside).
func (im *Importer) Paths(ctx context.Context, paths []string) (Result, error) {
	var res Result
	for _, root := range paths {
		files, err := collect(root)
		if err != nil {
			fmt.Fprintf(im.Out, "%s: erreur : %v\n", root, err)
			res.Failed++
			continue
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintf(im.Out, "%s: erreur : fichier illisible : %v\n", f, err)
				res.Failed++
				continue
			}
			outcome, err := im.File(ctx, SourceName(f), data)
			if err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				var perr *posting.ParseError
				if errors.As(err, &perr) {
					fmt.Fprintf(im.Out, "%s:%d: erreur : %s\n", f, perr.Line, perr.Msg)
				} else {
					fmt.Fprintf(im.Out, "%s: erreur : %v\n", f, err)
				}
				res.Failed++
				continue
			}
			switch outcome {
			case repository.ImportCreated:
				res.Created++
			case repository.ImportUpdated:
				res.Updated++
			case repository.ImportUnchanged:
				res.Unchanged++
			}
			fmt.Fprintf(im.Out, "%s: %s\n", f, frenchOutcome(outcome, im.DryRun))
		}
	}
	return res, nil
}

func frenchOutcome(o repository.ImportOutcome, dry bool) string {
	s := map[repository.ImportOutcome]string{repository.ImportCreated: "créée", repository.ImportUpdated: "mise à jour",
		repository.ImportUnchanged: "inchangée"}[o]
	if dry && o != repository.ImportUnchanged {
		s += " (simulation : rien n'est écrit)"
	}
	return string(o) + " — offre " + s
}

// collect lists the files to import under root, in a stable order.
func collect(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{root}, nil
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") && path != root {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || strings.EqualFold(name, "README.md") {
			return nil
		}
		files = append(files, path)
		return nil
	})
	sort.Strings(files)
	return files, err
}

// SourceName identifies a posting's file across re-imports: its folder
// (the source, such as "betagouv" or "anct") and its name, so that the
// same name in two sources gives two postings.
func SourceName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return filepath.Base(filepath.Dir(abs)) + "/" + filepath.Base(abs)
}

// File parses one posting and writes it. source is its SourceName; the
// slug comes from the file name.
func (im *Importer) File(ctx context.Context, source string, data []byte) (repository.ImportOutcome, error) {
	p, err := posting.Parse(filepath.Base(source), data, im.Now())
	if err != nil {
		return "", err
	}
	row := Row(p)
	row.SourceName = sql.NullString{String: source, Valid: true}
	sum := sha256.Sum256(data)
	row.SourceHash = sum[:]
	return im.Repo.ImportPosting(ctx, row, im.DryRun)
}

// Row maps a parsed posting to its database row.
func Row(p *posting.Posting) *repository.Posting {
	status := catalog.PostingClosed
	if p.Open {
		status = catalog.PostingOpen
	}
	return &repository.Posting{
		Slug: p.Slug, SourceName: sql.NullString{String: p.SourceName, Valid: true},
		Title: p.Title, Organisation: p.Organisation, ContactEmail: strings.ToLower(p.ContactEmail),
		Contract: p.Contract, ExternalURL: p.ExternalURL, OpensAt: p.OpensAt, ClosesAt: p.ClosesAt,
		Status: status, Domains: nonNil(p.Domains), Technos: nonNil(p.Technos), Junior: p.Junior,
		BodyMD: p.BodyMarkdown, BodyHTML: p.BodyHTML, ExcerptHTML: p.ExcerptHTML,
		Questions: questionRows(p.Questions), HasQuestions: p.HasQuestions,
	}
}

func nonNil(s []string) pq.StringArray {
	if s == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(s)
}
