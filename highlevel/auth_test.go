package highlevel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oauthServer is a token endpoint that issues access-N / refresh-N pairs
// and revokes each refresh token when it is used (rotation).
type oauthServer struct {
	*testServer
	mu        sync.Mutex
	n         int
	valid     map[string]bool // refresh tokens still usable
	access    map[string]bool // access tokens still valid
	refreshes atomic.Int32
	gate      chan struct{} // when set, refreshes wait on it
	ttl       int
}

func newOAuthServer(t *testing.T) *oauthServer {
	s := &oauthServer{testServer: newTestServer(t), valid: map[string]bool{"refresh-0": true}, access: map[string]bool{}, ttl: 86399}
	s.handle("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		if r.Form.Get("client_id") != "app-id" || r.Form.Get("client_secret") != "app-secret" {
			writeJSON(w, 401, `{"statusCode":401,"message":"Invalid client","error":"Unauthorized"}`)
			return
		}
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			if r.Form.Get("code") != "the-code" {
				writeJSON(w, 400, `{"error":"invalid_grant","error_description":"Invalid authorization code"}`)
				return
			}
		case "refresh_token":
			s.refreshes.Add(1)
			if s.gate != nil {
				<-s.gate
			}
			s.mu.Lock()
			ok := s.valid[r.Form.Get("refresh_token")]
			delete(s.valid, r.Form.Get("refresh_token"))
			s.mu.Unlock()
			if !ok {
				writeJSON(w, 400, `{"error":"invalid_grant","error_description":"Invalid refresh token: `+r.Form.Get("refresh_token")+`"}`)
				return
			}
		default:
			writeJSON(w, 422, `{"statusCode":422,"message":["grant_type must be valid"]}`)
			return
		}
		s.mu.Lock()
		s.n++
		acc, ref := fmt.Sprintf("access-%d", s.n), fmt.Sprintf("refresh-%d", s.n)
		s.valid[ref] = true
		s.access[acc] = true
		s.mu.Unlock()
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":%d,"refresh_token":%q,
			"scope":"contacts.readonly","userType":"Location","locationId":%q,"companyId":"co-1","userId":"u-1"}`, acc, s.ttl, ref, testLocation))
	})
	s.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ok := s.access[trimBearer(r.Header.Get("Authorization"))]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, 401, `{"statusCode":401,"message":"Invalid JWT","error":"Unauthorized"}`)
			return
		}
		writeJSON(w, 200, `{"contact":{"id":"c1"}}`)
	})
	return s
}

func (s *oauthServer) oauth(t *testing.T, store TokenStore) *OAuth {
	a, err := NewOAuth(OAuthOptions{ClientID: "app-id", ClientSecret: "app-secret", RedirectURI: "https://app.example/cb",
		Store: store, BaseURL: s.srv.URL})
	require.NoError(t, err)
	return a
}

func (s *oauthServer) client(t *testing.T, auth TokenSource) *Client {
	c, err := NewClient(Options{BaseURL: s.srv.URL, LocationID: testLocation, Auth: auth,
		Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	require.NoError(t, err)
	return c
}

func TestOAuthExchange(t *testing.T) {
	s := newOAuthServer(t)
	store := NewMemoryTokenStore(Token{})
	a := s.oauth(t, store)
	before := time.Now()
	tok, err := a.Exchange(context.Background(), "the-code")
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok.AccessToken)
	assert.Equal(t, "refresh-1", tok.RefreshToken)
	assert.Equal(t, testLocation, tok.LocationID)
	assert.WithinDuration(t, before.Add(86399*time.Second), tok.ExpiresAt, 5*time.Second)
	saved, err := store.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok, saved)

	r := s.last()
	assert.Equal(t, "/oauth/token", r.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Empty(t, r.Header.Get("Authorization"))
	form, err := url.ParseQuery(string(r.Body))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"client_id": {"app-id"}, "client_secret": {"app-secret"}, "grant_type": {"authorization_code"},
		"code": {"the-code"}, "user_type": {"Location"}, "redirect_uri": {"https://app.example/cb"}}, form)

	_, err = a.Exchange(context.Background(), "wrong-code")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "invalid_grant", ae.ErrorText)
	assert.NotContains(t, err.Error(), "app-secret")
	_, err = a.Exchange(context.Background(), "")
	assert.Error(t, err)
}

func TestOAuthRefreshBeforeExpiryRotates(t *testing.T) {
	s := newOAuthServer(t)
	store := NewMemoryTokenStore(Token{AccessToken: "access-0", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(time.Minute)})
	a := s.oauth(t, store)
	c := s.client(t, a)
	_, err := c.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, int32(1), s.refreshes.Load(), "refreshed because it expires within 5 minutes")
	saved, _ := store.Load(context.Background())
	assert.Equal(t, "access-1", saved.AccessToken)
	assert.Equal(t, "refresh-1", saved.RefreshToken, "the rotated refresh token is persisted")
	form, _ := url.ParseQuery(string(s.requests()[0].Body))
	assert.Equal(t, "refresh_token", form.Get("grant_type"))
	assert.Equal(t, "refresh-0", form.Get("refresh_token"))

	// Fresh token: no refresh.
	_, err = c.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, int32(1), s.refreshes.Load())
}

func TestOAuthRefreshOnceOn401(t *testing.T) {
	s := newOAuthServer(t)
	// Not expired by its own clock, but HighLevel rejects it (revoked).
	store := NewMemoryTokenStore(Token{AccessToken: "revoked", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(time.Hour)})
	c := s.client(t, s.oauth(t, store))
	_, err := c.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, int32(1), s.refreshes.Load())
	var paths []string
	for _, r := range s.requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	assert.Equal(t, []string{"GET /contacts/c1", "POST /oauth/token", "GET /contacts/c1"}, paths)
}

func TestOAuthPersistent401IsReturnedAfterOneRefresh(t *testing.T) {
	s := newOAuthServer(t)
	s.handle("GET /contacts/c2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}`)
	})
	store := NewMemoryTokenStore(Token{AccessToken: "x", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(time.Hour)})
	c := s.client(t, s.oauth(t, store))
	_, err := c.Contacts.Get(context.Background(), "c2")
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, int32(1), s.refreshes.Load())
}

