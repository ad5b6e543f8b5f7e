package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"vivier/internal/assembly"
	"vivier/internal/config"
	"vivier/internal/frfmt"
	"vivier/migrations"
)

// The long-running commands: each opens its process with internal/assembly
// (which waits for a schema that is behind, up to SCHEMA_WAIT), runs it
// until SIGTERM, and closes it.

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	p, err := assembly.Open(ctx, cfg, assembly.Options{Log: log})
	if err != nil {
		return err
	}
	defer p.Close()
	web, err := p.Web()
	if err != nil {
		return err
	}
	defer web.Close()
	log.Info("web server listening", "port", cfg.Port, "base_url", cfg.BaseURL)
	return web.Run(ctx, fmt.Sprintf(":%d", cfg.Port))
}

func worker(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	p, err := assembly.Open(ctx, cfg, assembly.Options{Log: log})
	if err != nil {
		return err
	}
	defer p.Close()
	w, err := p.Worker(assembly.WorkerOptions{})
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Start(); err != nil {
		return err
	}
	log.Info("worker started", "smtp", config.Redact(cfg.SMTPURL))
	stopMetrics := w.ServeMetrics(ctx)
	defer stopMetrics()
	<-ctx.Done()
	// Close waits for messages being sent and puts the rest back in the queue.
	w.Close()
	return nil
}

func scheduler(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	p, err := assembly.Open(ctx, cfg, assembly.Options{Log: log})
	if err != nil {
		return err
	}
	defer p.Close()
	log.Info("scheduler started")
	p.Scheduler().Run(ctx, 10*time.Second)
	return nil
}

func migrate(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	db, err := assembly.OpenDB(ctx, cfg, assembly.AnySchema, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schéma à jour (%d %s)\n", n, frfmt.Plural(float64(n), "migration appliquée", "migrations appliquées"))
	return nil
}
