package pbnhl_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Environment of the child process of TestResumeAfterKill.
const (
	childHL     = "PBNHL_TEST_CHILD_HL"
	childPBN    = "PBNHL_TEST_CHILD_PBN"
	childToken  = "PBNHL_TEST_CHILD_PBN_TOKEN"
	childLedger = "PBNHL_TEST_CHILD_LEDGER"
)

// TestResumeAfterKill runs the full load in a child process (this test
// binary re-executed), kills it with SIGKILL mid-run — no deferred code, no
// flush — and resumes in this process: the final state is the one of an
// uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	if os.Getenv(childHL) != "" {
		runChild(t)
		return
	}
	o := envOptions{patients: size(30), seed: 5}
	want := baseline(t, o)

	e := newEnv(t, o)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	require.NoError(t, e.ledger.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), childHL+"="+e.hl.URL, childPBN+"="+e.pbn.URL, childToken+"="+e.pbn.Token(), childLedger+"="+e.path)
	require.NoError(t, cmd.Start())
	// Kill once the child is well into the load: contacts written and
	// custom records under way.
	deadline := time.Now().Add(2 * time.Minute)
	for e.hl.Count(hltest.DefaultLocationID, hltest.KindRecord) < size(40) {
		require.True(t, time.Now().Before(deadline), "the child made no progress")
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	records := e.hl.Count(hltest.DefaultLocationID, hltest.KindRecord)
	t.Logf("child killed with %d contacts and %d records written", e.hl.Count(hltest.DefaultLocationID, hltest.KindContact), records)
	require.Less(t, records, countRecords(want), "the child must be killed before it finished")

	e.openLedger()
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	assert.Empty(t, e.identityDuplicates())
	checkLinks(t, e)
	assert.Equal(t, want, e.fingerprint(), "same final state as an uninterrupted run")
	assertSettled(t, e)
}

func countRecords(fp []string) int {
	n := 0
	for _, l := range fp {
		if len(l) > 15 && l[:15] == "custom_objects." {
			n++
		}
	}
	return n
}

// runChild is the child side: the same migration, paced slowly so the
// parent can kill it mid-run.
func runChild(t *testing.T) {
	ctx := context.Background()
	src, err := pbn.NewClient(pbn.Options{BaseURL: os.Getenv(childPBN), Token: os.Getenv(childToken), RateLimit: -1})
	require.NoError(t, err)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: 100, Window: 300 * time.Millisecond, Margin: -1})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: os.Getenv(childHL), LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim})
	require.NoError(t, err)
	e := &env{t: t, src: src, client: c, path: os.Getenv(childLedger)}
	e.m = defaultMap(t, src)
	e.openLedger()
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
}
