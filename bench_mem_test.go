package pbnhl_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
)

// BenchmarkRunHeap measures the live heap a Run holds for its bookkeeping,
// per written record, at one or more practice sizes (PBNHL_HEAP_PATIENTS,
// comma separated; default 200). The simulators run in this process and
// their state grows with the practice too, so the run's share is the peak
// live heap during Run minus the live heap after it (the simulators kept,
// the run's state released); a sampler forces a GC every 200 ms so the
// peak is live data, not garbage. Metrics: run-KB/record (what issue 17.4
// wants flat), sim-KB/record (the simulators' growth), peak-MB.
// PBNHL_HEAP_PROFILE=dir writes a heap profile taken at the peak to
// dir/heap-<patients>.pprof (go tool pprof -sample_index=inuse_space).
func BenchmarkRunHeap(b *testing.B) {
	sizes := []int{200}
	if s := os.Getenv("PBNHL_HEAP_PATIENTS"); s != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(b, err, "PBNHL_HEAP_PATIENTS")
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				runHeap(b, n)
			}
		})
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func runHeap(b *testing.B, patients int) {
	b.StopTimer()
	e := newEnv(b, envOptions{patients: patients, seed: 17, window: 10 * time.Millisecond, daily: 100_000_000})
	ctx := context.Background()
	m := e.migration(func(o *pbnhl.Options) { o.Concurrency = 16 })
	_, err := m.ApplySchema(ctx)
	require.NoError(b, err)
	before := liveHeap()

	var (
		mu   sync.Mutex
		peak uint64
		prof bytes.Buffer
	)
	dir := os.Getenv("PBNHL_HEAP_PROFILE")
	sample := func() {
		h := liveHeap()
		mu.Lock()
		defer mu.Unlock()
		if h > peak {
			peak = h
			if dir != "" {
				prof.Reset()
				_ = pprof.Lookup("heap").WriteTo(&prof, 0)
			}
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	b.StartTimer()
	rep, err := m.Run(ctx)
	b.StopTimer()
	close(stop)
	<-done
	require.NoError(b, err)
	after := liveHeap()
	runtime.KeepAlive(m)

	written := rep.Totals().Written
	require.Positive(b, written)
	held := float64(0)
	if peak > after {
		held = float64(peak - after)
	}
	b.ReportMetric(held/1024/float64(written), "run-KB/record")
	b.ReportMetric(float64(int64(after)-int64(before))/1024/float64(written), "sim-KB/record")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(float64(written), "records")
	if dir != "" {
		require.NoError(b, os.WriteFile(dir+"/heap-"+strconv.Itoa(patients)+".pprof", prof.Bytes(), 0o600))
	}
	b.StartTimer()
}
