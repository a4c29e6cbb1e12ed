package mapping

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestConcurrentApply shares one Applier, Validator, Aggregator and Report
// between goroutines (run with -race), and checks the counts match a
// sequential run.
func TestConcurrentApply(t *testing.T) {
	p := pbntest.MustPractice(3, 80)
	m := approvedDefault(t)
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	var recs []Record
	for r := range records(p.Patients()) {
		recs = append(recs, r)
	}
	var comms []Record
	for r := range records(p.Communications()) {
		comms = append(comms, r)
	}
	run := func(workers int) (map[string]ObjectTally, int) {
		v := NewValidator(m, ValidatorOptions{})
		rep := &Report{}
		agg := NewAggregator(m)
		for _, batch := range []struct {
			object string
			recs   []Record
		}{{"patients", recs}, {"communication_log", comms}} {
			var wg sync.WaitGroup
			ch := make(chan Record)
			for range workers {
				wg.Go(func() {
					var pl Payload
					for r := range ch {
						require.NoError(t, a.ApplyTo(batch.object, r, &pl))
						v.Check(&pl)
						rep.Add(&pl)
						agg.Add(&pl)
					}
				})
			}
			for _, r := range batch.recs {
				ch <- r
			}
			close(ch)
			wg.Wait()
		}
		vals, err := agg.All()
		require.NoError(t, err)
		return rep.Objects(), len(vals)
	}
	seqTally, seqVals := run(1)
	parTally, parVals := run(4)
	// Which of two duplicates is flagged may differ; totals may not.
	for obj, s := range seqTally {
		p := parTally[obj]
		assert.Equal(t, s.Records, p.Records, obj)
		assert.Equal(t, s.Skipped, p.Skipped, obj)
		assert.Equal(t, s.Valid+s.Invalid, p.Valid+p.Invalid, obj)
	}
	assert.Equal(t, seqVals, parVals)
	assert.Positive(t, seqVals)
}
