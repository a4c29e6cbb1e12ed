package highlevel

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTokenAndFieldValuesNeverLeak runs calls carrying personal data through
// every failure path with debug logging on, and checks that neither the
// token nor any field value appears in an error string or a log line.
func TestTokenAndFieldValuesNeverLeak(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newTestServer(t, func(o *Options) {
		o.Logger = logger
		// Keep the breaker closed so that every failure path is exercised.
		lim, err := NewLimiter(LimiterOptions{Requests: 10_000, Window: time.Second, BreakerFailures: 1 << 20})
		require.NoError(t, err)
		o.Limiter = lim
	})
	secrets := []string{testToken, "Jane", "Secretname", "jane.secret@example.com", "+15551234567", "1984-03-07", "PBN-77123", "Implant consult"}

	fail := map[string]func(w http.ResponseWriter, r *http.Request){
		"500": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, `{"statusCode":500,"message":"Internal server error"}`)
		},
		"422 echoing values": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 422, `{"statusCode":422,"message":["email jane.secret@example.com must be an email","phone +15551234567 is invalid","dateOfBirth 1984-03-07 is in the future"],"error":"Unprocessable Entity"}`)
		},
		"duplicate": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, `{"statusCode":400,"message":"This location does not allow duplicated contacts.","meta":{"contactId":"c9","contactName":"Jane Secretname","matchingField":"email"}}`)
		},
		"drop": func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		},
		"429": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 429, `{"statusCode":429,"message":"Too many requests"}`)
		},
		"bad JSON": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"contact":{"id":"c1","firstName":"Jane","email":"jane.secret@example.com"`)
		},
	}
	// The handler runs on server goroutines; the race detector cannot see
	// the ordering the HTTP round trip gives, so hand it over atomically.
	var current atomic.Pointer[func(w http.ResponseWriter, r *http.Request)]
	ts.handle("/", func(w http.ResponseWriter, r *http.Request) { (*current.Load())(w, r) })

	ctx := context.Background()
	calls := map[string]func() error{
		"create": func() error {
			_, err := ts.client.Contacts.Create(ctx, ContactInput{FirstName: "Jane", LastName: "Secretname", Email: "jane.secret@example.com",
				Phone: "+15551234567", DateOfBirth: "1984-03-07", CustomFields: []CustomFieldInput{{ID: "f1", Value: TextValue("PBN-77123")}}})
			return err
		},
		"duplicate lookup": func() error {
			_, err := ts.client.Contacts.FindDuplicate(ctx, "jane.secret@example.com", "+15551234567")
			return err
		},
		"note": func() error {
			_, err := ts.client.Contacts.CreateNote(ctx, "c1", NoteInput{Body: "Implant consult"})
			return err
		},
		"get": func() error {
			_, err := ts.client.Contacts.Get(ctx, "c1")
			return err
		},
	}
	for fname, f := range fail {
		current.Store(&f)
		for cname, call := range calls {
			err := call()
			require.Error(t, err, "%s/%s", cname, fname)
			for _, s := range secrets {
				assert.NotContains(t, err.Error(), s, "%s/%s error", cname, fname)
			}
		}
	}
	out := logs.String()
	require.Contains(t, out, "contacts.create", "debug logging was on")
	for _, s := range secrets {
		assert.NotContains(t, out, s, "log output")
	}
}
