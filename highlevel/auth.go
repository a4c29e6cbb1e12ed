package highlevel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/internal/transport"
)

// TokenSource supplies the bearer token of each call.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// refresher is implemented by sources that can replace a token HighLevel
// rejected with a 401.
type refresher interface {
	refreshRejected(ctx context.Context, rejected string) error
}

// StaticToken is a fixed token: a Private Integration Token ("pit-…") of a
// sub-account. It is never printed: String and LogValue redact it.
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token(context.Context) (string, error) {
	if t == "" {
		return "", ErrNoToken
	}
	return string(t), nil
}

// String redacts the token.
func (t StaticToken) String() string { return "StaticToken([REDACTED])" }

// GoString redacts the token.
func (t StaticToken) GoString() string { return t.String() }

// LogValue redacts the token.
func (t StaticToken) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// ErrNoToken: no token is available (empty static token, empty store, or an
// expired access token without a refresh token).
var ErrNoToken = errors.New("highlevel: no usable token")

// Token is an OAuth token as HighLevel issues it. Its String and LogValue
// never include the secrets.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
	Scope        string    `json:"scope,omitempty"`
	UserType     string    `json:"user_type,omitempty"` // "Location" or "Company"
	LocationID   string    `json:"location_id,omitempty"`
	CompanyID    string    `json:"company_id,omitempty"`
	UserID       string    `json:"user_id,omitempty"`
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("Token{userType:%s location:%s company:%s expires:%s}", t.UserType, t.LocationID, t.CompanyID, t.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString describes the token without its secrets.
func (t Token) GoString() string { return t.String() }

// LogValue describes the token without its secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("userType", t.UserType), slog.String("locationId", t.LocationID),
		slog.String("companyId", t.CompanyID), slog.Time("expiresAt", t.ExpiresAt))
}

// TokenStore persists OAuth tokens. HighLevel replaces the refresh token on
// every refresh and invalidates the old one, so Save must be durable before
// the new token is used.
type TokenStore interface {
	// Load returns the stored token, or an error matching ErrNoToken.
	Load(ctx context.Context) (Token, error)
	Save(ctx context.Context, t Token) error
}

// MemoryTokenStore keeps the token in memory (tests, short-lived tools).
type MemoryTokenStore struct {
	mu  sync.Mutex
	tok *Token
}

// NewMemoryTokenStore returns a store holding t (if t has an access or
// refresh token).
func NewMemoryTokenStore(t Token) *MemoryTokenStore {
	s := &MemoryTokenStore{}
	if t.AccessToken != "" || t.RefreshToken != "" {
		s.tok = &t
	}
	return s
}

// Load implements TokenStore.
func (s *MemoryTokenStore) Load(context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		return Token{}, ErrNoToken
	}
	return *s.tok, nil
}

// Save implements TokenStore.
func (s *MemoryTokenStore) Save(_ context.Context, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok = &t
	return nil
}

// FileTokenStore keeps the token as JSON in a file readable only by its
// owner, replaced atomically (write, fsync, rename, fsync of the directory)
// on every Save: HighLevel revokes the previous refresh token as soon as it
// issues a new one, so a rotation lost in a crash would lose the grant.
// Load refuses a file that its group or others can access (the token is a
// credential to the practice's patient data).
type FileTokenStore struct {
	Path string
	mu   sync.Mutex
}

// ErrTokenFileMode: the token file can be read or written by users other
// than its owner; Load refuses it until it is chmod 600.
var ErrTokenFileMode = errors.New("highlevel: token file is accessible to other users")

