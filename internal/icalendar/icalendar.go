// Package icalendar writes the iCalendar (RFC 5545) objects of
// interviews with github.com/arran4/golang-ical: the invitations and
// their updates (METHOD:REQUEST), cancellations (METHOD:CANCEL) and a
// reviewer's feed (METHOD:PUBLISH). Times are written in Europe/Paris,
// with the zone's VTIMEZONE, so that every calendar shows them as the
// emails say them. It imports nothing of Vivier's but frfmt.
package icalendar

import (
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"vivier/internal/frfmt"
)

// ContentType is the media type of an invitation or a cancellation, with
// its method, as a calendar expects it on the part of an email.
func ContentType(m Method) string { return "text/calendar; method=" + string(m) }

// Method is what an iCalendar object asks of who receives it.
type Method string

// Methods.
const (
	Request Method = Method(ics.MethodRequest) // an invitation, or its update
	Cancel  Method = Method(ics.MethodCancel)  // the event is cancelled
	Publish Method = Method(ics.MethodPublish) // a feed: events to show
)

// Person is an organiser or an attendee.
type Person struct {
	Name, Email string
}

// Event is an interview as calendars read it.
type Event struct {
	// UID stays the same from the invitation to its cancellation;
	// Sequence rises with every change.
	UID      string
	Sequence int
	Start    time.Time
	Duration time.Duration
	Summary  string
	// Description is plain text; Location the address or the link.
	Description, Location, URL string
	Organizer                  Person
	Attendees                  []Person
	Cancelled                  bool
}

// TZID is the zone every time is written in.
const TZID = "Europe/Paris"

const localFormat = "20060102T150405"

// Write returns ev as an iCalendar object of method m, stamped at now.
func Write(m Method, now time.Time, ev Event) []byte {
	cal := newCalendar(m)
	addEvent(cal, now, ev)
	return []byte(cal.Serialize(ics.WithNewLineWindows))
}

// Feed returns events as one calendar named name (METHOD:PUBLISH), for a
// calendar application to subscribe to.
func Feed(name string, now time.Time, events []Event) []byte {
	cal := newCalendar(Publish)
	cal.SetName(name)
	cal.SetXWRCalName(name)
	cal.SetXWRTimezone(TZID)
	cal.SetRefreshInterval("PT1H")
	for _, ev := range events {
		addEvent(cal, now, ev)
	}
	return []byte(cal.Serialize(ics.WithNewLineWindows))
}

func newCalendar(m Method) *ics.Calendar {
	cal := ics.NewCalendarFor("Vivier")
	cal.SetProductId("-//Vivier//Entretiens//FR")
	cal.SetMethod(ics.Method(m))
	cal.SetCalscale("GREGORIAN")
	cal.AddVTimezone(paris())
	return cal
}

// paris is Europe/Paris since 1996: CET, and CEST from the last Sunday of
// March to the last Sunday of October.
func paris() *ics.VTimezone {
	tz := ics.NewTimezone(TZID)
	daylight := &ics.Daylight{}
	daylight.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), "+0100")
	daylight.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), "+0200")
	daylight.SetProperty(ics.ComponentProperty(ics.PropertyTzname), "CEST")
	daylight.SetProperty(ics.ComponentPropertyDtStart, "19700329T020000")
	daylight.SetProperty(ics.ComponentPropertyRrule, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")
	standard := tz.AddStandard()
	standard.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), "+0200")
	standard.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), "+0100")
	standard.SetProperty(ics.ComponentProperty(ics.PropertyTzname), "CET")
	standard.SetProperty(ics.ComponentPropertyDtStart, "19701025T030000")
	standard.SetProperty(ics.ComponentPropertyRrule, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")
	tz.Components = append([]ics.Component{daylight}, tz.Components...)
	return tz
}

func addEvent(cal *ics.Calendar, now time.Time, ev Event) {
	e := cal.AddEvent(ev.UID)
	e.SetSequence(ev.Sequence)
	e.SetDtStampTime(now)
	e.SetProperty(ics.ComponentPropertyDtStart, ev.Start.In(frfmt.Paris).Format(localFormat), ics.WithTZID(TZID))
	e.SetProperty(ics.ComponentPropertyDtEnd, ev.Start.Add(ev.Duration).In(frfmt.Paris).Format(localFormat), ics.WithTZID(TZID))
	e.SetSummary(oneLine(ev.Summary))
	if ev.Description != "" {
		e.SetDescription(ev.Description)
	}
	if ev.Location != "" {
		e.SetLocation(oneLine(ev.Location))
	}
	if ev.URL != "" {
		e.SetURL(ev.URL)
	}
	if ev.Organizer.Email != "" {
		e.SetOrganizer(ev.Organizer.Email, params(ev.Organizer)...)
	}
	for _, a := range ev.Attendees {
		p := append(params(a), ics.WithRSVP(true))
		e.AddAttendee(a.Email, append(p, ics.ParticipationRoleReqParticipant, ics.ParticipationStatusNeedsAction)...)
	}
	if ev.Cancelled {
		e.SetStatus(ics.ObjectStatusCancelled)
	} else {
		e.SetStatus(ics.ObjectStatusConfirmed)
	}
	e.SetTimeTransparency(ics.TransparencyOpaque)
}

func params(p Person) []ics.PropertyParameter {
	if p.Name == "" {
		return nil
	}
	return []ics.PropertyParameter{ics.WithCN(p.Name)}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
