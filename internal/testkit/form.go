package testkit

import (
	"archive/zip"
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// File is a file part of a form.
type File struct {
	Field, Name string
	Data        []byte
}

// Multipart encodes values and files as a multipart/form-data body.
func Multipart(tb testing.TB, values url.Values, files ...File) (body *bytes.Buffer, contentType string) {
	tb.Helper()
	body = &bytes.Buffer{}
	w := multipart.NewWriter(body)
	for k, vs := range values {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for _, f := range files {
		part, err := w.CreateFormFile(f.Field, f.Name)
		if err != nil {
			tb.Fatal(err)
		}
		part.Write(f.Data)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return body, w.FormDataContentType()
}

// PostMultipart posts a form and returns the response with its body read.
func PostMultipart(tb testing.TB, c *http.Client, url string, values url.Values, files ...File) (*http.Response, string) {
	tb.Helper()
	body, ct := Multipart(tb, values, files...)
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	return Do(tb, c, req)
}

// Get fetches a page and returns the response with its body read.
func Get(tb testing.TB, c *http.Client, url string) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return Do(tb, c, req)
}

// PostForm posts an urlencoded form.
func PostForm(tb testing.TB, c *http.Client, url string, values url.Values) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(values.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return Do(tb, c, req)
}

// Do sends a request and reads the whole body.
func Do(tb testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	tb.Helper()
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.String()
}

// PDF returns a small but real PDF document of about size bytes.
func PDF(size int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	b.WriteString("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	b.WriteString("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n")
	for b.Len() < size-40 {
		fmt.Fprintf(&b, "%% filler %d\n", b.Len())
	}
	b.WriteString("trailer << /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// DOCX returns a minimal Word document, recognised by its content.
func DOCX() []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>`},
		{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>CV</w:t></w:r></w:p></w:body></w:document>`},
	} {
		w, _ := z.Create(f[0])
		w.Write([]byte(f[1]))
	}
	z.Close()
	return b.Bytes()
}
