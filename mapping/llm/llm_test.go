package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

const testModel = "test-model-1"

// patientsInventory samples a generated practice's patients, as propose does.
func patientsInventory(t testing.TB) mapping.SourceInventory {
	t.Helper()
	p := pbntest.MustPractice(7, 80)
	seq := func(yield func(mapping.Record) bool) {
		for pt := range p.Patients() {
			if !yield(mapping.Struct(&pt)) {
				return
			}
		}
	}
	e := mapping.SampleRecords("patients", seq, nil, mapping.InventoryOptions{})
	require.NotEmpty(t, e.Fields)
	return mapping.SourceInventory{Entities: []mapping.EntityInventory{e}}
}

func newTestSuggester(t testing.TB, f *fakeLLM, o Options) *Suggester {
	t.Helper()
	o.BaseURL, o.Model = f.url(), f.model
	if o.APIKey == "" {
		o.APIKey = f.key
	}
	if o.RetryBaseDelay == 0 {
		o.RetryBaseDelay = time.Millisecond
	}
	s, err := New(o)
	require.NoError(t, err)
	return s
}

func recordedReply(_ int, req *sentRequest) (int, http.Header, string) {
	return 200, nil, completion(recorded(&req.question))
}

// TestRequestHoldsShapesNotValues: by default no sample value of the
// generated practice reaches the server, only names and shapes; with
// ShareSamples redacted samples go, and still no e-mail, phone, name or
// street.
func TestRequestHoldsShapesNotValues(t *testing.T) {
	inv := patientsInventory(t)
	f := newFake(t, testModel, "sk-test-0123456789")
	f.reply = recordedReply
	s := newTestSuggester(t, f, Options{})
	_, err := mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{Suggesters: []mapping.Suggester{s}})
	require.NoError(t, err)
	require.Equal(t, 1, f.requests())
	body := sentText(t, f.body(0))
	var checked int
	for _, fld := range inv.Entities[0].Fields {
		for _, v := range fld.Samples {
			v = strings.TrimSpace(v)
			// Short values ("WA", "Yes", "12") also spell target names,
			// types and numbers of the question: only longer ones can be
			// told apart from the question's own words.
			if len(v) < 5 || v == "Patient" || v == "Female" || v == "0001-01-01" {
				continue
			}
			checked++
			assert.NotContains(t, body, v, "a sample value of %s was sent", fld.Name)
		}
	}
	assert.Greater(t, checked, 500, "the check saw the practice's values")
	for _, want := range []string{`"name":"email"`, `"pattern":"(ddd)ddd-dddd"`, `"fill":`, `"standard_fields":[`} {
		assert.Contains(t, body, want)
	}
	assert.Contains(t, f.body(0), `"type":"json_schema"`)
	assert.NotContains(t, body, "redacted_samples")
	assert.NotContains(t, body, `"name":"id"`, "the source key is not asked about")

	// Opt-in: redacted samples, and none of a person's values in clear.
	_, err = mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{
		Suggesters: []mapping.Suggester{s}, ShareSamples: true})
	require.NoError(t, err)
	require.Equal(t, 2, f.requests())
	var q question
	require.NoError(t, json.Unmarshal([]byte(userMessage(t, f.body(1))), &q))
	sent := map[string][]string{}
	for _, qf := range q.Fields {
		sent[qf.Name] = qf.Samples
	}
	assert.Contains(t, sent["homePhone"], "(###)###-####")
	assert.Contains(t, sent["status"], "Patient", "a category goes as written")
	personal := 0
	for _, fld := range inv.Entities[0].Fields {
		switch fld.Name {
		case "firstName", "lastName", "email", "homePhone", "mobilePhone", "workPhone", "address.line1", "birthDate", "notes", "preferredName":
		default:
			continue
		}
		require.NotEmpty(t, sent[fld.Name], fld.Name)
		for _, v := range fld.Samples {
			if v = strings.TrimSpace(v); len(v) >= 2 {
				personal++
				for _, r := range sent[fld.Name] {
					assert.NotContains(t, r, v, "a value of %s was sent in clear", fld.Name)
				}
			}
		}
	}
	assert.Greater(t, personal, 300)
}

// userMessage is the user message of a captured request body.
func userMessage(t testing.TB, body string) string {
	t.Helper()
	var req sentRequest
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	require.Len(t, req.Messages, 2)
	return req.Messages[1].Content
}

