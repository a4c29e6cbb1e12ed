package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in     string
		n      int
		window time.Duration
		ok     bool
	}{
		{"100/10s", 100, 10 * time.Second, true},
		{"50/10s", 50, 10 * time.Second, true},
		{"100/100ms", 100, 100 * time.Millisecond, true},
		{"100", 0, 0, false},
		{"0/10s", 0, 0, false},
		{"-1/10s", 0, 0, false},
		{"100/0s", 0, 0, false},
		{"100/-1s", 0, 0, false},
		{"x/10s", 0, 0, false},
		{"100/ten", 0, 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			n, w, err := parseRate(tc.in)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.window, w)
		})
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"100/10s", "1/1ns", "", "/", "9999999999999999999/1h", "5/ 1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, w, err := parseRate(s)
		if err == nil && (n < 1 || w <= 0) {
			t.Fatalf("parseRate(%q) = %d, %v without an error", s, n, w)
		}
	})
}

func TestReadKey(t *testing.T) {
	dir := t.TempDir()
	raw := bytes.Repeat([]byte{0xab}, 32)
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, mode))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	for _, tc := range []struct {
		name, path string
		want       []byte
		errHas     string
	}{
		{"raw", write("raw", raw, 0o600), raw, ""},
		{"hex", write("hex", []byte(strings.Repeat("ab", 32)+"\n"), 0o600), raw, ""},
		{"short", write("short", raw[:16], 0o600), nil, "want 32 raw bytes"},
		{"bad hex", write("badhex", []byte(strings.Repeat("zz", 32)), 0o600), nil, "want 32 raw bytes"},
		{"readable by others", write("open", raw, 0o644), nil, "readable by others"},
		{"missing", filepath.Join(dir, "none"), nil, "ledger key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := readKey(tc.path)
			if tc.errHas != "" {
				require.ErrorContains(t, err, tc.errHas)
				assert.NotContains(t, err.Error(), "abab", "the key never appears in an error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, k)
		})
	}
}

func FuzzReadKey(f *testing.F) {
	f.Add([]byte(strings.Repeat("0f", 32)))
	f.Add(bytes.Repeat([]byte{1}, 32))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "key")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Skip()
		}
		k, err := readKey(p)
		if err == nil && len(k) != 32 {
			t.Fatalf("key of %d bytes accepted", len(k))
		}
	})
}
