package handlers

import (
	"context"
	"crypto/sha256"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"

	"vivier/internal/applyform"
	"vivier/internal/catalog"
	"vivier/internal/compose"
	"vivier/repository"
)

// The posting's own questions on its application form, their answers on
// the application's page, and the files answered.

// questionInput is one question of the form, as the page asks it.
type questionInput struct {
	Field, Label, Hint, Value, Error string
	Kind                             catalog.QuestionKind
	Required                         bool
	Options                          []questionOption
	InputType, InputMode             string
	MaxLen                           int
	MaxUpload                        string
}

type questionOption struct {
	Value, Label string
	Checked      bool
}

// formQuestions reads a posting's questions as the form checks them.
func (h *Handler) formQuestions(ctx context.Context, postingID int64) ([]applyform.Question, error) {
	rows, err := h.Repo.Questions(ctx, postingID)
	if err != nil {
		return nil, err
	}
	out := make([]applyform.Question, 0, len(rows))
	for i := range rows {
		out = append(out, questionOf(&rows[i]))
	}
	return out, nil
}

// questionInputs builds the form's questions, files apart (they come last,
// after the CV), with what was typed and the errors of a refused form.
func (h *Handler) questionInputs(qs []applyform.Question, form *formView) (body, files []questionInput) {
	for _, q := range qs {
		in := questionInput{Field: applyform.QuestionField(q.ID), Label: q.Label, Hint: q.Help, Kind: q.Kind,
			Required: q.Required, InputType: "text", MaxUpload: applyform.HumanSize(h.Config.UploadMaxBytes)}
		var sent []string
		if form != nil {
			sent = form.Values[in.Field]
			in.Error = form.Errors[in.Field]
		}
		if len(sent) > 0 {
			in.Value = sent[0]
		}
		switch q.Kind {
		case catalog.QuestionShortText:
			in.MaxLen = applyform.MaxShortAnswerLen
		case catalog.QuestionLongText:
			in.MaxLen = applyform.MaxLongAnswerLen
		case catalog.QuestionOneChoice, catalog.QuestionChoices:
			for _, c := range q.Choices {
				in.Options = append(in.Options, questionOption{Value: c, Label: c, Checked: slices.Contains(sent, c)})
			}
		case catalog.QuestionYesNo:
			in.Options = []questionOption{{Value: applyform.Yes, Label: "Oui", Checked: in.Value == applyform.Yes},
				{Value: applyform.No, Label: "Non", Checked: in.Value == applyform.No}}
		case catalog.QuestionNumber:
			in.InputMode = "decimal"
			if b := numberBounds(q.Min, q.Max); b != "" {
				in.Hint = joinHint(in.Hint, "Un nombre "+b+".")
			}
		case catalog.QuestionDate:
			in.InputType = "date"
		case catalog.QuestionLink:
			in.InputType, in.MaxLen = "url", applyform.MaxLinkLen
			in.Hint = joinHint(in.Hint, "Un lien commençant par https://.")
		}
		if q.Kind == catalog.QuestionFile {
			files = append(files, in)
		} else {
			body = append(body, in)
		}
	}
	return body, files
}

