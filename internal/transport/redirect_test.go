package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sink is a server that records whatever reaches it: the second server of
// a redirect, which must never see a body or a token.
type sink struct {
	mu     sync.Mutex
	hits   int
	bodies []string
	auths  []string
	srv    *httptest.Server
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.hits++
		s.bodies = append(s.bodies, string(b))
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"from-the-other-server"}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) assertUntouched(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Zero(t, s.hits, "the redirect target was contacted (bodies %q, auth %q)", s.bodies, s.auths)
}

// redirector answers every request with status and Location target.
func redirector(status int, target func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", target())
		w.WriteHeader(status)
	})
}

const patientBody = `{"firstName":"Jane","lastName":"O'Brien","email":"jane.obrien@example.com"}`

// assertRefused checks the error is a clear *RedirectError that carries
// neither the query values of the request or of the Location nor the token.
func assertRefused(t *testing.T, err error, method string, status int, reason string) {
	t.Helper()
	require.Error(t, err)
	var re *RedirectError
	require.True(t, errors.As(err, &re), "want *RedirectError, got %T: %v", err, err)
	assert.True(t, errors.Is(err, ErrRedirectRefused))
	assert.False(t, errors.Is(err, ErrOutcomeUnknown), "a redirect is an answer: the outcome is known")
	assert.Equal(t, method, re.Method)
	assert.Equal(t, "/contacts/", re.Path)
	assert.Equal(t, status, re.StatusCode)
	assert.Contains(t, re.Reason, reason)
	for _, leak := range []string{"tok-secret", "jane", "secret-code", "?", "steal"} {
		assert.NotContains(t, strings.ToLower(err.Error()), leak)
	}
}

var leakyQuery = url.Values{"email": {"jane.obrien@example.com"}}

func TestRedirect307OnPOSTRefusedBodyNotResent(t *testing.T) {
	other := newSink(t)
	c, _ := newTestClient(t, redirector(http.StatusTemporaryRedirect, func() string {
		return other.srv.URL + "/steal?code=secret-code"
	}), nil)
	_, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "/contacts/", Query: leakyQuery, Body: []byte(patientBody)})
	assertRefused(t, err, http.MethodPost, http.StatusTemporaryRedirect, "only GET")
	other.assertUntouched(t)
}

func TestRedirect308OnPOSTToSameOriginRefused(t *testing.T) {
	// Even to the same server: a write is never re-sent.
	var mu sync.Mutex
	var paths []string
	var srvURL string
	c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/contacts/" {
			w.Header().Set("Location", srvURL+"/elsewhere/")
			w.WriteHeader(http.StatusPermanentRedirect)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}), nil)
	srvURL = srv.URL
	_, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "/contacts/", Body: []byte(patientBody)})
	assertRefused(t, err, http.MethodPost, http.StatusPermanentRedirect, "only GET")
	assert.Equal(t, []string{"/contacts/"}, paths)
}

func TestRedirect303OnPUTRefused(t *testing.T) {
	other := newSink(t)
	c, _ := newTestClient(t, redirector(http.StatusSeeOther, func() string { return other.srv.URL + "/x" }), nil)
	_, err := c.Do(context.Background(), &Request{Method: http.MethodPut, Path: "/contacts/", Body: []byte(patientBody)})
	assertRefused(t, err, http.MethodPut, http.StatusSeeOther, "only GET")
	other.assertUntouched(t)
}

func TestRedirectCrossPortRefused(t *testing.T) {
	other := newSink(t) // 127.0.0.1, another port
	c, _ := newTestClient(t, redirector(http.StatusFound, func() string { return other.srv.URL + "/steal?code=secret-code" }), nil)
	_, err := c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/", Query: leakyQuery})
	assertRefused(t, err, http.MethodGet, http.StatusFound, "another port")
	other.assertUntouched(t)
}