// sentText is the text of a request's messages, JSON escapes undone.
func sentText(t testing.TB, body string) string {
	t.Helper()
	var req sentRequest
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestAnswersMergeWithHeuristics: agreement raises confidence, a skip the
// heuristics did not make is a review item with both reasons, and a new
// custom field is named by the proposer.
func TestAnswersMergeWithHeuristics(t *testing.T) {
	inv := patientsInventory(t)
	base, err := mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{})
	require.NoError(t, err)
	f := newFake(t, testModel, "")
	f.reply = recordedReply
	s := newTestSuggester(t, f, Options{Name: "ai"})
	pr, err := mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{Suggesters: []mapping.Suggester{s}})
	require.NoError(t, err)
	before, after := base.Map.Objects[0], pr.Map.Objects[0]

	hEmail, aEmail := before.Field("email"), after.Field("email")
	require.NotNil(t, hEmail)
	require.NotNil(t, aEmail)
	assert.Greater(t, aEmail.Confidence, hEmail.Confidence, "agreement raises confidence")
	assert.Equal(t, "heuristic+suggester:ai", aEmail.Origin)
	assert.Contains(t, aEmail.Reason, "ai agrees (header and the a@a.a pattern)")

	var why string
	for _, r := range pr.Review {
		if r.Field == "custom.lifetime_production" {
			why += r.Why
		}
	}
	assert.Contains(t, why, "the heuristics propose", "disagreement is reviewed with both reasons")
	assert.Contains(t, why, "ai proposes (not migrated) (0.90: a running total of fees, not contact data)")
	notes := strings.Join(pr.Notes, "\n")
	assert.NotContains(t, notes, "failed")
}

// TestCacheHitSendsNothing: the second proposal over the same inventory is
// answered from the cache file (0600); another model is asked again.
func TestCacheHitSendsNothing(t *testing.T) {
	inv := patientsInventory(t)
	dir := filepath.Join(t.TempDir(), "cache")
	f := newFake(t, testModel, "")
	f.reply = recordedReply
	propose := func(s *Suggester) *mapping.Proposal {
		pr, err := mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{Suggesters: []mapping.Suggester{s}})
		require.NoError(t, err)
		return pr
	}
	first := propose(newTestSuggester(t, f, Options{CacheDir: dir}))
	require.Equal(t, 1, f.requests())
	s2 := newTestSuggester(t, f, Options{CacheDir: dir})
	second := propose(s2)
	assert.Equal(t, 1, f.requests(), "a cache hit costs no request")
	assert.Equal(t, int64(1), s2.CacheHits())
	a, _ := first.Map.Marshal()
	b, _ := second.Map.Marshal()
	assert.Equal(t, string(a), string(b), "the cached answer drafts the same map")

	files, err := filepath.Glob(filepath.Join(dir, "suggest-*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	st, err := os.Stat(files[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	dst, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dst.Mode().Perm())

	other := newFake(t, "other-model", "")
	other.reply = recordedReply
	propose(newTestSuggester(t, other, Options{CacheDir: dir}))
	assert.Equal(t, 1, other.requests(), "another model (or endpoint) is another question")

	// A corrupt cache file is asked again and replaced.
	require.NoError(t, os.WriteFile(files[0], []byte(`{"prompt_version":"`+PromptVersion+`","model":"`+testModel+`","answer":"{"}`), 0o600))
	propose(newTestSuggester(t, f, Options{CacheDir: dir}))
	assert.Equal(t, 2, f.requests())
	propose(newTestSuggester(t, f, Options{CacheDir: dir}))
	assert.Equal(t, 2, f.requests())
}

func patientsRequest() mapping.SuggestRequest {
	return mapping.SuggestRequest{Entity: "patients", Target: mapping.TargetContact,
		StandardFields: mapping.StandardFields(mapping.TargetContact),
		CustomFields: []mapping.SchemaField{{Model: "contact", Key: "pbn_chart", Name: "Chart", DataType: mapping.TypeText},
			{Model: "contact", Key: "pbn_color", Name: "Colour", DataType: mapping.TypeSingleOptions, Options: []string{"Red"}}},
		Fields: []mapping.SuggestField{{Name: "E-mail", Sniffed: mapping.TypeEmail, Fill: 1,
			Shape: mapping.ShapeOf([]string{"a@b.co"})}, {Name: "Chart #"}, {Name: "SSN"}}}
}

// TestMalformedAnswersAreRejected: every unusable answer is an error
// naming the problem (never the answer's text), nothing is cached, and
// nothing panics.
func TestMalformedAnswersAreRejected(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", completion("Sure! Here is the mapping: E-mail → email"), "not a JSON object of the expected shape: invalid JSON"},
		{"wrong shape", completion(`{"mappings": {"E-mail": "email"}}`), "not a JSON object of the expected shape"},
		{"no list", completion(`{"fields": []}`), "not a JSON object of the expected shape"},
		{"missing list", completion(`{}`), `no "mappings" list`},
		{"two objects", completion(answerJSON() + answerJSON()), "text follows the JSON object"},
		{"unknown field", completion(answerJSON(entry{Field: "Phone", Target: "phone", Confidence: 0.9})), `names the field "Phone", which was not asked about`},
		{"unknown target", completion(answerJSON(entry{Field: "E-mail", Target: "emailAddress", Confidence: 0.9})), `mapped to "emailAddress", which is not an allowed target`},
		{"pick-list target", completion(answerJSON(entry{Field: "E-mail", Target: "pbn_color", Confidence: 0.9})), `"pbn_color", which is not an allowed target`},
		{"custom without type", completion(answerJSON(entry{Field: "Chart #", Target: "custom", Confidence: 0.9})), `new custom field of type "", not one of TEXT`},
		{"custom pick-list", completion(answerJSON(entry{Field: "Chart #", Target: "custom", Type: "SINGLE_OPTIONS", Confidence: 0.9})), `type "SINGLE_OPTIONS"`},
		{"confidence", completion(answerJSON(entry{Field: "SSN", Target: "skip", Confidence: 1.5})), "confidence outside [0, 1]"},
		{"no confidence", completion(`{"mappings":[{"field":"SSN","target":"skip","type":"","reason":"x"}]}`), "has no confidence"},
		{"twice", completion(answerJSON(entry{Field: "SSN", Target: "skip", Confidence: 0.9}, entry{Field: "SSN", Target: "skip", Confidence: 0.9})), "answered twice"},
		{"extra member", completion(`{"mappings":[],"notes":"x"}`), "not a JSON object of the expected shape"},
		{"empty", completion("  "), "the answer is empty"},
		{"cut off", `{"choices":[{"message":{"content":"{\"mapp"},"finish_reason":"length"}]}`, "cut off at the model's token limit"},
		{"refusal", `{"choices":[{"message":{"content":null,"refusal":"I can't help"},"finish_reason":"stop"}]}`, "the model refused"},
		{"no choices", `{"choices":[]}`, "no choices"},
		{"not a completion", `[1,2]`, "not a chat completion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := newFake(t, testModel, "")
			f.reply = func(int, *sentRequest) (int, http.Header, string) { return 200, nil, tt.body }
			s := newTestSuggester(t, f, Options{CacheDir: dir})
			out, err := s.Suggest(context.Background(), patientsRequest())
			require.Error(t, err)
			assert.Nil(t, out)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "Here is", "the answer's text stays out of errors")
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "an unusable answer is not cached")
		})
	}
	// A well-formed answer in a code fence is taken.
	f := newFake(t, testModel, "")
	f.reply = func(int, *sentRequest) (int, http.Header, string) {
		return 200, nil, completion("```json\n" + answerJSON(
			entry{Field: "E-mail", Target: "email", Confidence: 0.9, Reason: "an\nemail"},
			entry{Field: "Chart #", Target: "pbn_chart", Confidence: 0.8},
			entry{Field: "SSN", Target: "skip", Confidence: 0.99, Reason: "national id"}) + "\n```")
	}
	out, err := newTestSuggester(t, f, Options{}).Suggest(context.Background(), patientsRequest())
	require.NoError(t, err)
	assert.Equal(t, []mapping.Suggestion{
		{From: "E-mail", To: "email", Confidence: 0.9, Reason: "an email"},
		{From: "Chart #", To: "pbn_chart", Type: mapping.TypeText, Confidence: 0.8},
		{From: "SSN", Skip: true, Confidence: 0.99, Reason: "national id"},
	}, out)
}