func joinHint(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// fileFields names the form fields of the file questions.
func fileFields(qs []applyform.Question) []string {
	var out []string
	for _, q := range qs {
		if q.Kind == catalog.QuestionFile {
			out = append(out, applyform.QuestionField(q.ID))
		}
	}
	return out
}

// uploads gives the files sent for the questions to their check.
func uploads(form *postedForm) map[string]*applyform.Upload {
	out := map[string]*applyform.Upload{}
	for name, f := range form.Files {
		out[name] = &applyform.Upload{Name: f.Name, Data: f.Data, TooLarge: f.TooLarge}
	}
	return out
}

// answerRows turns checked answers into rows, with the wording they
// answer.
func answerRows(answers []applyform.Answer, qs []applyform.Question) []repository.Answer {
	out := make([]repository.Answer, 0, len(answers))
	for _, a := range answers {
		q := a.Question
		row := repository.Answer{QuestionID: q.ID, Position: slices.IndexFunc(qs, func(x applyform.Question) bool { return x.ID == q.ID }) + 1,
			Kind: q.Kind, Label: q.Label, Choices: pq.StringArray(q.Choices)}
		switch q.Kind {
		case catalog.QuestionShortText, catalog.QuestionLongText, catalog.QuestionLink:
			row.Text = &a.Text
		case catalog.QuestionOneChoice:
			row.Choice = &a.Choice
		case catalog.QuestionChoices:
			row.Selected = pq.StringArray(a.Choices)
		case catalog.QuestionYesNo:
			row.Bool = &a.Bool
		case catalog.QuestionNumber:
			row.Number = &a.Number
		case catalog.QuestionDate:
			row.Date = &a.Date
		case catalog.QuestionFile:
			size := int64(len(a.File.Data))
			sum := sha256Of(a.File.Data)
			row.FileName, row.ContentType, row.SizeBytes, row.SHA256, row.Content = &a.File.Name, &a.File.ContentType, &size, sum, a.File.Data
		}
		out = append(out, row)
	}
	return out
}

// answerView is an answer as reviewers read it.
type answerView struct {
	Label, Value string
	// Note says when the question changed or was removed since.
	Note    string
	FileURL string
	Link    bool
	Long    bool
}

// answerText writes an answer's value in French (see compose.AnswerText).
func answerText(a repository.Answer) string { return compose.AnswerText(a) }

// answerViews shows an application's answers, noting those whose question
// changed or went since.
func answerViews(appID int64, answers []repository.Answer, current []repository.Question) []answerView {
	labels := map[int64]string{}
	for _, q := range current {
		labels[q.ID] = q.Label
	}
	out := make([]answerView, 0, len(answers))
	for _, a := range answers {
		v := answerView{Label: a.Label, Value: answerText(a), Link: a.Kind == catalog.QuestionLink, Long: a.Kind == catalog.QuestionLongText}
		if now, ok := labels[a.QuestionID]; !ok {
			v.Note = "question retirée depuis"
		} else if now != a.Label {
			v.Note = "question reformulée depuis : « " + now + " »"
		}
		if a.FileName != nil {
			v.FileURL = "/boite/candidatures/" + strconv.FormatInt(appID, 10) + "/reponses/" + strconv.FormatInt(a.QuestionID, 10)
		}
		out = append(out, v)
	}
	return out
}

// applicationAnswers loads what the application page shows of the
// answers; hidden: the application is shown as a number, its files are
// not (see repository.AnswersForReviewers).
func (h *Handler) applicationAnswers(ctx context.Context, a *repository.Application, hidden bool) ([]answerView, error) {
	answers, err := h.Repo.Answers(ctx, a.ID)
	if err != nil || len(answers) == 0 {
		return nil, err
	}
	current, err := h.Repo.Questions(ctx, a.PostingID)
	if err != nil {
		return nil, err
	}
	return answerViews(a.ID, repository.AnswersForReviewers(answers, hidden), current), nil
}

// answerFile sends the file an application answered a question with,
// as an attachment (recorded like a CV opened); none during a blind first
// pass, as no CV.
func (h *Handler) answerFile(c *gin.Context) {
	a, p, ok := h.reviewedApplication(c)
	if !ok {
		return
	}
	if repository.ShownOf(p, a).Hidden {
		h.notFound(c)
		return
	}
	qid, err := strconv.ParseInt(c.Param("qid"), 10, 64)
	if err != nil {
		h.notFound(c)
		return
	}
	f, err := h.Repo.AnswerFile(c.Request.Context(), a.ID, qid)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.audit(c, repository.AuditCVOpened, a.PostingID, a.ID, map[string]any{"telechargement": true, "question": qid})
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": *f.FileName}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, *f.ContentType, f.Content)
}

func sha256Of(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}