func TestOAuthConcurrentCallsShareOneRefresh(t *testing.T) {
	s := newOAuthServer(t)
	s.gate = make(chan struct{})
	store := NewMemoryTokenStore(Token{AccessToken: "access-0", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(-time.Minute)})
	c := s.client(t, s.oauth(t, store))
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Contacts.Get(context.Background(), "c1")
			errs <- err
		}()
	}
	// Hold the refresh until it is requested, then let it finish.
	for s.refreshes.Load() == 0 {
		time.Sleep(time.Millisecond) // polling a condition
	}
	close(s.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), s.refreshes.Load(), "one refresh for %d waiting calls", n)
}

func TestOAuthRefreshSurvivesCallerCancellation(t *testing.T) {
	s := newOAuthServer(t)
	s.gate = make(chan struct{})
	store := NewMemoryTokenStore(Token{AccessToken: "access-0", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(-time.Minute)})
	a := s.oauth(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.Token(ctx)
		done <- err
	}()
	for s.refreshes.Load() == 0 {
		time.Sleep(time.Millisecond) // polling a condition
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled, "the caller stops waiting at once")
	close(s.gate)
	// The refresh itself completes and is saved: the rotated token is not lost.
	tok, err := a.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok)
	saved, _ := store.Load(context.Background())
	assert.Equal(t, "refresh-1", saved.RefreshToken)
	assert.Equal(t, int32(1), s.refreshes.Load())
}

type failingStore struct{ *MemoryTokenStore }

func (failingStore) Save(context.Context, Token) error { return errors.New("disk full") }

func TestOAuthSaveFailureKeepsNewTokenInMemory(t *testing.T) {
	s := newOAuthServer(t)
	store := failingStore{NewMemoryTokenStore(Token{AccessToken: "access-0", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(-time.Minute)})}
	a := s.oauth(t, store)
	_, err := a.Token(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not persisted")
	tok, err := a.Token(context.Background())
	require.NoError(t, err, "the new token keeps working in this process")
	assert.Equal(t, "access-1", tok)
}

func TestOAuthRevokedRefreshToken(t *testing.T) {
	s := newOAuthServer(t)
	store := NewMemoryTokenStore(Token{AccessToken: "access-0", RefreshToken: "refresh-stolen", ExpiresAt: time.Now().Add(-time.Minute)})
	a := s.oauth(t, store)
	_, err := a.Token(context.Background())
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.NotContains(t, err.Error(), "refresh-stolen")
	assert.NotContains(t, err.Error(), "app-secret")
}

func TestOAuthNoToken(t *testing.T) {
	s := newOAuthServer(t)
	a := s.oauth(t, NewMemoryTokenStore(Token{}))
	_, err := a.Token(context.Background())
	assert.ErrorIs(t, err, ErrNoToken)
	_, err = NewOAuth(OAuthOptions{ClientID: "x"})
	assert.Error(t, err)
	_, err = NewOAuth(OAuthOptions{ClientID: "x", ClientSecret: "y"})
	assert.Error(t, err)
}

func TestOAuthForcedRefresh(t *testing.T) {
	s := newOAuthServer(t)
	a := s.oauth(t, NewMemoryTokenStore(Token{AccessToken: "access-0", RefreshToken: "refresh-0", ExpiresAt: time.Now().Add(time.Hour)}))
	tok, err := a.Refresh(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok.AccessToken)
	cur, err := a.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok, cur)
}

