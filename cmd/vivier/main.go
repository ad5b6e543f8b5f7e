// Command vivier is Vivier's one binary: serve, worker, scheduler,
// migrate, import and dev. It reads the configuration and runs the
// processes that internal/assembly builds (the only place they are wired).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"

	_ "time/tzdata" // dates are shown in Europe/Paris on any machine

	"vivier/internal/config"
)

const usage = `Vivier — suivi de candidatures avec emails automatiques.

Usage : vivier <commande> [options]

Commandes :
  serve       le site web (PORT)
  worker      l'envoi des emails (file asynq sur REDIS_URL)
  scheduler   les tâches périodiques : renvoi des emails en attente (toutes
              les 10 s), fermeture des offres à leur date limite (toutes les
              15 s), rappels des entretiens 24 h avant (toutes les minutes),
              avis un mois avant l'effacement, puis effacement des
              candidatures passé RETENTION_MONTHS (toutes les heures)
  migrate     met à jour le schéma de la base (DATABASE_URL)
  import      importe des offres Markdown : vivier import [--dry-run] CHEMIN...
  dev         tout en un pour un poste de développement : crée la base, migre,
              ouvre l'offre de démonstration, intercepte les emails (/dev/mail)

La configuration se lit dans l'environnement : voir README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "vivier:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a status and no further message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	if commands[cmd] && slices.ContainsFunc(rest, isHelp) {
		if cmd == "import" {
			importUsage(stdout)
		} else {
			fmt.Fprint(stdout, usage)
		}
		return nil
	}
	// Only import takes arguments; the others read their configuration
	// from the environment, and an argument given to them (a flag from
	// another tool, a typo) is refused rather than ignored.
	if commands[cmd] && cmd != "import" && len(rest) > 0 {
		fmt.Fprint(stderr, usage)
		fmt.Fprintf(stderr, "\nvivier %s : argument inconnu « %s » ; cette commande n'en prend aucun (la configuration se lit dans l'environnement).\n", cmd, rest[0])
		return exitError(2)
	}
	var imp importArgs
	if cmd == "import" {
		var err error
		if imp, err = parseImportArgs(rest, stderr); err != nil {
			return err
		}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "worker":
		return worker(ctx, cfg, log)
	case "scheduler":
		return scheduler(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "import":
		return importCmd(ctx, cfg, imp, stdout)
	case "dev":
		return dev(ctx, cfg, log, stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("commande inconnue : %q", cmd)
}

// commands are the binary's commands, as run dispatches them.
var commands = map[string]bool{"serve": true, "worker": true, "scheduler": true, "migrate": true, "import": true, "dev": true}

// isHelp reports whether a command's argument asks for its usage.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
