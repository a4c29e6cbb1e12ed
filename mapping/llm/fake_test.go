package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeLLM is an in-process server speaking the OpenAI chat-completions
// protocol. It checks every request's shape (a bad one is a test failure
// and a 400), keeps the bodies, and answers with reply.
type fakeLLM struct {
	t      testing.TB
	srv    *httptest.Server
	model  string
	key    string // the Bearer token expected; "" expects none
	mu     sync.Mutex
	bodies [][]byte
	reply  func(n int, req *sentRequest) (status int, header http.Header, body string)
}

// sentRequest is a request as the fake decoded it.
type sentRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Temperature    *float64 `json:"temperature"`
	ResponseFormat struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string         `json:"name"`
			Strict bool           `json:"strict"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
	question question
}

func newFake(t testing.TB, model, key string) *fakeLLM {
	f := &fakeLLM{t: t, model: model, key: key}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) url() string { return f.srv.URL + "/v1" }

func (f *fakeLLM) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func (f *fakeLLM) body(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.bodies[i])
}

func (f *fakeLLM) bad(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.t.Errorf("fake LLM: bad request: %s", msg)
	writeError(w, http.StatusBadRequest, msg)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
	w.Write(b)
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	n := len(f.bodies)
	f.mu.Unlock()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions":
		f.bad(w, "%s %s", r.Method, r.URL.Path)
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		f.bad(w, "content type %q", r.Header.Get("Content-Type"))
		return
	}
	if want := "Bearer " + f.key; f.key != "" && r.Header.Get("Authorization") != want || f.key == "" && r.Header.Get("Authorization") != "" {
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided: "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		return
	}
	var req sentRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.bad(w, "body: %v", err)
		return
	}
	switch {
	case req.Model != f.model:
		f.bad(w, "model %q", req.Model)
		return
	case len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user":
		f.bad(w, "messages %+v", req.Messages)
		return
	case req.Temperature == nil || *req.Temperature != 0:
		f.bad(w, "temperature not 0")
		return
	case req.ResponseFormat.Type == "json_schema" && (req.ResponseFormat.JSONSchema == nil || !req.ResponseFormat.JSONSchema.Strict ||
		req.ResponseFormat.JSONSchema.Schema["type"] != "object"):
		f.bad(w, "json_schema without a strict object schema")
		return
	case req.ResponseFormat.Type != "json_schema" && req.ResponseFormat.Type != "json_object":
		f.bad(w, "response_format %q", req.ResponseFormat.Type)
		return
	}
	qd := json.NewDecoder(strings.NewReader(req.Messages[1].Content))
	qd.DisallowUnknownFields()
	if err := qd.Decode(&req.question); err != nil {
		f.bad(w, "user message is not a question: %v", err)
		return
	}
	status, header, out := f.reply(n, &req)
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, out)
}

// completion is a successful chat completion whose content is content.
func completion(content string) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "model": "test",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
	})
	return string(b)
}

// entry is one mapping of an answer.
type entry struct {
	Field      string  `json:"field"`
	Target     string  `json:"target"`
	Type       string  `json:"type"`
	Confidence float64 `json:"confidence"`
	Reason     string  `json:"reason"`
}

func answerJSON(es ...entry) string {
	b, _ := json.Marshal(map[string]any{"mappings": es})
	return string(b)
}

// recorded answers the way a capable model answered a patients file: by
// header, for the fields the question holds.
func recorded(q *question) string {
	byName := map[string]entry{
		"firstName":                  {Target: "firstName", Confidence: 0.95, Reason: "header says first name; capitalised word pattern"},
		"lastName":                   {Target: "lastName", Confidence: 0.95, Reason: "header says last name"},
		"email":                      {Target: "email", Confidence: 0.97, Reason: "header and the a@a.a pattern"},
		"mobilePhone":                {Target: "phone", Confidence: 0.9, Reason: "mobile phone pattern ddd-ddd-dddd"},
		"birthDate":                  {Target: "dateOfBirth", Confidence: 0.93, Reason: "birth date header and dddd-dd-dd pattern"},
		"custom.referral_source":     {Target: "source", Confidence: 0.85, Reason: "a referral source is the lead source"},
		"custom.lifetime_production": {Target: "skip", Confidence: 0.9, Reason: "a running total of fees, not contact data"},
		"chartNumber":                {Target: "custom", Type: "TEXT", Confidence: 0.7, Reason: "an identifier of the practice's own"},
	}
	var es []entry
	for _, f := range q.Fields {
		if e, ok := byName[f.Name]; ok {
			e.Field = f.Name
			es = append(es, e)
		}
	}
	return answerJSON(es...)
}
