package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// newClient is an HTTP client that does not follow redirects (a 303 is
// the answer being measured) and keeps up to conns connections open.
func newClient(conns int, jar http.CookieJar) *http.Client {
	return &http.Client{
		Jar:     jar,
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			IdleConnTimeout: 30 * time.Second, DisableCompression: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends a request and reads the whole answer.
func do(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func postForm(ctx context.Context, c *http.Client, u string, v url.Values) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(c, req)
}

func get(ctx context.Context, c *http.Client, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	return do(c, req)
}

var signInLink = regexp.MustCompile(`/connexion/lien/[A-Za-z0-9_-]+`)

// signIn goes through the real flow: ask for a link at /connexion, read
// it from the SMTP server, and press the button (a POST). It returns a
// client holding the session cookie.
func signIn(ctx context.Context, baseURL, email string, smtpd *mailbox) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := newClient(8, jar)
	before := smtpd.Mark()
	resp, _, err := postForm(ctx, c, baseURL+"/connexion", url.Values{"email": {email}})
	if err != nil {
		return nil, fmt.Errorf("ask for a sign-in link: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ask for a sign-in link: status %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	var link string
	for link == "" {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no sign-in link reached the SMTP server within 30 s (is the worker running?)")
		}
		for _, msg := range smtpd.Messages()[before:] {
			if m := signInLink.FindString(msg.Text); m != "" {
				link = m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, _, err = postForm(ctx, c, baseURL+link, url.Values{})
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in: status %d, want 303", resp.StatusCode)
	}
	return c, nil
}
