package icalendar_test

import (
	"bytes"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"vivier/internal/frfmt"
	"vivier/internal/icalendar"
)

// An invitation on either side of the change to summer time reads back,
// through golang-ical, at the Paris time it was written for, with its
// zone, UID, sequence, organiser and attendees.
func TestInvitationsReadBackAcrossDaylightSaving(t *testing.T) {
	now := time.Date(2026, 3, 20, 9, 0, 0, 0, frfmt.Paris)
	for _, start := range []time.Time{
		time.Date(2026, 3, 27, 14, 30, 0, 0, frfmt.Paris), // CET, +01:00
		time.Date(2026, 3, 31, 14, 30, 0, 0, frfmt.Paris), // CEST, +02:00
	} {
		ev := icalendar.Event{UID: "entretien-1@vivier.test", Sequence: 2, Start: start, Duration: 45 * time.Minute,
			Summary: "Entretien : Coach", Location: "https://visio.example.org/salle",
			Organizer: icalendar.Person{Name: "Recrutement", Email: "contact@anct.gouv.fr"},
			Attendees: []icalendar.Person{{Name: "Camille Durand", Email: "camille@example.org"}, {Email: "relecteur@anct.gouv.fr"}}}
		for _, m := range []icalendar.Method{icalendar.Request, icalendar.Cancel} {
			raw := icalendar.Write(m, now, ev)
			if bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
				t.Errorf("lines do not all end with CRLF (RFC 5545)")
			}
			cal, err := ics.ParseCalendar(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v\n%s", m, err, raw)
			}
			if got := cal.CalendarProperties; len(got) == 0 {
				t.Fatal("no calendar properties")
			}
			if len(cal.Timezones()) != 1 || !bytes.Contains(raw, []byte("TZID:Europe/Paris")) {
				t.Errorf("no VTIMEZONE for Europe/Paris:\n%s", raw)
			}
			if !bytes.Contains(raw, []byte("METHOD:"+string(m))) {
				t.Errorf("no METHOD:%s", m)
			}
			evs := cal.Events()
			if len(evs) != 1 || evs[0].Id() != ev.UID {
				t.Fatalf("events: %d", len(evs))
			}
			got, err := evs[0].GetStartAt()
			if err != nil || !got.Equal(start) {
				t.Errorf("%s: start %v (%v), want %v", m, got, err, start)
			}
			end, _ := evs[0].GetEndAt()
			if !end.Equal(start.Add(45 * time.Minute)) {
				t.Errorf("end %v", end)
			}
			if seq := evs[0].GetProperty(ics.ComponentPropertySequence); seq == nil || seq.Value != "2" {
				t.Errorf("sequence %v", seq)
			}
			if as := evs[0].Attendees(); len(as) != 2 || as[0].Email() != "camille@example.org" {
				t.Errorf("attendees %v", as)
			}
			if o := evs[0].GetProperty(ics.ComponentPropertyOrganizer); o == nil || o.Value != "mailto:contact@anct.gouv.fr" {
				t.Errorf("organizer %v", o)
			}
		}
	}
}