func TestRedirectCrossHostRefused(t *testing.T) {
	other := newSink(t)
	u, err := url.Parse(other.srv.URL)
	require.NoError(t, err)
	// localhost reaches the same listener under another host name.
	target := "http://localhost:" + u.Port() + "/steal?code=secret-code"
	c, _ := newTestClient(t, redirector(http.StatusMovedPermanently, func() string { return target }), nil)
	_, err = c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/", Query: leakyQuery})
	assertRefused(t, err, http.MethodGet, http.StatusMovedPermanently, "another host")
	other.assertUntouched(t)

	// And through Stream (document downloads) too.
	_, err = c.Stream(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/"}, 0)
	assertRefused(t, err, http.MethodGet, http.StatusMovedPermanently, "another host")
	other.assertUntouched(t)
}

func TestRedirectHTTPSDowngradeRefused(t *testing.T) {
	other := newSink(t) // plain http
	tlsSrv := httptest.NewTLSServer(redirector(http.StatusFound, func() string { return other.srv.URL + "/steal?code=secret-code" }))
	t.Cleanup(tlsSrv.Close)
	c, err := New(Options{BaseURL: tlsSrv.URL, HTTPClient: tlsSrv.Client(), Retry: fastRetry, Auth: staticAuth("tok-secret")})
	require.NoError(t, err)
	_, err = c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/", Query: leakyQuery})
	assertRefused(t, err, http.MethodGet, http.StatusFound, "downgrade https to http")
	other.assertUntouched(t)
}

func TestRedirectPolicySameHostAndPortDowngradeRefused(t *testing.T) {
	// https://h:8443 → http://h:8443: only the scheme changes.
	first := httptest.NewRequest(http.MethodGet, "https://api.example.com:8443/contacts/", nil)
	next := httptest.NewRequest(http.MethodGet, "http://api.example.com:8443/contacts/", nil)
	next.Header.Set("Authorization", "Bearer tok-secret")
	next.Response = &http.Response{StatusCode: http.StatusFound}
	err := redirectPolicy("Authorization")(next, []*http.Request{first})
	var re *RedirectError
	require.True(t, errors.As(err, &re))
	assert.Contains(t, re.Reason, "downgrade")
	assert.Equal(t, "http://api.example.com:8443", re.Target)

	// Default ports count as the same port; an explicit other one does not.
	first = httptest.NewRequest(http.MethodGet, "https://api.example.com/a", nil)
	ok := httptest.NewRequest(http.MethodGet, "https://API.example.com:443/b", nil)
	ok.Header.Set("Authorization", "Bearer tok-secret")
	require.NoError(t, redirectPolicy("Authorization")(ok, []*http.Request{first}))
	assert.Empty(t, ok.Header.Get("Authorization"), "credentials are dropped even on a followed redirect")
	bad := httptest.NewRequest(http.MethodGet, "https://api.example.com:8443/b", nil)
	require.ErrorIs(t, redirectPolicy("Authorization")(bad, []*http.Request{first}), ErrRedirectRefused)
}

func TestRedirectSameOriginGETFollowedWithoutCredentials(t *testing.T) {
	var mu sync.Mutex
	var movedAuth, movedKey []string
	var logs bytes.Buffer
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/contacts/" {
			http.Redirect(w, r, "/moved/?code=secret-code", http.StatusFound)
			return
		}
		mu.Lock()
		movedAuth = append(movedAuth, r.Header.Get("Authorization"))
		movedKey = append(movedKey, r.Header.Get("X-Api-Key"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"ok":true}`))
	}), func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	resp, err := c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/", Query: leakyQuery})
	require.NoError(t, err)
	assert.Equal(t, `{"ok":true}`, string(resp.Body))
	assert.Equal(t, []string{""}, movedAuth, "the bearer token must not follow a redirect")
	assert.NotContains(t, logs.String(), "tok-secret")
	assert.NotContains(t, logs.String(), "secret-code")

	// A custom credential header is dropped as well.
	c2, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/contacts/" {
			http.Redirect(w, r, "/moved/", http.StatusFound)
			return
		}
		mu.Lock()
		movedKey = append(movedKey, r.Header.Get("X-Api-Key"))
		mu.Unlock()
	}), func(o *Options) { o.AuthHeader = "X-API-Key" })
	_, err = c2.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/"})
	require.NoError(t, err)
	assert.Equal(t, []string{"", ""}, movedKey)
}

func TestRedirectLoopBounded(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/contacts/", http.StatusFound)
	}), nil)
	_, err := c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/contacts/"})
	assertRefused(t, err, http.MethodGet, http.StatusFound, "more than")
}

func TestRedirectPolicyOnCopyOfCallersClient(t *testing.T) {
	hc := &http.Client{}
	_, err := New(Options{BaseURL: "https://api.example.com", HTTPClient: hc})
	require.NoError(t, err)
	assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
}
