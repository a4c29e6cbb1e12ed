package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// progressRig is prepared's rig with HighLevel's daily quota reported and
// the calls slowed to 100/s, so a run lasts the seconds a call rate and an
// ETA need. -v is left out: its log lines would choose the line mode.
func progressRig(t *testing.T) (*rig, []string) {
	t.Helper()
	r := newRig(t, 6, 1_000_000)
	mapPath := r.path("map.yaml")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	var hl []string
	for _, a := range r.hlArgs() {
		if a != "-v" {
			hl = append(hl, a)
		}
	}
	args := join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), r.srcArgs(), hl)
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	for i, a := range args {
		if a == "-hl-rate" {
			args[i+1] = "50/250ms"
		}
	}
	return r, args
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// Issue 19.2: on a terminal pbn2hl draws one live view — a bar per object
// redrawn in place and an overall bar with percent, call rate, ETA and
// the daily quota; the results still go to stdout after it.
func TestProgressLiveOnATerminal(t *testing.T) {
	r, args := progressRig(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 60, Cols: 220}))
	var screen lockedBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&screen, ptmx); close(copied) }()

	var out bytes.Buffer
	code := run(context.Background(), r.skipSample(append([]string{"run"}, args...)), func(k string) string { return r.env[k] }, &out, tty)
	_ = tty.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	raw := screen.String()
	require.Equal(t, exitOK, code, "%s\n%s", out.String(), raw)
	assert.Contains(t, out.String(), "run done", "results on stdout")
	assert.Regexp(t, `\x1b\[\d*A`, raw, "frames redrawn in place (cursor up)")
	plain := escapes.ReplaceAllString(raw, "")
	assert.Regexp(t, `run patients\s+\d+ % \[`, plain, "a bar per object")
	assert.Regexp(t, `run overall\s+\d+% \[`, plain, "the overall bar")
	assert.Regexp(t, `calls/s · ETA \d`, plain, "the ETA at HighLevel's pace")
	assert.Regexp(t, `daily quota [\d,]+/1,000,000 used \([\d,]+ left\)`, plain)
	assert.Regexp(t, `run overall\s+finished \[=+\]`, plain, "the last frame is complete")
	noPHI(t, r, plain)
}

// Off a terminal the same figures come as plain lines, one every
// -progress-every, with no escape codes; undo shows its total from the
// dry-run plan.
func TestProgressLinesOffATerminal(t *testing.T) {
	r, args := progressRig(t)
	args = append(args, "-progress-every", "300ms")
	code, out, errOut := r.run(append([]string{"run"}, args...)...)
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	assert.NotContains(t, errOut, "\x1b", "no escape codes off a terminal")
	overall := regexp.MustCompile(`(?m)^run (\d+)% · [\d,]+/[\d,]+ records.* · [\d,]+ calls · [\d.]+ calls/s · ETA \S+ · daily quota [\d,]+/1,000,000 used`)
	assert.GreaterOrEqual(t, len(overall.FindAllString(errOut, -1)), 2, "a line every interval with percent, rate, ETA and quota:\n%s", errOut)
	assert.Regexp(t, `(?m)^run patients [\d,]+/[\d,]+ done · .* · finished in `, errOut, "each object's line when it finishes")
	assert.Regexp(t, `(?m)^run finished · `, errOut, "the final line")
	assert.NotContains(t, errOut, "where the time went", "the time by object is -v's")

	// Issue 19.4: the run's success file, beside the ledger.
	m := regexp.MustCompile(`success file \(source key → HighLevel id, action\): (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	success, err := os.ReadFile(m[1])
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(success)).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(rows), 6)
	assert.Equal(t, []string{"source_entity", "source_key", "highlevel_type", "highlevel_id", "action", "run"}, rows[0])
	contacts := 0
	for _, row := range rows[1:] {
		assert.NotEmpty(t, row[3], "every row has its HighLevel id")
		if row[2] == "contact" && row[4] == "created" {
			contacts++
		}
	}
	assert.Equal(t, r.contacts(), contacts, "one created row per contact the run created")

	ledger := r.led(r.path("l.ledger"))
	var hl []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-map", "-pbn-url", "-ledger", "-ledger-key-file":
			i++ // undo takes neither the source nor the map
		default:
			hl = append(hl, args[i])
		}
	}
	code, out, errOut = r.run(join([]string{"undo"}, ledger, hl)...)
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	m = regexp.MustCompile(`(?m)^undo finished · ([\d,]+)/([\d,]+) compensations`).FindStringSubmatch(errOut)
	require.NotNil(t, m, errOut)
	assert.Equal(t, m[1], m[2])
	assert.Regexp(t, `(?m)^undo \d+% · [\d,]+/`+m[2]+` compensations`, errOut, "the total is known from the start:\n%s", errOut)
	noPHI(t, r, errOut)
}

// noPHI: progress carries counts, never a patient's name or e-mail.
func noPHI(t *testing.T, r *rig, text string) {
	t.Helper()
	n := 0
	for p := range r.pbn.Practice().Patients() {
		for _, v := range []string{p.FirstName + " " + p.LastName, p.Email} {
			if strings.TrimSpace(v) != "" {
				assert.NotContains(t, text, v)
			}
		}
		if n++; n == 5 {
			break
		}
	}
}
