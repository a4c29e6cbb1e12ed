package highlevel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// phi is what a value-quoting server echoes back: none of it may reach an
// error string, a SafeReason or a log record.
var phi = []string{"Jane", "O'Brien", "Brien", "Penicillin", "allergy", "22273", "Park Ave", "5551234567",
	"555-123-4567", "jane.obrien", "example.com", "Secretname", "1987"}

func assertNoPHI(t *testing.T, where, s string) {
	t.Helper()
	for _, v := range phi {
		assert.NotContains(t, strings.ToLower(s), strings.ToLower(v), "%s quotes a value: %s", where, s)
	}
}

// TestErrorsNeverQuoteValues drives every error shape HighLevel uses, each
// quoting patient data, through a real client, and checks Error(),
// SafeReason() and the debug log.
func TestErrorsNeverQuoteValues(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []string // in SafeReason
	}{
		{"string message, name", 400,
			`{"statusCode":400,"message":"Contact with name Jane O'Brien already exists","error":"Bad Request"}`,
			[]string{"HTTP 400 contacts.create Bad Request", "name: already exists"}},
		{"string message, quoted option", 422,
			`{"statusCode":422,"message":"Invalid option 'Penicillin allergy' for field allergies","error":"Unprocessable Entity"}`,
			[]string{"HTTP 422 contacts.create Unprocessable Entity", "allergies: invalid option"}},
		{"string message, double-quoted address", 422,
			`{"statusCode":422,"message":"address1 \"22273 Park Ave\" too long"}`,
			[]string{"address1: too long"}},
		{"array message", 422,
			`{"statusCode":422,"message":["firstName Jane must be shorter than or equal to 2 characters","phone 5551234567 must be a valid phone number","email jane.obrien@example.com must be an email","property allergies should not exist"],"error":"Unprocessable Entity"}`,
			[]string{"firstName: too long", "phone: invalid phone number", "email: not an e-mail address", "allergies: property not allowed"}},
		{"nested class-validator errors", 422,
			`{"statusCode":422,"message":[{"property":"address1","value":"22273 Park Ave","constraints":{"maxLength":"address1 \"22273 Park Ave\" too long"}},{"property":"customFields","children":[{"property":"0","value":"Penicillin allergy","constraints":{"isIn":"value Penicillin allergy must be one of the following values"}}]}]}`,
			[]string{"address1: too long", "invalid option"}},
		{"errors array of field/message", 400,
			`{"statusCode":400,"message":"Validation failed","errors":[{"field":"dateOfBirth","message":"1987-02-30 for Jane is not a valid date"},{"field":"lastName","message":"O'Brien contains invalid characters"}]}`,
			[]string{"dateOfBirth: invalid date", "lastName: invalid value"}},
		{"errors object keyed by field", 422,
			`{"statusCode":422,"errors":{"address1":["22273 Park Ave is too long"],"email":"jane.obrien@example.com is taken by Jane Secretname"}}`,
			[]string{"address1: too long", "email"}},
		{"free text only", 400,
			`{"statusCode":400,"message":"Jane Secretname 22273 Park Ave"}`,
			[]string{"HTTP 400 contacts.create: 1 message(s) withheld"}},
		{"free text in the error class", 400,
			`{"statusCode":400,"message":"nope","error":"Jane O'Brien"}`,
			[]string{"HTTP 400 contacts.create"}},
		{"custom field id", 422,
			`{"statusCode":422,"message":"Custom field ve9EPM428h8vShlRW1KT value 'Penicillin allergy' is invalid"}`,
			[]string{"ve9EPM428h8vShlRW1KT: invalid value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			var logs bytes.Buffer
			c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc1", Auth: StaticToken("pit-secret"),
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			require.NoError(t, err)
			_, err = c.Contacts.Create(context.Background(), ContactInput{FirstName: "Jane", LastName: "O'Brien"})
			require.Error(t, err)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			reason := ae.SafeReason()
			for _, w := range tt.want {
				assert.Contains(t, reason, w)
			}
			assertNoPHI(t, "Error()", err.Error())
			assertNoPHI(t, "SafeReason()", reason)
			assertNoPHI(t, "%+v", fmt.Sprintf("%+v %v", err, err))
			assertNoPHI(t, "logs", logs.String())
			// The raw text is still there for code that must match wording.
			if !strings.Contains(tt.name, "class") {
				assert.NotEmpty(t, ae.RawMessages())
			}
		})
	}
}

// TestErrorShapesKeepTheirMeaning: ErrNotFound and the duplicate-contact
// refusal still work from the raw text, which is not shown.
func TestErrorShapesKeepTheirMeaning(t *testing.T) {
	err := newAPIError("contacts.get", "GET", "/contacts/x", 400, nil, []byte(`{"message":"Contact with id x not found"}`))
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, "HTTP 400 contacts.get: id: not found", err.(*APIError).SafeReason())

	err = newAPIError("contacts.create", "POST", "/contacts/", 400, nil,
		[]byte(`{"statusCode":400,"message":"This location does not allow duplicated contacts.","meta":{"contactId":"c-1","contactName":"Jane Secretname","matchingField":"email"}}`))
	var de *DuplicateContactError
	require.ErrorAs(t, err, &de)
	assertNoPHI(t, "duplicate", err.Error())
	assert.Contains(t, err.Error(), "c-1")

	err = newAPIError("oauth.refresh", "POST", "/oauth/token", 400, nil,
		[]byte(`{"error":"invalid_grant","error_description":"Refresh token for Jane Secretname is invalid"}`))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "invalid_grant", ae.ErrorText)
	assertNoPHI(t, "oauth", err.Error())
}

// TestDecodeErrorsNeverQuoteValues: a 2xx body HighLevel sends in an
// unexpected shape is reported without the value (json's type error holds
// the number itself, a syntax error the bytes around it).
func TestDecodeErrorsNeverQuoteValues(t *testing.T) {
	for name, body := range map[string]string{
		"type error": `{"contact":{"id":"c1","firstName":5551234567}}`,
		"syntax":     `{"contact":{"id":"c1","firstName":"Jane O'Brien" 22273}}`,
		"bad string": `{"contact":{"id":"c1","phone":["555-123-4567"]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc1", Auth: StaticToken("pit-secret")})
			require.NoError(t, err)
			_, err = c.Contacts.Get(context.Background(), "c1")
			var de *DecodeError
			require.True(t, errors.As(err, &de), "got %T %v", err, err)
			assertNoPHI(t, "decode error", err.Error())
		})
	}
}
