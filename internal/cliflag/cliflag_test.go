package cliflag

import (
	"bytes"
	"errors"
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParse: -h writes the usage (name, about, flags) to out and returns
// flag.ErrHelp; an unknown flag, a bad value and arguments left over are
// UsageErrors and write nothing; a good command line parses.
func TestParse(t *testing.T) {
	newSet := func() (*flag.FlagSet, *int) {
		fs := NewFlagSet("sim")
		return fs, fs.Int("n", 1, "how many")
	}
	var out bytes.Buffer
	fs, _ := newSet()
	err := Parse(fs, []string{"-h"}, &out, "Serves a thing.")
	require.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, out.String(), "Usage: sim [flags]\n\nServes a thing.\n\nFlags:\n")
	assert.Contains(t, out.String(), "-n int")

	for _, args := range [][]string{{"-m", "2"}, {"-n", "x"}, {"-n", "2", "extra"}} {
		out.Reset()
		fs, _ := newSet()
		err := Parse(fs, args, &out, "Serves a thing.")
		var ue UsageError
		assert.True(t, errors.As(err, &ue), "%v: %v", args, err)
		assert.Empty(t, out.String(), "%v: a mistake writes no usage", args)
	}

	fs, n := newSet()
	require.NoError(t, Parse(fs, []string{"-n", "3"}, &out, ""))
	assert.Equal(t, 3, *n)
}
