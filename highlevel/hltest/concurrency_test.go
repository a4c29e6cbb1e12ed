package hltest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentClients runs hundreds of concurrent clients over two
// locations (creates, upserts racing on the same emails, reads, searches,
// deletes) and checks the invariants: no duplicate email in a location that
// forbids them, every response well-formed, counts consistent.
func TestConcurrentClients(t *testing.T) {
	other := Location{ID: "otherLocation0000001", Token: "pit-other"}
	s, _ := newTestServer(t, Options{Locations: []Location{{ID: loc, Token: DefaultToken}, other}})
	const workers, perWorker = 200, 10
	if testing.Short() {
		t.Log("short mode: fewer requests per worker")
	}
	n := perWorker
	if testing.Short() {
		n = 4
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var wg sync.WaitGroup
	errs := make(chan error, workers*n*3)
	send := func(token, method, path, body string) int {
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Version", "2021-07-28")
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			errs <- err
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token, locID := DefaultToken, loc
			if w%4 == 3 {
				token, locID = "pit-other", other.ID
			}
			for i := range n {
				// 20 distinct emails shared by all workers of a location:
				// creates race, and the duplicate rule must hold.
				email := fmt.Sprintf("shared%d@x.com", (w+i)%20)
				st := send(token, "POST", "/contacts/upsert", fmt.Sprintf(`{"locationId":%q,"email":%q,"city":"c%d"}`, locID, email, w))
				if st != 200 {
					errs <- fmt.Errorf("upsert: %d", st)
				}
				st = send(token, "POST", "/contacts/", fmt.Sprintf(`{"locationId":%q,"firstName":"W%d-%d"}`, locID, w, i))
				if st != 201 {
					errs <- fmt.Errorf("create: %d", st)
				}
				if st = send(token, "POST", "/contacts/search", fmt.Sprintf(`{"locationId":%q,"pageLimit":5}`, locID)); st != 200 {
					errs <- fmt.Errorf("search: %d", st)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Empty(t, s.Duplicates(loc), "no duplicate emails in a location that forbids them")
	assert.Empty(t, s.Duplicates(other.ID))
	assert.Equal(t, 20+150*n, s.Count(loc, KindContact))
	assert.Equal(t, 20+50*n, s.Count(other.ID, KindContact))
	assert.Len(t, s.RequestLog(), workers*n*3)
}
