// Package closing closes a posting: it has the composer write what each
// group of applicants receives, writes the close in one transaction and
// hands the emails to the workers. The inbox (by hand) and the scheduler
// (at the closing date) both close through it.
package closing

import (
	"context"
	"fmt"

	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// Enqueue hands a posting's close emails to the workers after the commit.
type Enqueue func(ctx context.Context, postingID int64, round int) error

// Closer closes postings.
type Closer struct {
	Repo    *repository.Repo
	Emails  *compose.Composer
	Enqueue Enqueue
}

// DefaultWords returns the words each group of a close of p starts from
// (see compose.Composer.CloseWords): the posting's own wording of the
// group's email, or the default.
func (c *Closer) DefaultWords(ctx context.Context, p *repository.Posting) (map[catalog.CloseGroup]compose.Words, error) {
	saved, err := c.Repo.PostingTemplates(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return c.Emails.CloseWords(saved), nil
}

// Close closes an open posting with the given words, written in the
// wordings' language (see compose.Composer.Check); a group whose subject
// or message is blank gets nothing. It returns what it wrote;
// repository.ErrConflict when the posting was not open.
func (c *Closer) Close(ctx context.Context, p *repository.Posting, actor string, words map[catalog.CloseGroup]compose.Words) (*repository.CloseResult, error) {
	plan, err := c.Emails.Close(p, actor, words)
	if err != nil {
		return nil, err
	}
	res, err := c.Repo.ClosePosting(ctx, p.ID, plan)
	if err != nil {
		return nil, fmt.Errorf("close posting %d: %w", p.ID, err)
	}
	if c.Enqueue != nil {
		// The outbox holds the emails: if this fails, the sweep sends them.
		_ = c.Enqueue(ctx, p.ID, res.Round)
	}
	return res, nil
}
