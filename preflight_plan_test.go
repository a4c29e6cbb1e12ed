package pbnhl_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestPlanByDayReplay replays a run across simulated days: HighLevel's
// daily quota is small, its clock moves to the next day when a call is
// refused for the day, and the run pauses at each limit and resumes after
// the reset (the default policy). The preflight's plan must say how many
// days the run took, exactly, what each day's quota carried (the records
// of each kind landing each day, from the ledger's intents bucketed by the
// day switches), within a few records where an object straddles a reset,
// and the calls within 5% in total.
func TestPlanByDayReplay(t *testing.T) {
	const quota = 700
	// HighLevel's clock starts at noon UTC today, so the plan's first day
	// is not cut short by the time of day the test runs at.
	noon := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	var offset atomic.Int64
	offset.Store(int64(noon.Sub(time.Now())))
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := newEnv(t, envOptions{patients: 25, seed: 13, hlClock: clock, daily: quota})

	// The switches: real times at which HighLevel's day changed, and the
	// calls each day served. One worker, so a refusal for the day is the
	// last call of its day.
	var mu sync.Mutex
	var switches []time.Time
	served := []int64{0}
	hook := func(c highlevel.Call) {
		mu.Lock()
		defer mu.Unlock()
		d := len(served) - 1
		if c.StatusCode != 429 {
			served[d]++
			return
		}
		if served[d] >= quota { // the day's quota is spent (not a burst refusal)
			switches = append(switches, time.Now())
			served = append(served, 0)
			offset.Add(int64(24 * time.Hour))
		}
	}
	e.hook.Store(&hook)

	ctx := context.Background()
	var logs lockedBuffer
	m := e.migration(func(o *pbnhl.Options) {
		o.Concurrency = 1
		o.Now = clock
		o.DailyLimitWait = 20 * time.Millisecond
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	est := pre.Estimate
	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	t.Log(text.String())
	assert.Equal(t, quota, est.DailyLimit, "read from X-RateLimit-Limit-Daily")
	assert.Equal(t, int64(quota), int64(est.DailyRemaining)+served[0], "today's remaining is the quota less the preflight's reads")

	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	e.hook.Store(nil)

	mu.Lock()
	days := len(served)
	mu.Unlock()
	require.Equal(t, est.Days, days, "the plan's day count")
	// The client's fail-fast after a refusal can pause a worker twice for
	// one reset; every reset pauses at least once.
	assert.GreaterOrEqual(t, strings.Count(logs.String(), "daily API limit spent, pausing"), days-1, "a pause per reset")
	assert.Contains(t, logs.String(), "resume_at=", "the pause says when the run resumes")
	require.Len(t, est.Plan, days)
	for i, d := range est.Plan {
		assert.Equal(t, i+1, d.Day)
		assert.Equal(t, noon.Add(time.Duration(i)*24*time.Hour).Truncate(24*time.Hour).Add(24*time.Hour), d.Reset, "day %d ends at the UTC midnight", d.Day)
	}

	// Calls: what the plan says the run spends against what HighLevel
	// served after the preflight.
	var sent int64
	for _, n := range served {
		sent += n
	}
	sent -= int64(quota - est.DailyRemaining)
	planned := est.Calls + est.Overhead
	t.Logf("calls: planned %d (records %d, schema and setup %d), served %d (run report %d)", planned, est.Calls, est.Overhead, sent, rep.Calls)
	assert.InEpsilon(t, float64(sent), float64(planned), 0.05, "the estimate within 5%% of the calls served")

	// Contents: the records of each ledger type landing each day.
	typeOf := map[string]string{}
	for _, o := range e.m.Objects {
		typeOf[o.Name] = o.RecordType()
	}
	want := make([]map[string]int64, days)
	for i, d := range est.Plan {
		want[i] = map[string]int64{}
		for _, o := range d.Objects {
			if typ := typeOf[o.Object]; typ != "" && o.Records > 0 {
				want[i][typ] += o.Records
				if typ == rollback.TypeMedia {
					want[i][rollback.TypeNote] += o.Records // a document is its file and the note naming it
				}
			}
		}
	}
	got := make([]map[string]int64, days)
	for i := range got {
		got[i] = map[string]int64{}
	}
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		require.NoError(t, err)
		if en.Op != rollback.OpCreate || en.ObjectType == rollback.TypeRelation {
			continue
		}
		d := sort.Search(len(switches), func(i int) bool { return switches[i].After(en.IntentAt) })
		got[d][en.ObjectType]++
	}
	var table strings.Builder
	for i := range days {
		types := map[string]bool{}
		for k := range want[i] {
			types[k] = true
		}
		for k := range got[i] {
			types[k] = true
		}
		for _, k := range slices.Sorted(keysOf(types)) {
			fmt.Fprintf(&table, "day %d %-40s planned %4d landed %4d\n", i+1, k, want[i][k], got[i][k])
		}
	}
	t.Log("\n" + table.String())
	for i := range days {
		for k, w := range want[i] {
			// The plan splits an object across a reset in proportion to
			// its calls; what lands moves with the calls' error (here the
			// calls run ~1% over the estimate), so a straddling object may
			// differ by 2% of a day's quota.
			assert.InDelta(t, w, got[i][k], max(3, 0.02*quota), "day %d %s: planned against landed", i+1, k)
		}
		for k, g := range got[i] {
			if _, ok := want[i][k]; !ok {
				assert.LessOrEqual(t, g, int64(3), "day %d %s: landed though not planned", i+1, k)
			}
		}
	}
}

func keysOf(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// lockedBuffer is a log sink safe for the run's goroutines.
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
