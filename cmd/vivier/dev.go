package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"vivier/internal/assembly"
	"vivier/internal/catalog"
	"vivier/internal/config"
	"vivier/internal/demo"
	"vivier/internal/frfmt"
	"vivier/internal/importer"
	"vivier/internal/mailcatcher"
	"vivier/migrations"
	"vivier/repository"
)

// devSMTPAddr is where `vivier dev` catches mail.
const devSMTPAddr = "127.0.0.1:1025"

// dev runs the whole product in one process for a laptop: it creates and
// migrates the database, opens the demo posting, catches mail in-process
// and runs web, worker and scheduler together, on one assembly.
func dev(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	created, err := repository.EnsureDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return assembly.Unreachable("PostgreSQL", cfg.DatabaseURL, err)
	}
	if created {
		fmt.Fprintln(stdout, "base de données créée")
	}
	db, err := assembly.OpenDB(ctx, cfg, assembly.AnySchema, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		return err
	}

	// One process, one registry: the web's /metrics shows the sends too.
	p, err := assembly.New(cfg, db, assembly.Options{Log: log})
	if err != nil {
		return err
	}
	defer p.Close()
	if err := openDemoPosting(ctx, p.Repo, stdout); err != nil {
		return err
	}
	if err := p.Client.Ping(); err != nil {
		return assembly.Unreachable("Redis", cfg.RedisURL, err)
	}

	catcher, err := mailcatcher.Start(devSMTPAddr)
	if err != nil {
		return fmt.Errorf("%w (un autre `vivier dev` tourne-t-il déjà ?)", err)
	}
	defer catcher.Close()
	// The worker sends to the catcher, and /dev/mail lists what it caught.
	cfg.SMTPURL, p.MailCatcher = catcher.URL(), catcher
	web, err := p.Web()
	if err != nil {
		return err
	}
	defer web.Close()
	w, err := p.Worker(assembly.WorkerOptions{RetryBase: 2 * time.Second})
	if err != nil {
		return err
	}
	defer w.Close()

	fmt.Fprintf(stdout, "\nVivier tourne en mode développement :\n"+
		"  site          %s/\n"+
		"  offre démo    %s/offres/anct-pni-coach\n"+
		"  emails        %s/dev/mail  (serveur SMTP intégré sur %s)\n"+
		"Ctrl+C pour arrêter.\n\n", cfg.BaseURL, cfg.BaseURL, cfg.BaseURL, devSMTPAddr)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return web.Run(gctx, fmt.Sprintf(":%d", cfg.Port)) })
	g.Go(func() error { return w.Run(gctx) })
	g.Go(func() error { p.Scheduler().Run(gctx, 5*time.Second); return nil })
	return g.Wait()
}

// demoActor is who opened the demo posting, in the posting's history.
const demoActor = "vivier dev"

// openDemoPosting imports the demo posting when it is missing and opens it
// with a closing date 30 days ahead (the original is closed). A demo
// posting already there is left as it is: a developer may have closed it,
// edited it or filled it with applications.
func openDemoPosting(ctx context.Context, repo *repository.Repo, stdout io.Writer) error {
	p, err := repo.PostingBySourceName(ctx, demo.SourceName)
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "offre de démonstration déjà présente (%s), laissée telle quelle\n", strings.ToLower(p.Status.Label()))
		return nil
	case !errors.Is(err, repository.ErrNotFound):
		return err
	}
	im := &importer.Importer{Repo: repo, Now: time.Now, Out: io.Discard}
	if _, err := im.File(ctx, demo.SourceName, demo.Posting); err != nil {
		return fmt.Errorf("offre de démonstration : %w", err)
	}
	if p, err = repo.PostingBySourceName(ctx, demo.SourceName); err != nil {
		return err
	}
	// Applications close at the end of the day, 30 days from now, Paris time.
	d := time.Now().In(frfmt.Paris).AddDate(0, 0, 30)
	closes := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 0, 0, frfmt.Paris)
	if err := repo.SetClosingDate(ctx, p.ID, &closes); err != nil {
		return err
	}
	if p.Status != catalog.PostingOpen {
		// Through the posting's state machine, so that the opening is in its history.
		if err := repo.SetPostingState(ctx, p.ID, []catalog.PostingState{p.Status}, catalog.PostingOpen, demoActor); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "offre de démonstration créée, ouverte jusqu'au %s\n", frfmt.DateTime(closes))
	return nil
}
