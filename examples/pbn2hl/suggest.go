package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/mapping/llm"
	"github.com/spf13/pflag"
)

// envAIKey holds the AI endpoint's API key: never a flag, as for tokens.
const envAIKey = "PBN2HL_AI_KEY"

// aiFlags are propose's flags for an AI suggester.
type aiFlags struct {
	endpoint, model, cache string
	samples                bool
	timeout                time.Duration
	s                      *llm.Suggester // set by suggesters
}

func (a *aiFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.endpoint, "ai-endpoint", "", "an OpenAI-compatible API root (https://api.openai.com/v1, http://localhost:11434/v1 for Ollama...) whose model reviews the draft (alias -suggest-url); key in $"+envAIKey+" (none for a local server). It is sent headers and value shapes, never values")
	fs.StringVar(&a.model, "ai-model", "", "the model -ai-endpoint runs (required with it; alias -suggest-model)")
	// The names the issue that asked for the suggester gave them.
	fs.StringVar(&a.endpoint, "suggest-url", "", "the same as -ai-endpoint")
	fs.StringVar(&a.model, "suggest-model", "", "the same as -ai-model")
	fs.BoolVar(&a.samples, "ai-samples", false, "also send up to 8 redacted samples per field (digits and letters masked; values shared by several records, such as a status, as written): an explicit opt-in, samples are patient data")
	fs.StringVar(&a.cache, "ai-cache", "", `folder keeping the model's answers (files 0600) so that proposing again over the same data asks nothing; default: the user cache folder's pbn2hl/suggest; "off" keeps none`)
	fs.DurationVar(&a.timeout, "ai-timeout", 2*time.Minute, "longest wait for one answer (each of up to 4 attempts)")
}

// suggesters returns the AI suggester the flags ask for (none without
// -ai-endpoint).
func (a *aiFlags) suggesters(c *cli) ([]mapping.Suggester, error) {
	if a.endpoint == "" {
		if a.model != "" || a.samples {
			return nil, usagef("-ai-model and -ai-samples need -ai-endpoint")
		}
		return nil, nil
	}
	if a.model == "" {
		return nil, usagef("-ai-endpoint needs -ai-model")
	}
	cache := a.cache
	switch cache {
	case "off":
		cache = ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, usagef("no user cache folder (%v): give -ai-cache DIR or -ai-cache off", err)
		}
		cache = filepath.Join(dir, "pbn2hl", "suggest")
	}
	s, err := llm.New(llm.Options{BaseURL: a.endpoint, Model: a.model, APIKey: c.getenv(envAIKey), CacheDir: cache,
		Timeout: a.timeout, HTTPClient: c.httpClient, Logger: c.log})
	if err != nil {
		return nil, usagef("-ai-endpoint: %v", err)
	}
	a.s = s
	where := "answers not cached"
	if cache != "" {
		where = "answers cached in " + cache
	}
	what := "headers and value shapes, no values"
	if a.samples {
		what = "headers, value shapes and redacted samples (-ai-samples)"
	}
	c.progressf("propose: asking %s at %s about each entity (%s; %s)", a.model, a.endpoint, what, where)
	return []mapping.Suggester{s}, nil
}

// summary says what the suggester cost, after Propose.
func (a *aiFlags) summary() string {
	if a.s == nil {
		return ""
	}
	return fmt.Sprintf("propose: %s: %d questions sent, %d answered from the cache", a.model, a.s.Requests(), a.s.CacheHits())
}
