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
//
// The backend=postgres cases journal into a PostgreSQL ledger (1 and 256
// callers) on the test server (postgresDB); the throwaway local cluster
// runs with fsync on under -bench, so both backends wait for the disk at
// each commit. Their pairs/cpu-s counts this process only, not the
// server's CPU.
func BenchmarkJournal(b *testing.B) {
	for _, tc := range []struct {
		callers int
		key     bool
		normal  bool
		pg      bool
	}{{1, false, false, false}, {16, false, false, false}, {256, false, false, false}, {256, true, false, false},
		{1024, false, false, false}, {256, false, true, false}, {1, false, false, true}, {256, false, false, true}} {
		name := fmt.Sprintf("callers=%d/encrypted=%v", tc.callers, tc.key)
		if tc.normal {
			name += "/durability=normal"
		}
		if tc.pg {
			name = "backend=postgres/" + name
		} else {
			name = "backend=sqlite/" + name
		}
		b.Run(name, func(b *testing.B) {
			loc := filepath.Join(b.TempDir(), "l.db")
			if tc.pg {
				loc = postgresURL(b)
				pgBenchFsync(b, loc)
			}
			opts := Options{Plaintext: !tc.key, Logger: quietLogger()}
			if tc.normal {
				opts.Durability = DurabilityNormal
			}
			if tc.key {
				opts.Key = testKey(1)
			}
			l, err := Open(context.Background(), loc, opts)
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

// pgBenchFsync checks that the PostgreSQL server commits durably (fsync
// on: the harness starts the throwaway cluster with its defaults under
// -bench), so both backends wait for the disk at each commit.
func pgBenchFsync(b *testing.B, loc string) {
	b.Helper()
	p, err := parsePostgres(loc)
	require.NoError(b, err)
	db := p.db(false)
	defer db.Close()
	var fsync, syncCommit string
	require.NoError(b, db.QueryRow(`SELECT current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&fsync, &syncCommit))
	if fsync != "on" || syncCommit == "off" {
		b.Logf("PostgreSQL server has fsync=%s synchronous_commit=%s: its figures are not durable commits", fsync, syncCommit)
	}
}

func testKey(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}
