package repository

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"slices"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Code says what kind of failure an error is, whatever its source: the
// web answers each code with its HTTP status and French page
// (handlers.ErrorStatusCode), so no caller reads an error's text.
type Code string

const (
	// EInternal is a bug or a failure nobody planned for.
	EInternal Code = "internal"
	// ENotFound: no row matched (ErrNotFound).
	ENotFound Code = "not_found"
	// EConflict: the change contradicts what is stored, a unique key or a
	// state (ErrConflict).
	EConflict Code = "conflict"
	// EUnavailable: PostgreSQL (or another service) does not answer now;
	// the same request may succeed in a moment.
	EUnavailable Code = "unavailable"
)

var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change contradicts what is stored (a unique key, a state).
	ErrConflict = errors.New("conflict")
)

// Error is an error of a known code with, for people, a French heading
// and message saying what happened (WithMessage builds one).
type Error struct {
	Code             Code
	Heading, Message string
	// Err is the cause.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// WithMessage gives err, when its code is code, a heading and a message
// for people; any other error (nil included) is returned as it is.
func WithMessage(err error, code Code, heading, message string) error {
	if err == nil || ErrorCode(err) != code {
		return err
	}
	return &Error{Code: code, Heading: heading, Message: message, Err: err}
}

// ErrorCode classifies err ("" for nil): an *Error by its code, the
// sentinel errors by theirs, PostgreSQL's errors by their SQLSTATE and
// network errors by their type. Anything else is EInternal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return ENotFound
	case errors.Is(err, ErrConflict), isUniqueViolation(err, ""):
		return EConflict
	case unavailable(err):
		return EUnavailable
	}
	return EInternal
}

// unavailableCodes are the SQLSTATEs of a server that cannot serve now,
// besides class 08 (connection exceptions).
var unavailableCodes = []pqerror.Code{
	pqerror.AdminShutdown,      // 57P01: terminated, or the server stops
	pqerror.CrashShutdown,      // 57P02
	pqerror.CannotConnectNow,   // 57P03: starting up, shutting down, in recovery
	pqerror.TooManyConnections, // 53300
	pqerror.QueryCanceled,      // 57014: cut by a deadline or statement_timeout
}

// unavailableErrors are what the network, the driver and database/sql
// return when the server does not answer (lib/pq turns a dropped
// connection and a FATAL error into driver.ErrBadConn).
var unavailableErrors = []error{
	driver.ErrBadConn, io.EOF, io.ErrUnexpectedEOF, context.DeadlineExceeded,
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE, syscall.ETIMEDOUT,
}

func unavailable(err error) bool {
	if pqErr := pq.As(err); pqErr != nil {
		return pqErr.Code.Class() == pqerror.ClassConnectionException || slices.Contains(unavailableCodes, pqErr.Code)
	}
	for _, target := range unavailableErrors {
		if errors.Is(err, target) {
			return true
		}
	}
	// *net.OpError (refused, reset, timed out), *net.DNSError and the like.
	_, isNet := errors.AsType[net.Error](err)
	return isNet
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation,
// optionally on the named constraint or index.
func isUniqueViolation(err error, constraint string) bool {
	pqErr := pq.As(err, pqerror.UniqueViolation)
	return pqErr != nil && (constraint == "" || pqErr.Constraint == constraint)
}
