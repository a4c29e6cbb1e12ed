package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pbnhl/pbnhl/internal/redact"
	"github.com/pbnhl/pbnhl/internal/transport"
	"github.com/pbnhl/pbnhl/mapping"
)

// PromptVersion names the prompt and answer format. It is part of every
// cache key: changing the prompt invalidates cached answers.
const PromptVersion = "pbnhl-suggest-2026-12-1"

// Answer targets besides standard fields and existing custom field keys.
const (
	TargetCustom = "custom" // a new custom field of the answer's type
	TargetSkip   = "skip"   // do not migrate the field
)

// Format is how the answer's JSON is requested.
type Format string

const (
	// FormatAuto asks for FormatJSONSchema and falls back to
	// FormatJSONObject, for good, when the server refuses it.
	FormatAuto Format = ""
	// FormatJSONSchema sends response_format json_schema (strict): the
	// server constrains the answer to the allowed fields and targets.
	FormatJSONSchema Format = "json_schema"
	// FormatJSONObject sends response_format json_object: any JSON object,
	// validated here against the allowed fields and targets.
	FormatJSONObject Format = "json_object"
)

// Options configure a [Suggester].
type Options struct {
	// BaseURL is the API root that /chat/completions is appended to:
	// https://api.openai.com/v1, http://localhost:11434/v1 (Ollama),
	// http://127.0.0.1:8080/v1 (llama.cpp server), a vLLM server... Plain
	// http is accepted on loopback hosts only. Required.
	BaseURL string
	// Model is sent as the request's model. Required.
	Model string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". It is never
	// logged, and removed from error messages a server might echo it in.
	APIKey string
	// Name labels the suggestions (origin "suggester:<Name>"); default
	// "llm:<Model>".
	Name string
	// CacheDir, when set, keeps every validated answer in a file (0600) named
	// by the hash of the prompt version, the endpoint, the model and the
	// request (entity, fields and their shapes, targets, samples when
	// shared): asking the same question again sends nothing.
	CacheDir string
	// Format chooses how structured output is requested; default FormatAuto.
	Format Format
	// Timeout bounds each attempt; default 2 minutes (local models are slow).
	Timeout time.Duration
	// MaxAttempts counts attempts per question, the first included; 429 and
	// 5xx answers and transport failures are retried. Default 4.
	MaxAttempts int
	// RetryBaseDelay is the first retry's backoff (it doubles); default 1s.
	RetryBaseDelay time.Duration
	// HTTPClient overrides the transport's default client.
	HTTPClient *http.Client
	// Logger receives one record per attempt (operation, status, duration;
	// never a body or the key). Nil discards.
	Logger *slog.Logger
}

// Suggester is a [mapping.Suggester] backed by an OpenAI-compatible
// chat-completions endpoint. It is safe for concurrent use.
type Suggester struct {
	o        Options
	name     string
	http     *transport.Client
	noSchema atomic.Bool // the server refused json_schema: use json_object
	// refused holds the first answer that says every later question would
	// fail alike (a refused key, an unknown model or endpoint): later
	// questions return it without being sent.
	refused atomic.Pointer[error]
	sent    atomic.Int64
	hits    atomic.Int64
}

// New returns a Suggester. It sends nothing until asked.
func New(o Options) (*Suggester, error) {
	if strings.TrimSpace(o.Model) == "" {
		return nil, errors.New("llm: a model name is required")
	}
	switch o.Format {
	case FormatAuto, FormatJSONSchema, FormatJSONObject:
	default:
		return nil, fmt.Errorf("llm: unknown format %q (json_schema or json_object)", o.Format)
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = time.Second
	}
	s := &Suggester{o: o, name: o.Name}
	if s.name == "" {
		s.name = "llm:" + o.Model
	}
	var auth transport.Authenticator
	if o.APIKey != "" {
		key := o.APIKey
		auth = transport.AuthFunc(func(context.Context) (string, error) { return "Bearer " + key, nil })
	}
	var err error
	s.http, err = transport.New(transport.Options{
		BaseURL:        o.BaseURL,
		HTTPClient:     o.HTTPClient,
		RequestTimeout: o.Timeout,
		UserAgent:      "pbnhl-propose",
		Header:         http.Header{"Accept": {"application/json"}},
		Auth:           auth,
		Retry:          transport.RetryPolicy{MaxAttempts: o.MaxAttempts, BaseDelay: o.RetryBaseDelay},
		// Up to the 16 MiB default an answer is read; a mapping answer is
		// a few kilobytes, so a much larger one is refused early.
		MaxResponseBytes: 4 << 20,
		Logger:           o.Logger,
		RateLimitHeaders: func(h http.Header, now time.Time) transport.Observation {
			ob := transport.NoObservation // not HighLevel's X-RateLimit-* names
			ob.RetryAfter = transport.ParseRetryAfter(h.Get("Retry-After"), now)
			return ob
		},
	})
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	return s, nil
}

