package pbnhl_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/syncbuf"
)

// TestLogsCarryNoPHI runs a migration with faults (so warnings and
// rejections are logged) and a debug logger, then searches the log and the
// ledger's problem reasons for every patient's e-mail, phone and full name.
func TestLogsCarryNoPHI(t *testing.T) {
	faults, err := hltest.ParseFaults("POST *:lost=0.05,5xx=0.05")
	require.NoError(t, err)
	e := newEnv(t, envOptions{patients: size(20), seed: 31, faults: faults})
	var buf syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := e.migration(func(o *pbnhl.Options) { o.Logger = logger })
	ctx := context.Background()
	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)

	var text strings.Builder
	text.WriteString(buf.String())
	for p, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		text.WriteString(strings.Join(p.Reasons, "\n"))
	}
	out := strings.ToLower(text.String())
	require.NotEmpty(t, out)
	checked := 0
	for p := range e.pbn.Practice().Patients() {
		for _, v := range []string{p.Email, p.FirstName + " " + p.LastName, digits(p.MobilePhone), digits(p.HomePhone)} {
			v = strings.ToLower(strings.TrimSpace(v))
			if len(v) < 7 {
				continue
			}
			checked++
			assert.NotContains(t, out, v, "patient %d: a value reached the log", p.ID)
		}
	}
	assert.Positive(t, checked)
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
