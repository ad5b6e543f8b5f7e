package inbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"vivier/internal/config"
	"vivier/internal/metrics"
	"vivier/repository"
)

// The folders messages are filed in once read: the reader never deletes
// mail.
const (
	FolderParent    = "Vivier"
	FolderProcessed = "traités"
	FolderUnmatched = "non-rattachés"
)

// Reader reads the mailbox of INBOUND_IMAP_URL: every message in it is
// handed to the Processor, then moved to Vivier/traités (stored, seen
// before, or for an erased application) or Vivier/non-rattachés. It waits
// for new mail with IDLE where the server offers it, polling otherwise.
// A message is moved only once what it says is committed, and the
// database keeps each message once: two readers, or a reader that died
// between the two steps, store nothing twice.
type Reader struct {
	IMAP      config.IMAP
	Processor *Processor
	Repo      *repository.Repo
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	// Poll is how often the mailbox is read without IDLE, and the longest
	// an IDLE lasts before it is read again.
	Poll time.Duration
	// MaxBackoff bounds the wait between two attempts to reach a mailbox
	// that fails (5 minutes when zero); the first wait is a second.
	MaxBackoff time.Duration
	// Dial opens the connection (net.Dialer's when nil); tests cut it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Run reads the mailbox until ctx ends, reconnecting after a failure with
// a growing wait (with jitter), recorded for /readyz and the metrics.
func (r *Reader) Run(ctx context.Context) {
	wait := time.Second
	maxWait := r.MaxBackoff
	if maxWait <= 0 {
		maxWait = 5 * time.Minute
	}
	for ctx.Err() == nil {
		reached, err := r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if reached {
			wait = time.Second
		}
		r.Log.Warn("mailbox not read; will try again", "error", err, "mailbox", r.IMAP.Addr(), "retry_in", wait)
		r.Metrics.InboundUp(false)
		stateCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := r.Repo.RecordInboundState(stateCtx, r.name(), failure(err)); err != nil {
			r.Log.Warn("record mailbox state", "error", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait + time.Duration(rand.Int64N(int64(wait)/5+1))):
		}
		wait = min(wait*2, maxWait)
	}
}

// name is the mailbox as /readyz's table keys it (no password).
func (r *Reader) name() string { return r.IMAP.Username + "@" + r.IMAP.Addr() + "/" + r.IMAP.Mailbox }

// failure says, without the password, why the mailbox was not read.
func failure(err error) string {
	if err == nil {
		return "connexion fermée"
	}
	var ne net.Error
	var ie *imap.Error
	switch {
	case errors.As(err, &ie) && ie.Code == imap.ResponseCodeAuthenticationFailed:
		return "identifiants refusés par le serveur IMAP"
	case errors.As(err, &ne):
		return "serveur IMAP injoignable : " + ne.Error()
	}
	return err.Error()
}

// session connects, files every message of the mailbox and waits for
// more, until the connection fails or ctx ends. reached says whether the
// mailbox was opened (the backoff starts again).
func (r *Reader) session(ctx context.Context) (reached bool, err error) {
	wake := make(chan struct{}, 1)
	opts := &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		},
	}}
	c, err := r.dial(ctx, opts)
	if err != nil {
		return false, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	if err := c.Login(r.IMAP.Username, r.IMAP.Password).Wait(); err != nil {
		return false, fmt.Errorf("login: %w", err)
	}
	processed, unmatched, err := r.folders(c)
	if err != nil {
		return false, err
	}
	sel, err := c.Select(r.IMAP.Mailbox, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("select %s: %w", r.IMAP.Mailbox, err)
	}
	r.Log.Info("mailbox open", "mailbox", r.IMAP.Addr(), "messages", sel.NumMessages, "idle", c.Caps().Has(imap.CapIdle))
	for {
		if err := r.readAll(ctx, c, sel.UIDValidity, processed, unmatched); err != nil {
			return true, err
		}
		r.Metrics.InboundUp(true)
		if err := r.Repo.RecordInboundState(ctx, r.name(), ""); err != nil {
			return true, err
		}
		if err := r.wait(ctx, c, wake); err != nil {
			return true, err
		}
	}
}

func (r *Reader) dial(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
	dial := r.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second}
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", r.IMAP.Addr())
	if err != nil {
		return nil, err
	}
	switch r.IMAP.TLS {
	case "implicit":
		return imapclient.New(tlsClient(conn, r.IMAP.Host), opts), nil
	case "starttls":
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
		return c, nil
	}
	return imapclient.New(conn, opts), nil
}

