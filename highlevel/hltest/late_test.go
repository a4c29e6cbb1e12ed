package hltest

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postContact sends POST /contacts/ with a client deadline (0: none) and
// returns the status (0 on a transport error) and when the call ended.
func postContact(t *testing.T, s *Server, timeout time.Duration, first string) (int, error) {
	t.Helper()
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	raw := []byte(`{"locationId":"` + loc + `","firstName":"` + first + `"}`)
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/contacts/", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	req.Header.Set("Version", "2021-07-28")
	req.Header.Set("Content-Type", "application/json")
	res, err := s.Client().Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// The client gives up (its deadline, or a killed process) while the write
// is held; HighLevel applies it afterwards and dates it then.
func TestApplyLateAfterClientTimeout(t *testing.T) {
	const delay = 300 * time.Millisecond
	s, tc := newTestServer(t, Options{Faults: []FaultRule{{Route: "POST /contacts/", ApplyLateRate: 1, ApplyLateDelay: delay}}})
	sent := time.Now()
	_, err := postContact(t, s, 50*time.Millisecond, "Late")
	require.Error(t, err, "the client must not get an answer before its deadline")
	assert.Equal(t, 0, s.Count(loc, KindContact), "nothing applied when the client gave up")
	assert.Equal(t, 1, s.HeldWrites())
	// A lookup right after the client gave up finds nothing (what a resumed
	// run sees if it settles too early).
	search := map[string]any{"locationId": loc, "query": "late"}
	assert.EqualValues(t, 0, tc.do("POST", "/contacts/search", search).must(t, 200)["total"])

	s.WaitApplied()
	assert.Equal(t, 0, s.HeldWrites())
	cs := s.Contacts(loc)
	require.Len(t, cs, 1)
	assert.Equal(t, "Late", cs[0].FirstName)
	assert.False(t, cs[0].DateAdded.Before(sent.Add(delay).Truncate(time.Millisecond)),
		"dateAdded %s must be the time the write was applied (≥ %s)", cs[0].DateAdded, sent.Add(delay))
	assert.EqualValues(t, 1, tc.do("POST", "/contacts/search", search).must(t, 200)["total"])

	log := s.RequestLog()
	require.Len(t, log, 3)
	// The held write is recorded when its handler ends, which a slow
	// machine (-race) may schedule after the first search: find it by its
	// route, not its place.
	var late []RequestRecord
	for _, r := range log {
		if r.Fault != "" || (r.Method == "POST" && !strings.Contains(r.Path, "search")) {
			late = append(late, r)
		}
	}
	require.Len(t, late, 1, "%+v", log)
	assert.Equal(t, "apply-late", late[0].Fault)
	assert.Equal(t, 0, late[0].Status)
}

// A client that waits longer than the hold sees its connection reset at
// the moment the write lands: the object exists before the client learns
// anything.
func TestApplyLateClientStillWaiting(t *testing.T) {
	const delay = 100 * time.Millisecond
	s, _ := newTestServer(t, Options{Faults: []FaultRule{{Route: "POST *", ApplyLateRate: 1, ApplyLateDelay: delay}}})
	start := time.Now()
	_, err := postContact(t, s, 0, "Waiting")
	require.Error(t, err)
	assert.GreaterOrEqual(t, time.Since(start), delay)
	assert.Equal(t, 1, s.Count(loc, KindContact), "applied before the connection was reset")
}

// Reads are never held, and a rate below 1 holds only some writes
// (seeded).
func TestApplyLateOnlyWrites(t *testing.T) {
	s, tc := newTestServer(t, Options{Faults: []FaultRule{{Route: "*", ApplyLateRate: 1, ApplyLateDelay: time.Hour}}})
	tc.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	assert.Equal(t, 0, s.HeldWrites())
	assert.Empty(t, s.RequestLog()[0].Fault)

	run := func() []string {
		s, _ := newTestServer(t, Options{Seed: 7, Faults: []FaultRule{{Route: "POST /contacts/", ApplyLateRate: 0.5, ApplyLateDelay: 20 * time.Millisecond}}})
		var faults []string
		for range 12 {
			_, _ = postContact(t, s, 0, "S")
		}
		s.WaitApplied()
		assert.Equal(t, 12, s.Count(loc, KindContact), "every write applied, late or not")
		for _, r := range s.RequestLog() {
			faults = append(faults, r.Fault)
		}
		return faults
	}
	a := run()
	assert.Equal(t, a, run())
	assert.Contains(t, a, "apply-late")
	assert.Contains(t, a, "")
}
