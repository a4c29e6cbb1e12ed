package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestString(t *testing.T) {
	tests := []struct {
		in      string
		gone    []string
		survive []string
	}{
		{"Authorization: Bearer pit-1234-abcd-5678", []string{"pit-1234", "abcd-5678"}, []string{"Authorization"}},
		{"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part", []string{"eyJhbGciOiJIUzI1NiJ9"}, nil},
		{"This location does not allow duplicated contacts. jane.doe+x@example.co.uk", []string{"jane.doe"}, []string{"duplicated contacts"}},
		{"phone +1 (555) 123-4567 rejected", []string{"123-4567", "555"}, []string{"rejected"}},
		{"dateOfBirth 1984-03-07 invalid", []string{"1984-03-07"}, []string{"invalid"}},
		{`{"email":"a@b.io","firstName":"Jane"}`, []string{"a@b.io", "Jane"}, []string{"email", "firstName"}},
		{"refresh_token=r3fr3sh&client_secret=s3cr3t&code=c0de", []string{"r3fr3sh", "s3cr3t", "c0de"}, []string{"refresh_token", "client_secret"}},
		{"Contact with id ocQHyuzHvysMo5N5VsXc not found", nil, []string{"ocQHyuzHvysMo5N5VsXc", "not found"}},
		{"property locationId should not exist", nil, []string{"property locationId should not exist"}},
		{"page 2 of 100, status 404", nil, []string{"page 2 of 100, status 404"}},
	}
	for _, tt := range tests {
		got := String(tt.in)
		for _, g := range tt.gone {
			assert.NotContains(t, got, g, "in %q → %q", tt.in, got)
		}
		for _, s := range tt.survive {
			assert.Contains(t, got, s, "in %q → %q", tt.in, got)
		}
	}
}

func TestURL(t *testing.T) {
	got := URL("https://user:pw@host/contacts/search/duplicate?locationId=loc1&email=a%40b.io&number=%2B15551234567#frag")
	assert.Equal(t, "https://host/contacts/search/duplicate?email="+Mask+"&locationId=loc1&number="+Mask, got)
	assert.Equal(t, Mask, URL("%zz"))
	assert.Equal(t, "", Query(url.Values{}))
}

func TestHandlerMasksSensitiveAttrs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil)))
	log = log.With("token", "tok123", "op", "contacts.create")
	log.Info("created jane@example.com",
		"email", "jane@example.com",
		"contactId", "c1",
		"err", errors.New("phone 5551234567 invalid"),
		slog.Group("fields", "firstName", "Jane", "field", "pbn_patient_id"))
	out := buf.String()
	for _, s := range []string{"tok123", "jane@example.com", "5551234567", "Jane"} {
		assert.NotContains(t, out, s)
	}
	for _, s := range []string{"contacts.create", "c1", "pbn_patient_id", "firstName"} {
		assert.Contains(t, out, s)
	}
	assert.Equal(t, slog.DiscardHandler, NewHandler(NewHandler(nil)).next)
	_ = log.WithGroup("g").Handler().Enabled(t.Context(), slog.LevelInfo)
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"Bearer abc", "a@b.co", "+1 555 123 4567", "email=x", `"name":"y"`, "1984-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		// Scrubbing is stable: scrubbing again changes nothing.
		if again := String(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", s, out, again)
		}
		if strings.Contains(s, "@") && emailRE.MatchString(out) {
			t.Fatalf("email left in %q", out)
		}
	})
}
