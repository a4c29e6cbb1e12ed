package rollback

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkJournal measures intent+outcome pairs per second with full
// durability (fsync per group commit) for several numbers of concurrent
// callers, plus one run with DurabilityNormal to show what the fsyncs cost.
// Each b.N iteration is one pair. pairs/cpu-s (pairs per second of process
// CPU) is the figure to compare on a shared, noisy machine.
func BenchmarkJournal(b *testing.B) {
	for _, tc := range []struct {
		callers int
		key     bool
		normal  bool
	}{{1, false, false}, {16, false, false}, {256, false, false}, {256, true, false}, {1024, false, false}, {256, false, true}} {
		name := fmt.Sprintf("callers=%d/encrypted=%v", tc.callers, tc.key)
		if tc.normal {
			name += "/durability=normal"
		}
		b.Run(name, func(b *testing.B) {
			opts := Options{Plaintext: !tc.key, Logger: quietLogger()}
			if tc.normal {
				opts.Durability = DurabilityNormal
			}
			if tc.key {
				opts.Key = testKey(1)
			}
			l, err := Open(context.Background(), filepath.Join(b.TempDir(), "l.db"), opts)
			require.NoError(b, err)
			defer l.Close()
			ctx := context.Background()
			run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
			require.NoError(b, err)
			payload := []byte(`{"firstName":"x","lastName":"y","email":"a@example.com","customFields":[{"id":"f1","field_value":"1"}]}`)
			var next atomic.Int64
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			commits0, entries0 := l.w.commits.Load(), l.w.entries.Load()
			var wg sync.WaitGroup
			for range tc.callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						key := strconv.FormatInt(i, 10)
						seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: key, Payload: payload})
						if err != nil {
							b.Error(err)
							return
						}
						if err := run.Outcome(ctx, seq, Done("hl-"+key)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pairs/s")
			b.ReportMetric(float64(b.N)/cpu.Seconds(), "pairs/cpu-s")
			commits, entries := l.w.commits.Load()-commits0, l.w.entries.Load()-entries0
			b.ReportMetric(float64(entries)/float64(commits), "entries/commit")
		})
	}
}

func testKey(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}