// Name implements [mapping.Suggester].
func (s *Suggester) Name() string { return s.name }

// Requests is the number of chat-completion requests sent (attempts
// excluded: one question retried three times counts once).
func (s *Suggester) Requests() int64 { return s.sent.Load() }

// CacheHits is the number of questions answered from the cache.
func (s *Suggester) CacheHits() int64 { return s.hits.Load() }

// Suggest implements [mapping.Suggester]: it asks the model where each
// field of req goes and returns the answers that validate. An answer that
// is not JSON of the expected shape, or that names a field or target the
// question did not offer, is an error (nothing of it is used).
func (s *Suggester) Suggest(ctx context.Context, req mapping.SuggestRequest) ([]mapping.Suggestion, error) {
	q := newQuestion(req)
	if len(q.Fields) == 0 {
		return nil, nil
	}
	user, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("llm: encode question: %w", err)
	}
	key := s.cacheKey(user)
	if content, ok := s.cached(key); ok {
		if out, err := q.parse(content); err == nil {
			s.hits.Add(1)
			return out, nil
		}
		// A cache file that no longer validates (edited, or a bug fixed
		// since) is asked again and replaced.
	}
	if p := s.refused.Load(); p != nil {
		return nil, *p
	}
	content, err := s.ask(ctx, q, user)
	if err != nil {
		return nil, err
	}
	out, err := q.parse(content)
	if err != nil {
		return nil, fmt.Errorf("llm: %s: the model's answer for %s is unusable: %w", s.o.Model, req.Entity, err)
	}
	if err := s.store(key, content); err != nil {
		s.logger().Warn("llm: answer not cached", "err", err)
	}
	return out, nil
}

