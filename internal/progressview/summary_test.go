package progressview

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/pbnhl/pbnhl"
)

type quota struct{ limit, left int }

func (q quota) DailyLimit() (int, bool)     { return q.limit, q.limit > 0 }
func (q quota) DailyRemaining() (int, bool) { return q.left, q.limit > 0 }

func TestSummarizeGrowthAndPercent(t *testing.T) {
	objs := []pbnhl.Progress{
		{Phase: "run", Object: "patients", Total: 3093, Done: 3101, Calls: 3101, Finished: true}, // the practice grew by 8
		{Phase: "run", Object: "appointments", Total: 1000, Done: 250, Calls: 500},
		{Phase: "run", Object: "procedures", Done: 40, Calls: 40}, // expanded: no total up front
	}
	s := Summarize(objs, 0, 0, nil)
	assert.Equal(t, "run", s.Phase)
	assert.Equal(t, int64(3101+250+40), s.Done)
	assert.Equal(t, int64(3101+1000+40), s.Total)
	assert.Equal(t, int64(8), s.Growth)
	assert.True(t, s.Unknown)
	assert.False(t, s.Finished)
	assert.InDelta(t, 100*float64(3391)/4141, s.Percent, 1e-9)
	// 750 appointments left at the 2 calls per record they have shown.
	assert.Equal(t, int64(1500), s.CallsLeft)
	assert.Zero(t, s.ETA, "no call rate yet: no ETA")
	assert.Contains(t, s.Line(), "(+8 new since start)")
	assert.Contains(t, s.Line(), "ETA …")
}

func TestSummarizeETAFromCallPace(t *testing.T) {
	objs := []pbnhl.Progress{{Phase: "run", Object: "patients", Total: 1000, Done: 100, Calls: 200}}
	// 1,800 calls left at 10 calls/s: 3 min, whatever the records' rate.
	s := Summarize(objs, 10, 0, nil)
	assert.Equal(t, int64(1800), s.CallsLeft)
	assert.Equal(t, 3*time.Minute, s.ETA)
	// A burst above the configured rate does not shorten the ETA: the
	// limiter will not go faster.
	s = Summarize(objs, 40, 10, nil)
	assert.Equal(t, 10.0, s.CallRate)
	assert.Equal(t, 3*time.Minute, s.ETA)
	// An object not started yet counts one call per record.
	s = Summarize([]pbnhl.Progress{{Phase: "run", Object: "x", Total: 50}}, 5, 0, nil)
	assert.Equal(t, 10*time.Second, s.ETA)
	// Finished: nothing left, no ETA.
	s = Summarize([]pbnhl.Progress{{Phase: "run", Object: "x", Total: 50, Done: 50, Calls: 50, Finished: true}}, 5, 0, nil)
	assert.Zero(t, s.ETA)
	assert.True(t, s.Finished)
	assert.Equal(t, 100.0, s.Percent)
	assert.NotContains(t, s.Line(), "ETA")
	assert.Contains(t, s.Line(), "run finished")
}

func TestSummarizeQuota(t *testing.T) {
	objs := []pbnhl.Progress{{Phase: "undo", Object: "compensations", Total: 10, Done: 5, Calls: 5}}
	s := Summarize(objs, 0, 0, quota{limit: 200000, left: 150000})
	assert.True(t, s.QuotaKnown)
	assert.Contains(t, s.Figures(), "daily quota 50,000/200,000 used (150,000 left)")
	s = Summarize(objs, 0, 0, quota{})
	assert.False(t, s.QuotaKnown, "before HighLevel reported it")
	assert.NotContains(t, s.Figures(), "quota")
	assert.Equal(t, "undo 50% · 5/10 compensations · 5 calls · ETA …", s.Line())
}

func TestRateWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := rateWindow{window: 10 * time.Second}
	assert.Zero(t, r.add(t0, 0))
	assert.Zero(t, r.add(t0.Add(500*time.Millisecond), 100), "under a second of history: no rate")
	assert.InDelta(t, 10, r.add(t0.Add(2*time.Second), 20), 1e-9)
	// A burst long ago leaves the window: the rate is the recent pace.
	for i := 3; i <= 30; i++ {
		r.add(t0.Add(time.Duration(i)*time.Second), 20+int64(i-2)*2)
	}
	assert.InDelta(t, 2, r.add(t0.Add(31*time.Second), 20+29*2), 0.3)
	assert.LessOrEqual(t, len(r.samples), 12)
}

