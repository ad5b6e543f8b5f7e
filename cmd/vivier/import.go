package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
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

// importArgs are vivier import's options and paths.
type importArgs struct {
	dryRun bool
	paths  []string
}

// parseImportArgs reads vivier import's arguments, before the
// configuration: an unknown option or no path prints the usage, with
// the reason in French, and exits 2.
func parseImportArgs(args []string, stderr io.Writer) (importArgs, error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the flag package's messages are in English
	dryRun := fs.Bool("dry-run", false, "")
	if err := fs.Parse(args); err != nil {
		reason := err.Error()
		if name, ok := strings.CutPrefix(reason, "flag provided but not defined: "); ok {
			reason = "option inconnue « " + name + " »"
		}
		fmt.Fprintf(stderr, "vivier import : %s\n", reason)
		importUsage(stderr)
		return importArgs{}, exitError(2)
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "vivier import : aucun fichier ni dossier à importer")
		importUsage(stderr)
		return importArgs{}, exitError(2)
	}
	return importArgs{dryRun: *dryRun, paths: fs.Args()}, nil
}

func importCmd(ctx context.Context, cfg *config.Config, args importArgs, stdout io.Writer) error {
	db, err := assembly.OpenDB(ctx, cfg, assembly.CurrentSchema, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	repo, err := assembly.NewRepo(cfg, db)
	if err != nil {
		return err
	}
	im := &importer.Importer{Repo: repo, DryRun: args.dryRun, Now: time.Now, Out: stdout}
	res, err := im.Paths(ctx, args.paths)
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