// folders creates Vivier/traités and Vivier/non-rattachés if missing,
// with the server's hierarchy separator, and returns their names.
func (r *Reader) folders(c *imapclient.Client) (processed, unmatched string, err error) {
	delim := '/'
	if list, err := c.List("", "", nil).Collect(); err == nil && len(list) > 0 && list[0].Delim != 0 {
		delim = list[0].Delim
	}
	processed = FolderParent + string(delim) + FolderProcessed
	unmatched = FolderParent + string(delim) + FolderUnmatched
	for _, name := range []string{FolderParent, processed, unmatched} {
		err := c.Create(name, nil).Wait()
		var ie *imap.Error
		if err != nil && !(errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAlreadyExists || name == FolderParent)) {
			return "", "", fmt.Errorf("create folder %s: %w", name, err)
		}
	}
	return processed, unmatched, nil
}

// readAll files every message of the selected mailbox, oldest first.
func (r *Reader) readAll(ctx context.Context, c *imapclient.Client, validity uint32, processed, unmatched string) error {
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	for _, uid := range found.AllUIDs() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		outcome, there, err := r.readOne(ctx, c, validity, uid)
		if err != nil {
			return err
		}
		if !there {
			continue // filed meanwhile by another reader
		}
		r.Metrics.InboundMessage(outcome.String())
		to := processed
		if outcome == Unmatched {
			to = unmatched
		}
		if err := r.move(c, uid, to); err != nil {
			return err
		}
	}
	return nil
}

// readOne streams one message (its body read once, PEEK: it stays unseen
// until filed) into the processor; there is false when the message is
// gone (another reader filed it).
func (r *Reader) readOne(ctx context.Context, c *imapclient.Client, validity uint32, uid imap.UID) (Outcome, bool, error) {
	fetch := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	defer fetch.Close()
	msg := fetch.Next()
	if msg == nil {
		if err := fetch.Close(); err != nil {
			return 0, false, fmt.Errorf("fetch UID %d: %w", uid, err)
		}
		return 0, false, nil
	}
	var outcome Outcome
	var perr error
	seen := false
	for item := msg.Next(); item != nil; item = msg.Next() {
		body, ok := item.(imapclient.FetchItemDataBodySection)
		if !ok || body.Literal == nil {
			continue
		}
		seen = true
		where := r.IMAP.Mailbox + ":" + strconv.FormatUint(uint64(validity), 10) + ":" + strconv.FormatUint(uint64(uid), 10)
		outcome, perr = r.Processor.Process(ctx, body.Literal, where)
		_, _ = io.Copy(io.Discard, body.Literal)
	}
	if err := fetch.Close(); err != nil {
		return 0, false, fmt.Errorf("fetch UID %d: %w", uid, err)
	}
	if perr != nil {
		return 0, false, fmt.Errorf("process UID %d: %w", uid, perr)
	}
	return outcome, seen, nil
}

// move files a message, with MOVE where the server offers it, else COPY,
// then the original flagged deleted and expunged (by UID, that one only).
func (r *Reader) move(c *imapclient.Client, uid imap.UID, to string) error {
	set := imap.UIDSetNum(uid)
	if c.Caps().Has(imap.CapMove) {
		if _, err := c.Move(set, to).Wait(); err != nil {
			return fmt.Errorf("move UID %d to %s: %w", uid, to, err)
		}
		return nil
	}
	if _, err := c.Copy(set, to).Wait(); err != nil {
		return fmt.Errorf("copy UID %d to %s: %w", uid, to, err)
	}
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return fmt.Errorf("flag UID %d: %w", uid, err)
	}
	if c.Caps().Has(imap.CapUIDPlus) {
		if err := c.UIDExpunge(set).Close(); err != nil {
			return fmt.Errorf("expunge UID %d: %w", uid, err)
		}
	}
	return nil
}

// wait returns when new mail may have come: told by IDLE, or after Poll.
func (r *Reader) wait(ctx context.Context, c *imapclient.Client, wake <-chan struct{}) error {
	poll := r.Poll
	if poll <= 0 {
		poll = 30 * time.Second
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	if !c.Caps().Has(imap.CapIdle) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		return c.Noop().Wait()
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-wake:
	case <-timer.C:
	case <-c.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	return ctx.Err()
}
