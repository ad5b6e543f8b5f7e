package workers

import (
	"errors"
	"math/rand/v2"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// The relay's limits: SMTP_RATE paces every worker through one schedule
// in Redis (internal/sendrate), and a relay that still says it receives
// too many makes that schedule slower for a while; the email it refused
// goes back to the outbox untouched, without counting as a failed
// attempt, and is sent again a little later.

// RelayBusyError is a relay's temporary refusal for receiving too much
// (421, 450, 451 or 452 in rate words, or an enhanced status 4.7.x).
type RelayBusyError struct{ Err error }

func (e *RelayBusyError) Error() string {
	return "le relais reçoit trop de messages : " + e.Err.Error()
}
func (e *RelayBusyError) Unwrap() error { return e.Err }

// NotNowError says an email was put back in the outbox without being
// tried, and After how long to try again: asynq counts it neither as a
// failure nor as a retry.
type NotNowError struct {
	Reason string
	After  time.Duration
}

func (e *NotNowError) Error() string { return e.Reason }

// rateWords are how relays say "too many" (Postfix, Exim, Gmail, Outlook,
// Brevo, Mailjet...).
var rateWords = regexp.MustCompile(`(?i)too many|\brate\b|rate.?limit|\blimit|throttl|slow down|quota|exceeded|too fast|frequency`)

// policyCode is an enhanced status of class 4.7 (security or policy) in
// a reply's text, for relays whose EHLO does not announce them.
var policyCode = regexp.MustCompile(`\b4\.7\.\d{1,3}\b`)

// relayBusy tells a relay's "too many" among send errors; nil for any
// other error.
func relayBusy(err error) *RelayBusyError {
	if err == nil {
		return nil
	}
	code, enhanced, text := 0, "", err.Error()
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		code, enhanced = se.ErrorCode(), se.EnhancedStatusCode()
	case errors.As(err, &te):
		code, text = te.Code, te.Msg
	}
	if code < 400 || code >= 500 {
		return nil
	}
	if strings.HasPrefix(enhanced, "4.7.") || policyCode.MatchString(text) {
		return &RelayBusyError{Err: err}
	}
	switch code {
	case 421, 450, 451, 452:
		if rateWords.MatchString(text) {
			return &RelayBusyError{Err: err}
		}
	}
	return nil
}

// isFailure is asynq's IsFailure: a task put back without being tried is
// not a failure, and spends none of its retries.
func isFailure(err error) bool {
	var notNow *NotNowError
	return err != nil && !errors.As(err, &notNow)
}

// notNowDelay is the wait before trying again an email put back: what the
// error says, with up to 20 % jitter so that the emails put back together
// do not all come back at once.
func notNowDelay(err error) (time.Duration, bool) {
	var notNow *NotNowError
	if !errors.As(err, &notNow) {
		return 0, false
	}
	d := max(notNow.After, time.Second)
	return d + time.Duration(float64(d)*0.2*rand.Float64()), true
}
