package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
)

// Issue 19.8: -search-lag means what Options.SearchLag means — no flag or
// 0 is the library's default, "none" is pbnhl.NoSearchLag, a duration is
// itself — and is handed to the library as is.
func TestSearchLagFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
		err  string
	}{
		{nil, 0, ""},
		{[]string{"-search-lag", "0"}, 0, ""},
		{[]string{"-search-lag", "none"}, pbnhl.NoSearchLag, ""},
		{[]string{"-search-lag", "None"}, pbnhl.NoSearchLag, ""},
		{[]string{"-search-lag", "2s"}, 2 * time.Second, ""},
		{[]string{"-search-lag", "-1s"}, 0, `say "none"`},
		{[]string{"-search-lag", "soon"}, 0, `neither a duration nor "none"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var d time.Duration
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.Var(searchLagValue{&d}, "search-lag", "")
			err := fs.Parse(tc.args)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, d)
		})
	}
	d := time.Duration(0)
	assert.Equal(t, "5s", searchLagValue{&d}.String(), "the default, named")
	d = pbnhl.NoSearchLag
	assert.Equal(t, "none", searchLagValue{&d}.String())

	// The help names the default.
	var help strings.Builder
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(&help)
	var cfgLag time.Duration
	fs.Var(searchLagValue{&cfgLag}, "search-lag", "how long, a `duration`")
	fs.PrintDefaults()
	assert.Contains(t, help.String(), "-search-lag duration")
	assert.Contains(t, help.String(), "(default 5s)")
}
