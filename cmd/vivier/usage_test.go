package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The usage text names every job of the scheduler, as the README does.
func TestUsageNamesEverySchedulerJob(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, job := range []string{"renvoi des emails en attente", "fermeture des offres à leur date limite", "rappels des entretiens 24 h avant", "avis un mois avant l'effacement", "effacement des\n              candidatures passé RETENTION_MONTHS"} {
		if !strings.Contains(text, job) {
			t.Errorf("the usage text does not name %q:\n%s", job, text)
		}
	}
}

// Each command prints its usage on -h, before reading any configuration
// (an empty environment here), and a command that takes no argument
// refuses one, naming it, instead of starting as if it were not there.
func TestCommandsAnswerHelpAndRefuseUnknownArguments(t *testing.T) {
	empty := func(string) string { return "" }
	for _, cmd := range []string{"serve", "worker", "scheduler", "migrate", "dev", "import"} {
		for _, help := range []string{"-h", "--help"} {
			var out, errs bytes.Buffer
			if err := run(context.Background(), []string{cmd, help}, empty, &out, &errs); err != nil {
				t.Errorf("vivier %s %s: %v (%s)", cmd, help, err, errs.String())
			}
			if !strings.Contains(out.String(), "Usage : vivier") {
				t.Errorf("vivier %s %s printed no usage: %q", cmd, help, out.String())
			}
		}
		if cmd == "import" {
			for _, tc := range []struct {
				args []string
				want string
			}{{[]string{"import", "--nope", "offre.md"}, "vivier import : option inconnue « -nope »"},
				{[]string{"import"}, "vivier import : aucun fichier ni dossier à importer"}} {
				var out, errs bytes.Buffer
				err := run(context.Background(), tc.args, empty, &out, &errs)
				if code, ok := err.(exitError); !ok || code != 2 || !strings.Contains(errs.String(), tc.want) || !strings.Contains(errs.String(), "Usage : vivier import") {
					t.Errorf("vivier %s: %v, said %q; want exit status 2, %q and the usage", strings.Join(tc.args[1:], " "), err, errs.String(), tc.want)
				}
			}
			continue
		}
		var out, errs bytes.Buffer
		err := run(context.Background(), []string{cmd, "--port", "9000"}, empty, &out, &errs)
		if code, ok := err.(exitError); !ok || code != 2 {
			t.Errorf("vivier %s --port 9000: %v, want exit status 2", cmd, err)
		}
		if want := "vivier " + cmd + " : argument inconnu « --port »"; !strings.Contains(errs.String(), want) {
			t.Errorf("vivier %s --port 9000 said %q, want %q", cmd, errs.String(), want)
		}
	}
}