// TestRetriesThroughTheTransport: 5xx and 429 answers are retried; a 400
// is not.
func TestRetriesThroughTheTransport(t *testing.T) {
	f := newFake(t, testModel, "")
	f.reply = func(n int, req *sentRequest) (int, http.Header, string) {
		switch n {
		case 1:
			return 503, nil, `{"error":{"message":"overloaded"}}`
		case 2:
			return 429, http.Header{"Retry-After": {"0"}}, `{"error":{"message":"rate limited"}}`
		case 3:
			return 500, nil, `oops`
		}
		return 200, nil, completion(answerJSON(entry{Field: "SSN", Target: "skip", Confidence: 0.9}))
	}
	s := newTestSuggester(t, f, Options{})
	out, err := s.Suggest(context.Background(), patientsRequest())
	require.NoError(t, err)
	assert.Len(t, out, 1)
	assert.Equal(t, 4, f.requests())
	assert.Equal(t, int64(1), s.Requests(), "one question, four attempts")

	g := newFake(t, testModel, "")
	g.reply = func(int, *sentRequest) (int, http.Header, string) {
		return 400, nil, `{"error":{"message":"max_tokens is too large"}}`
	}
	_, err = newTestSuggester(t, g, Options{}).Suggest(context.Background(), patientsRequest())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 400: max_tokens is too large")
	assert.Equal(t, 1, g.requests())

	h := newFake(t, testModel, "")
	h.reply = func(int, *sentRequest) (int, http.Header, string) { return 502, nil, `` }
	_, err = newTestSuggester(t, h, Options{MaxAttempts: 3}).Suggest(context.Background(), patientsRequest())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 502")
	assert.Equal(t, 3, h.requests())
}

