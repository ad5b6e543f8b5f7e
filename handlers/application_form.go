package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"

	"vivier/internal/applyform"
)

// The application form is read as a stream, in the order the page sends
// it: the text fields first (the file input is the form's last field),
// then the CV. So a CV over the limit still leaves every typed value to
// show again, even when the body is cut.

// formOverhead bounds what the text fields of one form may hold together.
const formOverhead = 1 << 20

// maxFormParts bounds how many fields one form may send.
const maxFormParts = 100

// errFormTooLarge is a form whose text fields alone are over their bound.
var errFormTooLarge = errors.New("form fields too large")

// postedForm is what an application form sent.
type postedForm struct {
	Values url.Values
	// CV is the first file sent in the CV field; nil when none was chosen.
	CV *postedFile
	// Files are the first file sent in each field of a file question.
	Files map[string]*postedFile
	// Cut is true when the body was not read to its end (it was over its
	// bound): fields sent after the CV are missing.
	Cut bool
}

// postedFile is a file of the form: its content, or TooLarge.
type postedFile struct {
	Name     string
	Data     []byte
	TooLarge bool
}

// readApplicationForm reads a multipart form: the text fields (at most
// formOverhead bytes together) and one CV of at most maxCV bytes. A CV
// over the limit is not kept, but the rest of the body is read and
// discarded, up to maxCV bytes more: a browser still sending when the
// server answers and closes may show a connection error instead of the
// page. Past that, the body is cut (form.Cut).
//
// fileFields name the fields of the posting's file questions, each read
// as the CV is (maxCV bytes at most), the body's bound growing with them.
//
// On an error, form holds the values read so far.
func readApplicationForm(w http.ResponseWriter, r *http.Request, maxCV int64, fileFields ...string) (*postedForm, error) {
	form := &postedForm{Values: url.Values{}, Files: map[string]*postedFile{}}
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxCV*int64(1+len(fileFields))+formOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return form, err
	}
	textLeft := int64(formOverhead)
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		// The closing boundary is a bare io.EOF; a body ending without it
		// is a wrapped one, and unreadable.
		if err == io.EOF {
			return form, nil
		}
		if err != nil {
			return form, form.cutOr(err)
		}
		if parts == maxFormParts {
			return form, errFormTooLarge
		}
		name := part.FormName()
		switch {
		case part.FileName() == "":
			value, err := io.ReadAll(io.LimitReader(part, textLeft+1))
			if err != nil {
				return form, form.cutOr(err)
			}
			if textLeft -= int64(len(value)); textLeft < 0 {
				return form, errFormTooLarge
			}
			if name != "" {
				form.Values.Add(name, string(value))
			}
		case name == applyform.FieldCV && form.CV == nil:
			form.CV = &postedFile{Name: part.FileName()}
			form.CV.Data, form.CV.TooLarge, err = readFile(part, maxCV, r.ContentLength)
			if err != nil {
				return form, form.cutOr(err)
			}
		case slices.Contains(fileFields, name) && form.Files[name] == nil:
			f := &postedFile{Name: part.FileName()}
			form.Files[name] = f
			f.Data, f.TooLarge, err = readFile(part, maxCV, min(r.ContentLength, maxCV+1))
			if err != nil {
				return form, form.cutOr(err)
			}
		}
		// Whatever is left of the part (a CV over the limit, another file)
		// is read and dropped.
		if _, err := io.Copy(io.Discard, part); err != nil {
			return form, form.cutOr(err)
		}
	}
}

// cutOr returns err, unless it is the body's bound reached while
// dropping the rest of a CV over the limit: then the form is only cut,
// and says so. The bound reached anywhere else is errFormTooLarge.
func (f *postedForm) cutOr(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case !errors.As(err, &tooBig):
		return err
	case f.tooLarge():
		f.Cut = true
		return nil
	default:
		return errFormTooLarge
	}
}

// tooLarge reports whether a file sent (the CV or a question's) was over
// the limit.
func (f *postedForm) tooLarge() bool {
	if f.CV != nil && f.CV.TooLarge {
		return true
	}
	for _, q := range f.Files {
		if q.TooLarge {
			return true
		}
	}
	return false
}

// readFile reads a file part of at most max bytes, in one buffer sized by
// the request's length when it is known (a CV is most of the request).
// A part over max is reported too large and not kept.
func readFile(part *multipart.Part, max, requestLength int64) ([]byte, bool, error) {
	size := int64(64 << 10)
	if requestLength > 0 {
		size = min(requestLength, max+1)
	}
	buf := make([]byte, 0, size)
	lr := io.LimitReader(part, max+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(len(buf)), max+1-int64(len(buf)))))
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, err
		}
	}
	if int64(len(buf)) > max {
		return nil, true, nil
	}
	return buf, false, nil
}
