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
