package llm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/mapping/llm"
)

// The Suggester is handed to Propose; here a local stand-in for an
// OpenAI-compatible server (Ollama, llama.cpp, vLLM or a hosted API)
// answers with a fixed mapping.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":`+
			`"{\"mappings\":[{\"field\":\"Cell\",\"target\":\"phone\",\"type\":\"\",\"confidence\":0.9,\"reason\":\"cell phone header, ddd-ddd-dddd\"},`+
			`{\"field\":\"Nickname\",\"target\":\"custom\",\"type\":\"TEXT\",\"confidence\":0.8,\"reason\":\"a short name, Aaaa\"}]}"}}]}`)
	}))
	defer srv.Close()

	cache, _ := os.MkdirTemp("", "suggest-cache")
	defer os.RemoveAll(cache)
	s, err := llm.New(llm.Options{
		BaseURL:  srv.URL + "/v1",            // e.g. http://localhost:11434/v1 for Ollama
		Model:    "llama3.1:8b",              // any model the server serves
		APIKey:   os.Getenv("PBN2HL_AI_KEY"), // empty for a local server
		CacheDir: cache,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := mapping.SourceInventory{Entities: []mapping.EntityInventory{{Name: "patients", Fields: []mapping.FieldInventory{
		{Name: "PatNum", Samples: []string{"1", "2", "3"}},
		{Name: "Cell", Samples: []string{"555-201-0001", "555-201-0002", ""}},
		{Name: "Nickname", Samples: []string{"Bo", "", "Al"}},
	}}}}
	pr, err := mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{Suggesters: []mapping.Suggester{s}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range pr.Map.Objects[0].Fields {
		fmt.Println(strings.TrimSpace(f.From + " → " + f.To + " " + string(f.Type)))
	}
	// Asked again, the cache answers: no request is sent.
	_, _ = mapping.Propose(context.Background(), inv, mapping.Destination{}, mapping.ProposeOptions{Suggesters: []mapping.Suggester{s}})
	fmt.Println("requests:", s.Requests(), "cache hits:", s.CacheHits())
	// Output:
	// Cell → phone
	// Nickname → pbn_nickname TEXT
	// requests: 1 cache hits: 1
}
