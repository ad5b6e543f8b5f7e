package handlers

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"time"

	"vivier/internal/catalog"
)

// The answers to a posting's own questions in the right-of-access
// document: each with the question as it was asked, its value typed, and
// a file's content.

type pdAnswer struct {
	Question  string               `json:"question"`
	Kind      catalog.QuestionKind `json:"type"`
	KindLabel string               `json:"type_libelle"`
	Choices   []string             `json:"choix_proposes,omitempty"`
	Value     any                  `json:"reponse"`
	File      *pdCV                `json:"fichier,omitempty"`
	At        time.Time            `json:"repondu_le"`
}

// personalDataAnswers loads an application's answers for its document.
func (h *Handler) personalDataAnswers(ctx context.Context, appID int64) ([]pdAnswer, error) {
	answers, err := h.Repo.Answers(ctx, appID)
	if err != nil {
		return nil, err
	}
	out := []pdAnswer{}
	for _, a := range answers {
		v := pdAnswer{Question: a.Label, Kind: a.Kind, KindLabel: a.Kind.Label(), Choices: a.Choices, At: paris(a.CreatedAt)}
		switch {
		case a.Text != nil:
			v.Value = *a.Text
		case a.Choice != nil:
			v.Value = *a.Choice
		case a.Selected != nil:
			v.Value = []string(a.Selected)
		case a.Bool != nil:
			v.Value = *a.Bool
		case a.Number != nil:
			v.Value = *a.Number
		case a.Date != nil:
			v.Value = a.Date.Format("2006-01-02")
		case a.FileName != nil:
			f, err := h.Repo.AnswerFile(ctx, appID, a.QuestionID)
			if err != nil {
				return nil, err
			}
			v.Value = *f.FileName
			v.File = &pdCV{FileName: *f.FileName, ContentType: *f.ContentType, SizeBytes: *f.SizeBytes,
				SHA256: hex.EncodeToString(f.SHA256), CreatedAt: paris(f.CreatedAt), Content: base64.StdEncoding.EncodeToString(f.Content)}
		}
		out = append(out, v)
	}
	return out, nil
}
