package importer

import (
	"github.com/lib/pq"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/internal/posting"
	"vivier/repository"
)

// FromRow maps a stored posting back to a parsed one, the inverse of Row,
// so that it can be written out with (*posting.Posting).Markdown. The file
// name it gets is "<slug>.md", the name it is downloaded under. A posting
// that is not open (draft, closed, archived) is written as closed: the
// beta.gouv.fr format knows only open and closed.
func FromRow(r *repository.Posting) *posting.Posting {
	return &posting.Posting{
		SourceName: r.Slug + ".md", Slug: r.Slug,
		Title: r.Title, Organisation: r.Organisation, ContactEmail: r.ContactEmail,
		Contract: r.Contract, ExternalURL: r.ExternalURL, OpensAt: r.OpensAt, ClosesAt: r.ClosesAt,
		Open: r.Status == catalog.PostingOpen, Domains: nilIfEmpty(r.Domains), Technos: nilIfEmpty(r.Technos),
		Junior: r.Junior, BodyMarkdown: r.BodyMD, BodyHTML: r.BodyHTML, ExcerptHTML: r.ExcerptHTML,
		Questions: formQuestions(r.Questions), HasQuestions: r.HasQuestions,
	}
}

// questionRows maps a file's questions to rows, in order.
func questionRows(qs []applyform.Question) []repository.Question {
	if qs == nil {
		return nil
	}
	out := make([]repository.Question, 0, len(qs))
	for _, q := range qs {
		out = append(out, repository.Question{Kind: q.Kind, Label: q.Label, Help: q.Help, Required: q.Required,
			Choices: pq.StringArray(nonNil(q.Choices)), Min: q.Min, Max: q.Max, InList: q.InList})
	}
	return out
}

// formQuestions maps stored questions back to a file's.
func formQuestions(rows []repository.Question) []applyform.Question {
	if len(rows) == 0 {
		return nil
	}
	out := make([]applyform.Question, 0, len(rows))
	for _, q := range rows {
		out = append(out, applyform.Question{Kind: q.Kind, Label: q.Label, Help: q.Help, Required: q.Required,
			Choices: nilIfEmpty(q.Choices), Min: q.Min, Max: q.Max, InList: q.InList})
	}
	return out
}

// nilIfEmpty gives an empty list the nil the parser returns for no values.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