// Load implements TokenStore.
func (s *FileTokenStore) Load(context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.Open(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Token{}, ErrNoToken
	}
	if err != nil {
		return Token{}, fmt.Errorf("highlevel: reading token file: %w", err)
	}
	defer f.Close()
	// The mode of the file opened, not of the path: no window between the
	// check and the read.
	fi, err := f.Stat()
	if err != nil {
		return Token{}, fmt.Errorf("highlevel: reading token file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return Token{}, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s (and consider rotating the token if others could read it)",
			ErrTokenFileMode, s.Path, perm, s.Path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return Token{}, fmt.Errorf("highlevel: reading token file: %w", err)
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return Token{}, fmt.Errorf("highlevel: token file %s is not valid JSON", filepath.Base(s.Path))
	}
	return t, nil
}

// Save implements TokenStore.
func (s *FileTokenStore) Save(_ context.Context, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	f, err := os.CreateTemp(dir, ".token-*")
	if err != nil {
		return fmt.Errorf("highlevel: saving token: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("highlevel: saving token: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("highlevel: saving token: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("highlevel: saving token: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("highlevel: saving token: %w", err)
	}
	if err := os.Rename(tmp, s.Path); err != nil {
		return fmt.Errorf("highlevel: saving token: %w", err)
	}
	// The rename is durable only once the directory is: until then a crash
	// can bring back the old file, whose refresh token is already revoked.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("highlevel: saving token: written but not yet durable (directory sync): %w", err)
	}
	return nil
}

// syncDir fsyncs a directory (a no-op where directories cannot be synced).
// A variable so tests can see it called after the rename.
var syncDir = func(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// OAuthOptions configure an [OAuth] token source.
type OAuthOptions struct {
	ClientID     string // required
	ClientSecret string // required
	// RedirectURI is sent with the authorization-code exchange.
	RedirectURI string
	// UserType is "Location" (default: a sub-account token, what a
	// migration needs) or "Company" (an agency token).
	UserType string
	// Store persists tokens; required. Refresh tokens rotate on every
	// refresh and the old one stops working, so the store must be durable.
	Store TokenStore
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// HTTPClient overrides the default client.
	HTTPClient *http.Client
	// RefreshBefore is how long before expiry a token is refreshed.
	// Default 5 minutes.
	RefreshBefore time.Duration
	// Logger receives redacted records of token calls.
	Logger *slog.Logger
}

// OAuth is a TokenSource for HighLevel's OAuth 2.0: authorization-code
// exchange, refresh before expiry and once after a 401, refresh-token
// rotation persisted through the TokenStore, and at most one refresh in
// flight however many calls wait for it. A refresh, once started, is not
// abandoned when the calling context is cancelled: HighLevel has already
// rotated the refresh token, and losing the answer would lose the grant.
//
// One OAuth must own a store: two processes refreshing the same refresh
// token race, and the loser's token is revoked.
type OAuth struct {
	opts  OAuthOptions
	http  *transport.Client
	cache *tokenCache
}

// NewOAuth returns an OAuth token source.
func NewOAuth(o OAuthOptions) (*OAuth, error) {
	if o.ClientID == "" || o.ClientSecret == "" {
		return nil, errors.New("highlevel: OAuth needs ClientID and ClientSecret")
	}
	if o.Store == nil {
		return nil, errors.New("highlevel: OAuth needs a TokenStore")
	}
	if o.UserType == "" {
		o.UserType = "Location"
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = 5 * time.Minute
	}
	t, err := transport.New(transport.Options{
		BaseURL:    o.BaseURL,
		HTTPClient: o.HTTPClient,
		UserAgent:  defaultUserAgent,
		Header:     http.Header{"Accept": {"application/json"}},
		Retry:      transport.RetryPolicy{MaxAttempts: 3},
		Logger:     o.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("highlevel: %w", err)
	}
	a := &OAuth{opts: o, http: t}
	a.cache = &tokenCache{
		before: o.RefreshBefore,
		now:    time.Now,
		load:   o.Store.Load,
		renew:  a.renew,
	}
	return a, nil
}

// Token implements TokenSource: the stored access token, refreshed first
// when it expires within RefreshBefore.
func (a *OAuth) Token(ctx context.Context) (string, error) {
	t, err := a.cache.get(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

// Current returns the current token (loading it from the store if needed)
// without refreshing it.
func (a *OAuth) Current(ctx context.Context) (Token, error) { return a.cache.current(ctx) }

// Refresh forces a refresh now and returns the new token.
func (a *OAuth) Refresh(ctx context.Context) (Token, error) {
	cur, err := a.cache.current(ctx)
	if err != nil {
		return Token{}, err
	}
	return a.cache.refresh(ctx, cur.AccessToken)
}

func (a *OAuth) refreshRejected(ctx context.Context, rejected string) error {
	_, err := a.cache.refresh(ctx, rejected)
	return err
}

// Exchange trades an authorization code (from the redirect after the user
// installed the app) for tokens, saves them and returns them.
func (a *OAuth) Exchange(ctx context.Context, code string) (Token, error) {
	if code == "" {
		return Token{}, errors.New("highlevel: oauth.exchange: empty authorization code")
	}
	form := url.Values{
		"client_id":     {a.opts.ClientID},
		"client_secret": {a.opts.ClientSecret},
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"user_type":     {a.opts.UserType},
	}
	if a.opts.RedirectURI != "" {
		form.Set("redirect_uri", a.opts.RedirectURI)
	}
	t, err := a.tokenCall(ctx, "oauth.exchange", form, Token{})
	if err != nil {
		return Token{}, err
	}
	if err := a.opts.Store.Save(ctx, t); err != nil {
		return Token{}, fmt.Errorf("highlevel: oauth.exchange: token obtained but not saved: %w", err)
	}
	a.cache.set(t)
	return t, nil
}

// renew refreshes cur with its refresh token and persists the result.
func (a *OAuth) renew(ctx context.Context, cur Token) (Token, error) {
	if cur.RefreshToken == "" {
		return Token{}, fmt.Errorf("highlevel: oauth.refresh: %w (no refresh token)", ErrNoToken)
	}
	form := url.Values{
		"client_id":     {a.opts.ClientID},
		"client_secret": {a.opts.ClientSecret},
		"grant_type":    {"refresh_token"},
		"refresh_token": {cur.RefreshToken},
		"user_type":     {a.opts.UserType},
	}
	t, err := a.tokenCall(ctx, "oauth.refresh", form, cur)
	if err != nil {
		return Token{}, err
	}
	if err := a.opts.Store.Save(ctx, t); err != nil {
		// The old refresh token is already revoked: keep the new one in
		// memory so this process keeps working, and say so.
		a.cache.set(t)
		return t, fmt.Errorf("highlevel: oauth.refresh: new token not persisted (the previous refresh token is revoked): %w", err)
	}
	return t, nil
}

// tokenResponse is the body of /oauth/token and /oauth/locationToken.
type tokenResponse struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    float64 `json:"expires_in"`
	RefreshToken string  `json:"refresh_token"`
	Scope        string  `json:"scope"`
	UserType     string  `json:"userType"`
	LocationID   string  `json:"locationId"`
	CompanyID    string  `json:"companyId"`
	UserID       string  `json:"userId"`
}

func (r tokenResponse) token(prev Token, now time.Time) Token {
	t := Token{
		AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, TokenType: r.TokenType,
		Scope: r.Scope, UserType: r.UserType, LocationID: r.LocationID, CompanyID: r.CompanyID, UserID: r.UserID,
	}
	if r.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(time.Duration(r.ExpiresIn * float64(time.Second))).UTC()
	}
	if t.RefreshToken == "" {
		t.RefreshToken = prev.RefreshToken
	}
	if t.UserType == "" {
		t.UserType = prev.UserType
	}
	if t.LocationID == "" {
		t.LocationID = prev.LocationID
	}
	if t.CompanyID == "" {
		t.CompanyID = prev.CompanyID
	}
	return t
}

var opToken = operation{name: "oauth.token", method: http.MethodPost}

func (a *OAuth) tokenCall(ctx context.Context, name string, form url.Values, prev Token) (Token, error) {
	op := opToken
	op.name = name
	req := &transport.Request{
		Op: name, Method: op.method, Path: "/oauth/token", NoAuth: true,
		Body: []byte(form.Encode()), ContentType: "application/x-www-form-urlencoded",
	}
	return doTokenRequest(ctx, a.http, req, prev)
}

func doTokenRequest(ctx context.Context, c *transport.Client, req *transport.Request, prev Token) (Token, error) {
	k := call{op: operation{name: req.Op, method: req.Method}, path: req.Path}
	resp, err := c.Do(ctx, req)
	if err != nil {
		return Token{}, transportErr(k, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Token{}, newAPIError(req.Op, req.Method, req.Path, resp.StatusCode, resp.Header, resp.Body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.Body, &tr); err != nil {
		return Token{}, &DecodeError{Operation: req.Op, Err: err}
	}
	if tr.AccessToken == "" {
		return Token{}, &DecodeError{Operation: req.Op, Err: errors.New("no access_token in response")}
	}
	return tr.token(prev, time.Now()), nil
}

// LocationToken exchanges this agency (Company) token for a token of one of
// its sub-accounts (POST /oauth/locationToken). Location tokens come without
// a refresh token; LocationTokenSource fetches new ones as needed.
func (a *OAuth) LocationToken(ctx context.Context, companyID, locationID string) (Token, error) {
	if companyID == "" || locationID == "" {
		return Token{}, errors.New("highlevel: oauth.locationToken: companyId and locationId are required")
	}
	c, err := transport.New(transport.Options{
		BaseURL:    a.opts.BaseURL,
		HTTPClient: a.opts.HTTPClient,
		UserAgent:  defaultUserAgent,
		Header:     http.Header{"Accept": {"application/json"}},
		Auth:       bearer{a},
		Retry:      transport.RetryPolicy{MaxAttempts: 3},
		Logger:     a.opts.Logger,
	})
	if err != nil {
		return Token{}, fmt.Errorf("highlevel: %w", err)
	}
	form := url.Values{"companyId": {companyID}, "locationId": {locationID}}
	req := &transport.Request{
		Op: "oauth.locationToken", Method: http.MethodPost, Path: "/oauth/locationToken",
		Header: http.Header{"Version": {Version20210728}},
		Body:   []byte(form.Encode()), ContentType: "application/x-www-form-urlencoded",
	}
	t, err := doTokenRequest(ctx, c, req, Token{UserType: "Location", LocationID: locationID, CompanyID: companyID})
	if err != nil {
		return Token{}, err
	}
	t.RefreshToken = "" // never inherit the agency's refresh token
	return t, nil
}

// LocationTokenSource returns a TokenSource for one sub-account of this
// agency token: it calls LocationToken when it has no token, when the token
// expires within RefreshBefore, and once after a 401. Tokens are kept in
// memory only.
func (a *OAuth) LocationTokenSource(companyID, locationID string) TokenSource {
	s := &locationSource{}
	s.cache = &tokenCache{
		before: a.opts.RefreshBefore,
		now:    time.Now,
		load:   func(context.Context) (Token, error) { return Token{}, ErrNoToken },
		renew: func(ctx context.Context, _ Token) (Token, error) {
			return a.LocationToken(ctx, companyID, locationID)
		},
	}
	return s
}

type locationSource struct{ cache *tokenCache }

func (s *locationSource) Token(ctx context.Context) (string, error) {
	t, err := s.cache.get(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (s *locationSource) refreshRejected(ctx context.Context, rejected string) error {
	_, err := s.cache.refresh(ctx, rejected)
	return err
}

// tokenCache holds one token and renews it at most once at a time.
type tokenCache struct {
	before time.Duration
	now    func() time.Time
	load   func(context.Context) (Token, error)
	renew  func(context.Context, Token) (Token, error)

	mu       sync.Mutex
	tok      Token
	loaded   bool
	inflight *flight
}

type flight struct {
	done chan struct{}
	tok  Token
	err  error
}

// refreshTimeout bounds a refresh that runs detached from its caller.
const refreshTimeout = time.Minute

func (c *tokenCache) set(t Token) {
	c.mu.Lock()
	c.tok, c.loaded = t, true
	c.mu.Unlock()
}

func (c *tokenCache) current(ctx context.Context) (Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		t, err := c.load(ctx)
		if err != nil && !errors.Is(err, ErrNoToken) {
			return Token{}, err
		}
		c.tok, c.loaded = t, err == nil
	}
	return c.tok, nil
}

func (c *tokenCache) get(ctx context.Context) (Token, error) {
	t, err := c.current(ctx)
	if err != nil {
		return Token{}, err
	}
	if t.AccessToken != "" && (t.ExpiresAt.IsZero() || c.now().Add(c.before).Before(t.ExpiresAt)) {
		return t, nil
	}
	nt, err := c.refresh(ctx, t.AccessToken)
	if err != nil {
		// A token that is close to expiry but not expired still works.
		if t.AccessToken != "" && c.now().Before(t.ExpiresAt) && !errors.Is(err, context.Canceled) {
			return t, nil
		}
		return Token{}, err
	}
	return nt, nil
}

// refresh renews the token unless it already changed from stale (another
// caller refreshed it), sharing one renewal between concurrent callers. The
// renewal runs detached from ctx; a cancelled caller stops waiting only.
func (c *tokenCache) refresh(ctx context.Context, stale string) (Token, error) {
	c.mu.Lock()
	if c.loaded && c.tok.AccessToken != "" && c.tok.AccessToken != stale {
		t := c.tok
		c.mu.Unlock()
		return t, nil
	}
	f := c.inflight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.inflight = f
		cur := c.tok
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
			defer cancel()
			t, err := c.renew(rctx, cur)
			c.mu.Lock()
			if t.AccessToken != "" {
				c.tok, c.loaded = t, true
			}
			f.tok, f.err = t, err
			c.inflight = nil
			c.mu.Unlock()
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil && f.tok.AccessToken == "" {
			return Token{}, f.err
		}
		return f.tok, f.err
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
}