func (s *Suggester) logger() *slog.Logger {
	if s.o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.o.Logger
}

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model          string          `json:"model"`
	Messages       []chatMessage   `json:"messages"`
	Temperature    float64         `json:"temperature"`
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name   string         `json:"name"`
	Strict bool           `json:"strict"`
	Schema map[string]any `json:"schema"`
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
			Refusal *string `json:"refusal"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
}

type apiError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	} `json:"error"`
}

// ask sends the question and returns the answer's content.
func (s *Suggester) ask(ctx context.Context, q *question, user []byte) (string, error) {
	useSchema := s.o.Format == FormatJSONSchema || s.o.Format == FormatAuto && !s.noSchema.Load()
	for {
		body := chatRequest{Model: s.o.Model, Temperature: 0, Messages: []chatMessage{
			{Role: "system", Content: systemPrompt},
			{Role: "user", Content: string(user)},
		}}
		if useSchema {
			body.ResponseFormat = &responseFormat{Type: "json_schema",
				JSONSchema: &jsonSchema{Name: "field_mapping", Strict: true, Schema: q.schema()}}
		} else {
			body.ResponseFormat = &responseFormat{Type: "json_object"}
		}
		b, err := json.Marshal(body)
		if err != nil {
			return "", fmt.Errorf("llm: encode request: %w", err)
		}
		s.sent.Add(1)
		resp, err := s.http.Do(ctx, &transport.Request{Op: "llm.chat", Method: http.MethodPost, Path: "/chat/completions",
			Body: b, Idempotency: transport.Idempotent}) // asking again writes nothing: it only costs tokens
		if err != nil {
			return "", fmt.Errorf("llm: %s: %s", s.o.Model, s.scrub(err.Error()))
		}
		if resp.StatusCode/100 != 2 {
			msg := s.apiMessage(resp.Body)
			if useSchema && s.o.Format == FormatAuto && (resp.StatusCode == 400 || resp.StatusCode == 422) && refusesSchema(msg) {
				s.noSchema.Store(true)
				s.logger().Info("llm: the server refuses json_schema output; asking for json_object", "status", resp.StatusCode)
				useSchema = false
				continue
			}
			err := fmt.Errorf("llm: %s: HTTP %d%s", s.o.Model, resp.StatusCode, msg)
			switch resp.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
				s.refused.CompareAndSwap(nil, &err)
			}
			return "", err
		}
		var cr chatResponse
		if err := json.Unmarshal(resp.Body, &cr); err != nil {
			return "", fmt.Errorf("llm: %s: the server's answer is not a chat completion (%s)", s.o.Model, jsonErr(err))
		}
		if len(cr.Choices) == 0 {
			return "", fmt.Errorf("llm: %s: the server's answer has no choices", s.o.Model)
		}
		c := cr.Choices[0]
		switch {
		case c.Message.Refusal != nil && *c.Message.Refusal != "":
			return "", fmt.Errorf("llm: %s: the model refused to answer", s.o.Model)
		case c.FinishReason == "length":
			return "", fmt.Errorf("llm: %s: the answer was cut off at the model's token limit", s.o.Model)
		case c.Message.Content == nil || strings.TrimSpace(*c.Message.Content) == "":
			return "", fmt.Errorf("llm: %s: the answer is empty", s.o.Model)
		}
		return *c.Message.Content, nil
	}
}

// refusesSchema recognises a server's "json_schema is not supported".
func refusesSchema(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "json_schema") || strings.Contains(m, "response_format") || strings.Contains(m, "schema")
}

// apiMessage is ": <message>" from an OpenAI-style error body, scrubbed and
// cut short, or "".
func (s *Suggester) apiMessage(body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	m := s.scrub(e.Error.Message)
	if len(m) > 200 {
		m = m[:200]
		for !utf8.ValidString(m) {
			m = m[:len(m)-1]
		}
		m += "…"
	}
	return ": " + m
}

// scrub removes the API key (servers echo a wrong key back, in part or in
// full) and anything that looks like personal data.
func (s *Suggester) scrub(m string) string {
	if k := s.o.APIKey; k != "" {
		m = strings.ReplaceAll(m, k, redact.Mask)
		if len(k) >= 8 { // "Incorrect API key provided: sk-abc...wxyz"
			m = strings.ReplaceAll(m, k[:len(k)/2], redact.Mask)
			m = strings.ReplaceAll(m, k[len(k)-4:], redact.Mask)
		}
	}
	return redact.String(m)
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s is a JSON %s, not %s", cmpOr(te.Field, "the answer"), te.Value, te.Type)
	}
	return "not JSON of the expected shape"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// cacheKey names a question: prompt version, endpoint, model and the
// question itself (which is the entity's inventory as sent).
func (s *Suggester) cacheKey(user []byte) string {
	h := sha256.New()
	for _, p := range []string{PromptVersion, s.http.BaseURL(), s.o.Model, systemPrompt} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	h.Write(user)
	return hex.EncodeToString(h.Sum(nil))
}

type cacheEntry struct {
	PromptVersion string `json:"prompt_version"`
	Model         string `json:"model"`
	Answer        string `json:"answer"`
}

func (s *Suggester) cachePath(key string) string {
	return filepath.Join(s.o.CacheDir, "suggest-"+key+".json")
}

func (s *Suggester) cached(key string) (string, bool) {
	if s.o.CacheDir == "" {
		return "", false
	}
	b, err := os.ReadFile(s.cachePath(key))
	if err != nil {
		return "", false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil || e.PromptVersion != PromptVersion || e.Model != s.o.Model {
		return "", false
	}
	return e.Answer, true
}

// store writes the answer atomically, readable by its owner only.
func (s *Suggester) store(key, content string) error {
	if s.o.CacheDir == "" {
		return nil
	}
	if err := os.MkdirAll(s.o.CacheDir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(cacheEntry{PromptVersion: PromptVersion, Model: s.o.Model, Answer: content})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.o.CacheDir, ".suggest-*.tmp") // created 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), s.cachePath(key))
}

// answer is what the model is asked to return.
type answer struct {
	Mappings []answerEntry `json:"mappings"`
}

type answerEntry struct {
	Field      string   `json:"field"`
	Target     string   `json:"target"`
	Type       string   `json:"type"`
	Confidence *float64 `json:"confidence"`
	Reason     string   `json:"reason"`
}

// parse validates an answer strictly against the question: JSON of the
// expected shape (a Markdown code fence around it is tolerated), every
// field one that was asked about and at most once, every target one that
// was offered, a custom field's type one that was offered, confidence in
// [0, 1]. Errors quote field and target names (headers, not values).
func (q *question) parse(content string) ([]mapping.Suggestion, error) {
	content = strings.TrimSpace(content)
	if body, ok := strings.CutPrefix(content, "```"); ok {
		body = strings.TrimPrefix(body, "json")
		if body, ok = strings.CutSuffix(strings.TrimSpace(body), "```"); ok {
			content = body
		}
	}
	dec := json.NewDecoder(strings.NewReader(content))
	dec.DisallowUnknownFields()
	var a answer
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not a JSON object of the expected shape: %s", jsonErr(err))
	}
	if dec.More() {
		return nil, errors.New("text follows the JSON object")
	}
	if a.Mappings == nil {
		return nil, errors.New(`no "mappings" list`)
	}
	asked := map[string]bool{}
	for _, f := range q.Fields {
		asked[f.Name] = true
	}
	seen := map[string]bool{}
	var out []mapping.Suggestion
	for i, m := range a.Mappings {
		switch {
		case !asked[m.Field]:
			return nil, fmt.Errorf("entry %d names the field %s, which was not asked about", i+1, quote(m.Field))
		case seen[m.Field]:
			return nil, fmt.Errorf("the field %s is answered twice", quote(m.Field))
		case m.Confidence == nil:
			return nil, fmt.Errorf("the entry for %s has no confidence", quote(m.Field))
		case math.IsNaN(*m.Confidence) || *m.Confidence < 0 || *m.Confidence > 1:
			return nil, fmt.Errorf("the entry for %s has a confidence outside [0, 1]", quote(m.Field))
		}
		seen[m.Field] = true
		sg := mapping.Suggestion{From: m.Field, Confidence: *m.Confidence, Reason: cleanReason(m.Reason)}
		switch t := m.Target; {
		case t == TargetSkip:
			sg.Skip = true
		case t == TargetCustom && q.customAllowed():
			typ := mapping.DataType(m.Type)
			if !slices.Contains(customTypes, typ) {
				return nil, fmt.Errorf("the field %s is a new custom field of type %s, not one of %s", quote(m.Field), quote(m.Type), typeList())
			}
			sg.Type = typ
		case slices.Contains(q.Standard, t):
			sg.To = t
		default:
			i := slices.IndexFunc(q.Custom, func(c customTarget) bool { return c.Key == t })
			if i < 0 {
				return nil, fmt.Errorf("the field %s is mapped to %s, which is not an allowed target", quote(m.Field), quote(t))
			}
			sg.To, sg.Type = t, mapping.DataType(q.Custom[i].Type)
		}
		out = append(out, sg)
	}
	return out, nil
}

// quote is %q of a name cut to 60 bytes: a hallucinated name could be long.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:60]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return fmt.Sprintf("%q", s)
}

// cleanReason keeps a reason to one line of at most 240 bytes.
func cleanReason(r string) string {
	r = strings.Join(strings.Fields(r), " ")
	if len(r) > 240 {
		r = r[:240]
		for !utf8.ValidString(r) {
			r = r[:len(r)-1]
		}
		r += "…"
	}
	return r
}

// customTypes are the types a new custom field may be suggested with: those
// without options (the proposer cannot take pick-lists without them).
var customTypes = []mapping.DataType{mapping.TypeText, mapping.TypeLargeText, mapping.TypeNumerical,
	mapping.TypePhone, mapping.TypeMonetary, mapping.TypeDate, mapping.TypeEmail}

func typeList() string {
	s := make([]string, len(customTypes))
	for i, t := range customTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
