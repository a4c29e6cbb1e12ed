//go:build unix

package pbnhl_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/rollback"
)

// BenchmarkRunRSS measures what issue 17.4 asks of memory from outside, as
// a user meets it: the maximum resident set size of `pbn2hl run` as its
// own process, with pbnsim and hlsim as separate processes (so their state
// is not counted), HighLevel's limits compressed (100 requests per 10 ms,
// no daily cap in reach). It is opt-in and long: PBNHL_RSS_PATIENTS lists
// the practice sizes, comma separated, e.g.
//
//	PBNHL_RSS_PATIENTS=2000,10000 go test -run XXX -bench BenchmarkRunRSS -benchtime 1x -timeout 2h .
//
// Without it the benchmark is skipped. Each size builds a fresh practice
// (pbnsim seed 42), proposes the default map, approves it, applies the
// schema and times `run -skip-sample`; the RSS is the child's
// ProcessState.SysUsage (Linux: Rusage.Maxrss, KiB). Metrics: rss-MB,
// rss-KB/patient, records (the run's done writes) and, after the first
// size, rss-ratio: this size's max RSS over the first size's. The issue's
// bar: RSS at 50,000 patients ≤ 1.5 × RSS at 2,000.
//
// Figures (2 cores shared with other engineers' runs, so the times are
// only indicative; hlsim held about 3.2 GB at 50,000):
//
//	                   2,000              10,000             20,000             50,000               ratio
//	before (9601baf)   101.2 MB           307.9 MB (14m29s)  -                  -                    3.04 @10,000
//	after (51e4c5c)     72.2 MB            81.4 MB (17m37s)  -                  -                    1.13 @10,000
//	after (f5db522)     -                  -                 87.9 MB (39m12s)   -                    1.22 @20,000
//	6163e42             73.6 MB (2m38s)    -                  -                 109.0 MB (1h50m42s)  1.48 @50,000
//
// (The 6163e42 row: two runs of this benchmark at that commit, 2,000 on an
// idle machine and 50,000 at nice 19 beside CI runs: 1,605,776 records.)
//
// Before, the id index held every parent's row, the relations done were a
// map for the run and the success file was built in memory at the end (the
// jump to 308 MB); after, all three are read from the ledger. RSS still
// grows by about 0.65 KB per patient between 10,000 and 20,000. By
// BenchmarkRunHeap's profile at 4,000 patients the live part of that is
// mostly the validator's hashes of parent and duplicate keys (about 240 B
// per patient) and the contacts waiting for their business link (about 0.7
// per patient), the collector keeping up to as much again as headroom.
// Extrapolated from 20,000, 50,000 patients would land near 107 MB; measured,
// 109.0 MB: 1.48 × the RSS at 2,000, within the bar (1.5 ×) by little.
func BenchmarkRunRSS(b *testing.B) {
	s := os.Getenv("PBNHL_RSS_PATIENTS")
	if s == "" {
		b.Skip("opt-in and long: set PBNHL_RSS_PATIENTS (e.g. 2000,10000) to measure pbn2hl run's max RSS as its own process")
	}
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(b, err, "PBNHL_RSS_PATIENTS: a comma-separated list of patient counts")
		require.Positive(b, n, "PBNHL_RSS_PATIENTS")
		sizes = append(sizes, n)
	}
	bin := b.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./examples/hlsim", "./examples/pbnsim", "./examples/pbn2hl")
	out, err := build.CombinedOutput()
	require.NoError(b, err, "go build the tools: %s", out)

	var first float64
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				rss, records := runRSS(b, bin, n)
				if first == 0 {
					first = rss
				}
				b.ReportMetric(rss/1024, "rss-MB")
				b.ReportMetric(rss/float64(n), "rss-KB/patient")
				b.ReportMetric(float64(records), "records")
				b.ReportMetric(rss/first, "rss-ratio")
				b.Logf("pbn2hl run at %d patients: max RSS %.1f MB, %d records, %.2f × the first size's", n, rss/1024, records, rss/first)
				b.StartTimer()
			}
		})
	}
}

const (
	rssHLToken  = "rss-hl-token"
	rssPBNToken = "rss-pbn-token"
	rssLocation = "hlLocRSSPractice0001"
	rssCompany  = "hlsimCompany00000001"
	rssFallback = "frontdesk@practice.example"
)

var rssURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// rssProc starts a simulator and returns its URL, from the first line
// that names one; it is interrupted when the benchmark ends.
func rssProc(b *testing.B, bin string, args ...string) string {
	cmd := exec.Command(bin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	require.NoError(b, cmd.Start(), "start %s", filepath.Base(bin))
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := rssURL.FindString(sc.Text()); m != "" && !sent {
				found <- m
				sent = true
			}
		}
	}()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = pw.Close()
	})
	select {
	case u := <-found:
		return u
	case <-time.After(2 * time.Minute):
		b.Fatalf("%s did not start", filepath.Base(bin))
		return ""
	}
}

// runRSS migrates a practice of n patients and returns pbn2hl run's max
// RSS in KiB and the run's done writes.
func runRSS(b *testing.B, bin string, patients int) (float64, int64) {
	dir := b.TempDir()
	users := `[{"id":"hlUserFrontDesk00001","firstName":"Front","lastName":"Desk","email":"` + rssFallback + `","role":"admin"}]`
	require.NoError(b, os.WriteFile(filepath.Join(dir, "users.json"), []byte(users), 0o600))
	pbn := rssProc(b, filepath.Join(bin, "pbnsim"), "-addr", "127.0.0.1:0", "-token", rssPBNToken,
		"-patients", strconv.Itoa(patients), "-seed", "42")
	hl := rssProc(b, filepath.Join(bin, "hlsim"), "-addr", "127.0.0.1:0", "-token", rssHLToken, "-location", rssLocation,
		"-company", rssCompany, "-users", filepath.Join(dir, "users.json"), "-rate-window", "10ms", "-daily", "1000000000")
	// The flags every data command takes; run's own come with it.
	common := []string{"-pbn-url", pbn, "-hl-url", hl, "-location", rssLocation, "-hl-rate", "100/10ms"}
	mapPath, ledger := filepath.Join(dir, "map.yaml"), filepath.Join(dir, "run.ledger")
	pbn2hl := func(args ...string) *os.ProcessState {
		cmd := exec.Command(filepath.Join(bin, "pbn2hl"), args...)
		cmd.Env = append(os.Environ(), "HL_TOKEN="+rssHLToken, "PBN_TOKEN="+rssPBNToken)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(b, err, "pbn2hl %s:\n%s", args[0], rssTail(string(out), 20))
		return cmd.ProcessState
	}
	pbn2hl(append([]string{"propose", "-from", "default", "-out", mapPath, "-review", filepath.Join(dir, "review.md")}, common...)...)
	pbn2hl("approve", "-map", mapPath, "-by", "rss-benchmark")
	ledgerArgs := []string{"-map", mapPath, "-ledger", ledger, "-plaintext-ledger"}
	pbn2hl(append(append([]string{"schema", "-apply", "-new-ledger"}, ledgerArgs...), common...)...)
	start := time.Now()
	b.StartTimer() // ns/op: the run alone
	st := pbn2hl(append(append([]string{"run", "-skip-sample", "-progress", "lines", "-progress-every", "1m",
		"-search-lag", "none", "-company", rssCompany, "-fallback-owner", rssFallback}, ledgerArgs...), common...)...)
	b.StopTimer()
	ru, ok := st.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		b.Skip("this platform reports no rusage for a child process")
	}
	rss := maxRSSKiB(ru)

	l, err := rollback.Open(context.Background(), ledger, rollback.Options{ReadOnly: true})
	require.NoError(b, err)
	defer l.Close()
	runs, err := l.Runs(context.Background())
	require.NoError(b, err)
	var done int64
	for _, r := range runs {
		if r.Kind == rollback.KindFull {
			done += r.Counters.Done
		}
	}
	b.Logf("pbn2hl run at %d patients took %s", patients, time.Since(start).Round(time.Second))
	return rss, done
}

func rssTail(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// maxRSSKiB is Rusage.Maxrss in KiB: Linux reports KiB, macOS bytes.
func maxRSSKiB(ru *syscall.Rusage) float64 {
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / 1024
	}
	return float64(ru.Maxrss)
}