// TestTimeout: a server that does not answer in time is given up on after
// the attempts, well before the test's own deadline.
func TestTimeout(t *testing.T) {
	f := newFake(t, testModel, "")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.reply = func(int, *sentRequest) (int, http.Header, string) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		return 200, nil, completion(answerJSON())
	}
	s := newTestSuggester(t, f, Options{Timeout: 100 * time.Millisecond, MaxAttempts: 2})
	start := time.Now()
	_, err := s.Suggest(context.Background(), patientsRequest())
	require.Error(t, err)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, 2, f.requests())

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = newTestSuggester(t, f, Options{}).Suggest(ctx, patientsRequest())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "deadline"), "%v", err)
}

// TestSchemaFallback: a server that refuses json_schema is asked with
// json_object, and the suggester keeps to it.
func TestSchemaFallback(t *testing.T) {
	f := newFake(t, testModel, "")
	f.reply = func(n int, req *sentRequest) (int, http.Header, string) {
		if req.ResponseFormat.Type == "json_schema" {
			return 400, nil, `{"error":{"message":"response_format type json_schema is not supported by this model"}}`
		}
		return 200, nil, completion(answerJSON(entry{Field: "SSN", Target: "skip", Confidence: 0.9}))
	}
	s := newTestSuggester(t, f, Options{})
	for range 2 {
		out, err := s.Suggest(context.Background(), patientsRequest())
		require.NoError(t, err)
		assert.Len(t, out, 1)
	}
	assert.Equal(t, 3, f.requests(), "one refusal, then json_object only")
	assert.Contains(t, f.body(1), `"type":"json_object"`)
	assert.NotContains(t, f.body(2), "json_schema")

	// Told json_schema, it does not fall back.
	g := newFake(t, testModel, "")
	g.reply = f.reply
	_, err := newTestSuggester(t, g, Options{Format: FormatJSONSchema}).Suggest(context.Background(), patientsRequest())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 400")
}

// TestKeyNeverLeaks: a wrong key the server echoes is cut out of the error,
// and no log record holds it.
func TestKeyNeverLeaks(t *testing.T) {
	const key = "sk-live-SECRETSECRET-0123456789abcdef"
	f := newFake(t, testModel, "the-right-key")
	f.reply = recordedReply
	var logs bytes.Buffer
	s, err := New(Options{BaseURL: f.url(), Model: testModel, APIKey: key, RetryBaseDelay: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	_, err = s.Suggest(context.Background(), patientsRequest())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 401")
	_, again := s.Suggest(context.Background(), patientsRequest())
	assert.Equal(t, err, again, "a refused key is not tried again for every entity")
	assert.Equal(t, 1, f.requests())
	assert.NotContains(t, err.Error(), "SECRETSECRET")
	assert.NotContains(t, err.Error(), "0123456789abcdef")
	assert.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), "SECRET")
}

func TestNewRefuses(t *testing.T) {
	_, err := New(Options{BaseURL: "https://api.example.com/v1"})
	assert.ErrorContains(t, err, "model name is required")
	_, err = New(Options{BaseURL: "http://llm.example.com/v1", Model: "m"})
	assert.ErrorContains(t, err, "plain http")
	_, err = New(Options{BaseURL: "https://api.example.com/v1", Model: "m", Format: "yaml"})
	assert.ErrorContains(t, err, "unknown format")
}

func TestRedactSamples(t *testing.T) {
	samples := []string{"Active", "Jane Smith", "Active", "", "Active", "555-123-4567", "Inactive", "Jane Smith", "Active 2", "Jane Smith"}
	got := RedactSamples(samples, mapping.TypeText)
	assert.Equal(t, []string{"Xxxxxx", "Xxxx Xxxxx", "###-###-####", "Xxxxxxxx", "Xxxxxx #"}, got,
		"a field of many values: every value is masked, repeated or not")

	cats := []string{"Active", "Active", "Active", "Inactive", "Active", "Inactive", "Inactive", "Active", "Archived"}
	assert.Equal(t, []string{"Active", "Inactive", "Xxxxxxxx"}, RedactSamples(cats, mapping.TypeText),
		"a category shared by three records goes as written")
	mails := []string{"a@b.co", "a@b.co", "a@b.co", "a@b.co"}
	assert.Equal(t, []string{"x@x.xx"}, RedactSamples(mails, mapping.TypeEmail))
	long := strings.Repeat("Lorem ipsum ", 10)
	assert.Equal(t, strings.Repeat("Xxxxx xxxxx ", 3)+"Xxxx…", RedactSamples([]string{long}, mapping.TypeLargeText)[0])
	assert.Nil(t, RedactSamples(nil, mapping.TypeText))
}
