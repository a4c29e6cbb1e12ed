package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// aiServer speaks enough of the chat-completions protocol for propose: it
// keeps each request's Authorization header and user message, and answers
// "email" for a field named email, nothing for others.
type aiServer struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	users []string
}

func newAIServer(t *testing.T) *aiServer {
	a := &aiServer{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(b, &req) != nil || len(req.Messages) != 2 || req.Model != "m1" {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		var q struct {
			Fields []struct {
				Name string `json:"name"`
			} `json:"fields"`
		}
		require.NoError(t, json.Unmarshal([]byte(req.Messages[1].Content), &q))
		a.mu.Lock()
		a.auths = append(a.auths, r.Header.Get("Authorization"))
		a.users = append(a.users, req.Messages[1].Content)
		a.mu.Unlock()
		type entry struct {
			Field      string  `json:"field"`
			Target     string  `json:"target"`
			Type       string  `json:"type"`
			Confidence float64 `json:"confidence"`
			Reason     string  `json:"reason"`
		}
		es := []entry{}
		for _, f := range q.Fields {
			if f.Name == "email" {
				es = append(es, entry{Field: f.Name, Target: "email", Confidence: 0.9, Reason: "an e-mail header and pattern"})
			}
		}
		content, _ := json.Marshal(map[string]any{"mappings": es})
		out, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": string(content)}}}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *aiServer) requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.users)
}

// TestProposeWithAI: -ai-endpoint/-ai-model ask the model once per entity
// with the key from $PBN2HL_AI_KEY (never printed), merge its answers, and
// a second propose is answered from -ai-cache.
func TestProposeWithAI(t *testing.T) {
	r := newRig(t, 8, 0)
	ai := newAIServer(t)
	const key = "sk-test-NEVERPRINTED-42"
	r.env[envAIKey] = key
	cache := r.path("ai-cache")
	args := join([]string{"propose", "-out", r.path("map.yaml"), "-review", r.path("review.md"),
		"-ai-endpoint", ai.URL + "/v1", "-ai-model", "m1", "-ai-cache", cache}, r.srcArgs())
	r.mustRun(args...)
	errOut := r.stderr.String()
	n := ai.requests()
	require.Greater(t, n, 1, "one question per entity")
	for _, a := range ai.auths {
		assert.Equal(t, "Bearer "+key, a)
	}
	assert.Contains(t, errOut, "questions sent, 0 answered from the cache")
	m, err := os.ReadFile(r.path("map.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(m), "heuristic+suggester:llm:m1", "the model's agreement is merged")
	for _, u := range ai.users {
		assert.NotContains(t, u, "redacted_samples")
	}

	// Again: the cache answers, and -ai-samples is another question.
	r.mustRun(append(args, "-overwrite")...)
	assert.Equal(t, n, ai.requests(), "a re-run costs no request")
	assert.Contains(t, r.stderr.String(), "0 questions sent, ")
	r.mustRun(append(args, "-overwrite", "-ai-samples")...)
	assert.Greater(t, ai.requests(), n)
	assert.Contains(t, ai.users[len(ai.users)-1], "redacted_samples")

	// A model that fails leaves the heuristic draft: propose still succeeds.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":{"message":"model not found"}}`, http.StatusNotFound)
	}))
	defer down.Close()
	before := r.stderr.Len()
	r.mustRun(join([]string{"propose", "-overwrite", "-out", r.path("map.yaml"), "-review", r.path("review.md"),
		"-ai-endpoint", down.URL + "/v1", "-ai-model", "m1", "-ai-cache", "off"}, r.srcArgs())...)
	assert.Contains(t, r.stderr.String()[before:], "suggester llm:m1 failed: llm: m1: HTTP 404: model not found")
	assert.Contains(t, r.stderr.String()[before:], "answers not cached")
	// -suggest-url and -suggest-model (the names) are the same flags.
	before = r.stderr.Len()
	r.mustRun(join([]string{"propose", "-overwrite", "-out", r.path("map.yaml"), "-review", r.path("review.md"),
		"-suggest-url", down.URL + "/v1", "-suggest-model", "m2", "-ai-cache", "off"}, r.srcArgs())...)
	assert.Contains(t, r.stderr.String()[before:], "suggester llm:m2 failed: llm: m2: HTTP 404: model not found")

	assert.NotContains(t, r.stdout.String()+r.stderr.String(), "NEVERPRINTED")

	for _, bad := range [][]string{
		{"-ai-endpoint", ai.URL + "/v1"},
		{"-ai-model", "m1"},
		{"-ai-samples"},
		{"-ai-endpoint", "http://ai.example.com/v1", "-ai-model", "m1"},
		{"-from", "default", "-ai-endpoint", ai.URL + "/v1", "-ai-model", "m1"},
	} {
		code, _, errOut := r.run(join([]string{"propose", "-overwrite", "-out", r.path("x.yaml"), "-review", r.path("x.md")}, bad, r.srcArgs())...)
		assert.Equal(t, exitUsage, code, "%v: %s", bad, errOut)
		assert.True(t, strings.Contains(errOut, "-ai-"), errOut)
	}
}