// A sample's objects have no total up front: no percentage that would
// read 100 % while it runs.
func TestSummaryStateWithoutTotals(t *testing.T) {
	s := Summarize([]pbnhl.Progress{{Phase: "sample", Object: "patients", Done: 1, Written: 1, Calls: 2}}, 0, 0, nil)
	assert.Equal(t, "sample running · 1/1 records (counting) · 2 calls", s.Line())
	s = Summarize([]pbnhl.Progress{{Phase: "sample", Object: "patients", Done: 5, Calls: 9, Finished: true}}, 0, 0, nil)
	assert.Equal(t, "sample finished · 5/5 records · 9 calls", s.Line())
}

func TestObjectLine(t *testing.T) {
	l := ObjectLine(pbnhl.Progress{Phase: "sample", Object: "patients", Done: 1, Written: 1, Calls: 2})
	assert.Equal(t, "sample patients 1/? done · 1 written · 0 existing · 0 invalid · 0 rejected · 2 calls", l)
	l = ObjectLine(pbnhl.Progress{Phase: "run", Object: "patients", Total: 3093, Done: 3101, Written: 3101, Calls: 3101, Finished: true, Elapsed: time.Minute})
	assert.Contains(t, l, "3,101/3,101 done")
	assert.Contains(t, l, "+8 new since start")
	assert.Contains(t, l, "finished in")
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Auto, "auto": Auto, "live": Live, "lines": Lines} {
		got, err := ParseMode(in)
		assert.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseMode("fancy")
	assert.Error(t, err)
}

// TestSummaryWaiting: writes waited on before their lookup are said while
// the phase runs (one migration-wide figure, not summed over objects), and
// not once it finished.
func TestSummaryWaiting(t *testing.T) {
	objs := []pbnhl.Progress{
		{Phase: "run", Object: "patients", Total: 300, Done: 300, Calls: 300, Waiting: 2, Finished: true},
		{Phase: "run", Object: "appointments", Total: 900, Done: 897, Calls: 900, Waiting: 3},
		{Phase: "run", Object: "procedures", Total: 100, Done: 99, Calls: 99, Waiting: 3},
	}
	s := Summarize(objs, 0, 0, nil)
	assert.Equal(t, int64(3), s.Waiting)
	assert.Contains(t, s.Line(), "· 3 writes waiting to be looked up (answer lost or run killed; until they can no longer land)")
	objs[1].Waiting, objs[2].Waiting = 1, 1
	assert.Contains(t, Summarize(objs, 0, 0, nil).Line(), "· 1 write waiting to be looked up")
	objs[1].Finished, objs[2].Finished = true, true
	assert.NotContains(t, Summarize(objs, 0, 0, nil).Line(), "waiting")

	// A resume settling what a killed run left counts intents, not records.
	r := Summarize([]pbnhl.Progress{{Phase: pbnhl.PhaseResolve, Object: "pending_intents", Total: 8, Waiting: 8}}, 0, 0, nil)
	assert.Contains(t, r.Line(), "0/8 pending intents · 0 calls · 8 writes waiting to be looked up")

	// Settling what a run left unknown at its end does not rename the
	// run's line, whichever object came first.
	mixed := []pbnhl.Progress{
		{Phase: pbnhl.PhaseResolve, Object: "pending_intents", Total: 8, Done: 8, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "patients", Total: 300, Done: 120, Calls: 120},
		{Phase: pbnhl.PhaseResolve, Object: "pending_intents", Total: 2, Waiting: 2},
	}
	for _, objs := range [][]pbnhl.Progress{mixed, mixed[1:], {mixed[1], mixed[0]}} {
		assert.Equal(t, pbnhl.PhaseRun, Summarize(objs, 0, 0, nil).Phase)
	}
}