func TestLocationToken(t *testing.T) {
	s := newOAuthServer(t)
	var issued atomic.Int32
	s.handle("POST /oauth/locationToken", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		if r.Header.Get("Authorization") != "Bearer agency-access" {
			writeJSON(w, 401, `{"statusCode":401,"message":"Invalid JWT","error":"Unauthorized"}`)
			return
		}
		n := issued.Add(1)
		acc := fmt.Sprintf("loc-access-%d", n)
		s.mu.Lock()
		s.access[acc] = true
		s.mu.Unlock()
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":86399,"scope":"contacts.write",
			"locationId":%q,"userId":"u-1","planId":"p","appId":"a","versionId":"v"}`, acc, r.Form.Get("locationId")))
	})
	agency, err := NewOAuth(OAuthOptions{ClientID: "app-id", ClientSecret: "app-secret", UserType: "Company", BaseURL: s.srv.URL,
		Store: NewMemoryTokenStore(Token{AccessToken: "agency-access", RefreshToken: "agency-refresh", UserType: "Company", ExpiresAt: time.Now().Add(time.Hour)})})
	require.NoError(t, err)

	tok, err := agency.LocationToken(context.Background(), "co-1", testLocation)
	require.NoError(t, err)
	assert.Equal(t, "loc-access-1", tok.AccessToken)
	assert.Empty(t, tok.RefreshToken, "location tokens have no refresh token")
	assert.Equal(t, testLocation, tok.LocationID)
	r := s.last()
	assert.Equal(t, Version20210728, r.Header.Get("Version"))
	form, _ := url.ParseQuery(string(r.Body))
	assert.Equal(t, url.Values{"companyId": {"co-1"}, "locationId": {testLocation}}, form)

	// As a TokenSource: fetched lazily, refetched after a 401.
	c := s.client(t, agency.LocationTokenSource("co-1", testLocation))
	_, err = c.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, int32(2), issued.Load())
	s.mu.Lock()
	delete(s.access, "loc-access-2") // revoked
	s.mu.Unlock()
	_, err = c.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, int32(3), issued.Load())

	_, err = agency.LocationToken(context.Background(), "", testLocation)
	assert.Error(t, err)
}

func TestFileTokenStore(t *testing.T) {
	dir := t.TempDir()
	st := &FileTokenStore{Path: filepath.Join(dir, "token.json")}
	_, err := st.Load(context.Background())
	require.ErrorIs(t, err, ErrNoToken)
	tok := Token{AccessToken: "a", RefreshToken: "r", ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), LocationID: "l"}
	require.NoError(t, st.Save(context.Background(), tok))
	fi, err := os.Stat(st.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok, got)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary files left behind")

	require.NoError(t, os.WriteFile(st.Path, []byte("{not json secret-r"), 0o600))
	_, err = st.Load(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-r")
}

func TestTokensNeverPrinted(t *testing.T) {
	tok := Token{AccessToken: "acc-SECRET", RefreshToken: "ref-SECRET", LocationID: "l"}
	st := StaticToken("pit-SECRET")
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("tokens", "token", tok, "static", st)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprint(st), fmt.Sprintf("%#v", st), buf.String()} {
		assert.NotContains(t, s, "SECRET")
	}
	_, err := StaticToken("").Token(context.Background())
	assert.ErrorIs(t, err, ErrNoToken)
}

func TestFileTokenStoreSyncsDirectoryAfterRename(t *testing.T) {
	dir := t.TempDir()
	st := &FileTokenStore{Path: filepath.Join(dir, "token.json")}
	var synced []string
	orig := syncDir
	t.Cleanup(func() { syncDir = orig })
	syncDir = func(d string) error {
		// Called once the new file is in place, on its directory.
		b, err := os.ReadFile(st.Path)
		require.NoError(t, err)
		assert.Contains(t, string(b), "refresh-2")
		synced = append(synced, d)
		return orig(d)
	}
	require.NoError(t, st.Save(context.Background(), Token{AccessToken: "a", RefreshToken: "refresh-2"}))
	assert.Equal(t, []string{dir}, synced)

	// A directory that cannot be synced makes Save fail: the caller must
	// not believe the rotated token durable.
	syncDir = func(string) error { return errors.New("EIO") }
	err := st.Save(context.Background(), Token{AccessToken: "a", RefreshToken: "refresh-3"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not yet durable")
	assert.NotContains(t, err.Error(), "refresh-3")
}

func TestFileTokenStoreRefusesFileOthersCanRead(t *testing.T) {
	dir := t.TempDir()
	st := &FileTokenStore{Path: filepath.Join(dir, "token.json")}
	require.NoError(t, st.Save(context.Background(), Token{AccessToken: "acc-secret", RefreshToken: "ref-secret"}))
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o602} {
		require.NoError(t, os.Chmod(st.Path, mode))
		_, err := st.Load(context.Background())
		require.ErrorIs(t, err, ErrTokenFileMode, "mode %04o", mode)
		assert.Contains(t, err.Error(), "chmod 600 "+st.Path)
		assert.NotContains(t, err.Error(), "secret")
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		require.NoError(t, os.Chmod(st.Path, mode))
		tok, err := st.Load(context.Background())
		require.NoError(t, err, "mode %04o", mode)
		assert.Equal(t, "acc-secret", tok.AccessToken)
	}
}
