package main

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"vivier/internal/mailcatcher"
)

// mailbox is the SMTP server of the run: the tests' catcher
// (internal/mailcatcher), keeping whole only the messages to one watched
// address (the admin's sign-in links) and the header of the others, which
// is all the run needs to count 10,000 updates by the Message-ID Vivier
// gives each outbox row ("vivier.email.<id>@domain").
type mailbox struct {
	*mailcatcher.Catcher
}

func startMailbox(watch string) (*mailbox, error) {
	c, err := mailcatcher.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.SetKeep(func(_ string, to []string) bool {
		return slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, watch) })
	})
	return &mailbox{c}, nil
}

// Mark is where the next message will be: a phase of the run (a close, a
// baseline) counts the messages from its mark on.
func (m *mailbox) Mark() int { return len(m.Messages()) }

type arrival struct {
	first time.Time
	count int
}

// Arrivals returns what arrived since mark, by email id, with the time of
// the first copy.
func (m *mailbox) Arrivals(mark int) map[int64]arrival {
	out := map[int64]arrival{}
	for _, msg := range m.Messages()[mark:] {
		id := emailID(msg.Header.Get("Message-Id"))
		if id == 0 {
			continue // not one of Vivier's emails
		}
		a, seen := out[id]
		if !seen {
			a.first = msg.Received
		}
		a.count++
		out[id] = a
	}
	return out
}

// WaitIDs waits until every id arrived since mark, or timeout passes; it
// returns how many are still missing.
func (m *mailbox) WaitIDs(mark int, ids []int64, timeout time.Duration) int {
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.Now().Add(timeout)
	for seen := mark; ; {
		msgs := m.Messages()
		for _, msg := range msgs[seen:] {
			delete(want, emailID(msg.Header.Get("Message-Id")))
		}
		seen = len(msgs)
		if len(want) == 0 || time.Now().After(deadline) {
			return len(want)
		}
		// Polled rather than woken by each arrival, and only the new
		// messages read: otherwise the benchmark measures itself.
		time.Sleep(50 * time.Millisecond)
	}
}

// emailID reads the outbox id out of "<vivier.email.42@domain>"; 0 if none.
func emailID(messageID string) int64 {
	const prefix = "vivier.email."
	i := strings.Index(messageID, prefix)
	if i < 0 {
		return 0
	}
	rest := messageID[i+len(prefix):]
	if j := strings.IndexByte(rest, '@'); j > 0 {
		rest = rest[:j]
	}
	id, _ := strconv.ParseInt(rest, 10, 64)
	return id
}
