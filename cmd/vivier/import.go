package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"vivier/internal/assembly"
	"vivier/internal/config"
	"vivier/internal/frfmt"
	"vivier/internal/importer"
)

// importUsage prints how to call vivier import.
func importUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage : vivier import [--dry-run] CHEMIN...  (fichiers Markdown ou dossiers)")
	fmt.Fprintln(w, "  --dry-run   lit et vérifie les fichiers sans rien écrire")
}

func importCmd(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "lit et vérifie les fichiers sans rien écrire")
	fs.Usage = func() { importUsage(stderr) }
	if err := fs.Parse(args); err != nil {
		return exitError(2)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError(2)
	}
	db, err := assembly.OpenDB(ctx, cfg, assembly.CurrentSchema, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	repo, err := assembly.NewRepo(cfg, db)
	if err != nil {
		return err
	}
	im := &importer.Importer{Repo: repo, DryRun: *dryRun, Now: time.Now, Out: stdout}
	res, err := im.Paths(ctx, fs.Args())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d %s, %d %s, %d %s, %d en erreur\n",
		res.Created, frfmt.Plural(float64(res.Created), "créée", "créées"),
		res.Updated, frfmt.Plural(float64(res.Updated), "mise à jour", "mises à jour"),
		res.Unchanged, frfmt.Plural(float64(res.Unchanged), "inchangée", "inchangées"), res.Failed)
	if res.Failed > 0 {
		return exitError(1)
	}
	return nil
}
