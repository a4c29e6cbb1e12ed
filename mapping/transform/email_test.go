package transform

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  ", ""},
		{"jane@example.com", "jane@example.com"},
		{"  Jane.Doe@Example.COM ", "Jane.Doe@example.com"},
		{"mailto:jane@example.com", "jane@example.com"},
		{"<jane@example.com>", "jane@example.com"},
		{"Jane Doe <jane@Example.com>", "jane@example.com"},
		{"jane+dental@mail.example.co.uk", "jane+dental@mail.example.co.uk"},
		{"o'brien@example.com", "o'brien@example.com"},
		{"a@b-c.io", "a@b-c.io"},
		{"x@xn--80ak6aa92e.xn--p1ai", "x@xn--80ak6aa92e.xn--p1ai"},
	}
	for _, tt := range tests {
		got, err := Email(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestEmailErrors(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"jane.example.com", "missing @"},
		{"@example.com", "empty local part"},
		{"jane@", "empty domain"},
		{"jane@@example.com", "more than one @"},
		{"jane@example.com; john@example.com", "several addresses in one field"},
		{"jane@example.com,john@example.com", "several addresses in one field"},
		{"ja ne@example.com", "white space inside the address"},
		{"jane@exa mple.com", "white space inside the address"},
		{".jane@example.com", "local part starts or ends with a dot"},
		{"jane.@example.com", "local part starts or ends with a dot"},
		{"ja..ne@example.com", "consecutive dots in local part"},
		{"jane@localhost", "domain has no top-level domain"},
		{"jane@example.c", "top-level domain is not alphabetic"},
		{"jane@example.123", "top-level domain is not alphabetic"},
		{"jane@example..com", "empty label in domain"},
		{"jane@-example.com", "domain label starts or ends with a hyphen"},
		{"jane@exam_ple.com", "character not allowed in domain"},
		{"ja(ne)@example.com", "character not allowed in local part"},
		{"jané@example.com", "non-ASCII character in local part"},
		{"jane@exämple.com", "non-ASCII character in domain"},
		{strings.Repeat("a", 65) + "@example.com", "local part longer than 64 bytes"},
		{"a@" + strings.Repeat("b", 64) + ".com", "domain label longer than 63 bytes"},
		{"a@" + strings.Repeat("b.", 127) + "com", "domain longer than 253 bytes"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com", "address longer than 254 bytes"},
	}
	for _, tt := range tests {
		_, err := Email(tt.in)
		var te *Error
		require.True(t, errors.As(err, &te), "input %q: %v", tt.in, err)
		assert.Equal(t, tt.reason, te.Reason, tt.in)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.NotContains(t, err.Error(), "example")
	}
}

func TestEmailCanonicalDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _, _ = Email("jane.doe@example.com") })
	assert.Zero(t, allocs)
}
