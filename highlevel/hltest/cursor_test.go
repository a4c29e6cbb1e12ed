package hltest

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cursors below are HighLevel's [creation ms, id]: every object of
// these tests is created in the same millisecond (the clock stands still),
// and every page's last object is deleted before the next page is asked
// for, so a cursor that needs its own record to still exist, or that
// compares timestamps only, repeats or skips records.

// pageAll pages through a listing, deleting each page's last object, and
// returns every id seen in order. next returns the ids of a page and the
// cursor to send for the next one (nil when done).
func pageAll(t *testing.T, first any, next func(cursor any) ([]string, any), del func(id string)) []string {
	t.Helper()
	var seen []string
	cursor := first
	for range 1000 {
		ids, c := next(cursor)
		seen = append(seen, ids...)
		if c == nil || len(ids) == 0 {
			return seen
		}
		del(ids[len(ids)-1])
		cursor = c
	}
	t.Fatal("paging did not end")
	return nil
}

func assertEachOnce(t *testing.T, want, seen []string) {
	t.Helper()
	count := map[string]int{}
	for _, id := range seen {
		count[id]++
	}
	for id, n := range count {
		assert.Equal(t, 1, n, "%s served %d times", id, n)
	}
	w := append([]string(nil), want...)
	sort.Strings(w)
	got := make([]string, 0, len(count))
	for id := range count {
		got = append(got, id)
	}
	sort.Strings(got)
	assert.Equal(t, w, got, "every record exactly once")
	assert.True(t, sort.SliceIsSorted(seen, func(i, j int) bool { return seen[i] < seen[j] }),
		"ties within one millisecond are ordered by id")
}

func TestSearchAfterSameMillisecondContacts(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now})
	var ids []string
	for i := range 137 {
		c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": fmt.Sprint("P", i)}).must(t, 201)["contact"])
		ids = append(ids, c["id"].(string))
	}
	del := func(id string) { tc.do("DELETE", "/contacts/"+id, nil).must(t, 200) }

	seen := pageAll(t, []any{}, func(cursor any) ([]string, any) {
		body := map[string]any{"locationId": loc, "pageLimit": 10}
		if c := cursor.([]any); len(c) > 0 {
			body["searchAfter"] = c
		}
		r := tc.do("POST", "/contacts/search", body).must(t, 200)
		var page []string
		var last any
		for _, x := range r["contacts"].([]any) {
			page = append(page, obj(t, x)["id"].(string))
			last = obj(t, x)["searchAfter"]
		}
		if last == nil {
			return page, nil
		}
		return page, last
	}, del)
	assertEachOnce(t, ids, seen)
}

func TestSearchAfterSameMillisecondLegacyContactList(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now})
	var ids []string
	for i := range 95 {
		c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": fmt.Sprint("P", i)}).must(t, 201)["contact"])
		ids = append(ids, c["id"].(string))
	}
	seen := pageAll(t, "", func(cursor any) ([]string, any) {
		r := tc.do("GET", "/contacts/?locationId="+loc+"&limit=7"+cursor.(string), nil).must(t, 200)
		var page []string
		for _, x := range r["contacts"].([]any) {
			page = append(page, obj(t, x)["id"].(string))
		}
		m := obj(t, r["meta"])
		if m["startAfterId"] == nil {
			return page, nil
		}
		return page, fmt.Sprintf("&startAfter=%d&startAfterId=%s", int64(m["startAfter"].(float64)), m["startAfterId"])
	}, func(id string) { tc.do("DELETE", "/contacts/"+id, nil).must(t, 200) })
	assertEachOnce(t, ids, seen)
}

func TestSearchAfterSameMillisecondRecords(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now})
	createSchema(t, tc, "custom_objects.appointment")
	var ids []string
	for i := range 64 {
		r := obj(t, tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{"locationId": loc,
			"properties": map[string]any{"name": fmt.Sprint("Visit ", i)}}).must(t, 201)["record"])
		ids = append(ids, r["id"].(string))
	}
	seen := pageAll(t, []any{}, func(cursor any) ([]string, any) {
		r := tc.do("POST", "/objects/custom_objects.appointment/records/search", map[string]any{
			"locationId": loc, "page": 1, "pageLimit": 6, "query": "", "searchAfter": cursor}).must(t, 200)
		var page []string
		var last []any
		for _, x := range r["records"].([]any) {
			page = append(page, obj(t, x)["id"].(string))
			last = obj(t, x)["searchAfter"].([]any)
		}
		if last == nil {
			return page, nil
		}
		// HighLevel's cursor: [createdAt ms, record id].
		assert.Equal(t, page[len(page)-1], last[1])
		return page, last
	}, func(id string) { tc.do("DELETE", "/objects/custom_objects.appointment/records/"+id, nil).must(t, 200) })
	assertEachOnce(t, ids, seen)
}

func TestSearchAfterSameMillisecondOpportunities(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now})
	p := createPipeline(t, tc, "Cases")
	var ids []string
	for i := range 53 {
		c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": fmt.Sprint("P", i)}).must(t, 201)["contact"])
		o := obj(t, tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": p["id"], "name": fmt.Sprint("Plan ", i),
			"status": "open", "contactId": c["id"]}).must(t, 201)["opportunity"])
		ids = append(ids, o["id"].(string))
	}
	del := func(id string) { tc.do("DELETE", "/opportunities/"+id, nil).must(t, 200) }

	t.Run("POST search", func(t *testing.T) {
		seen := pageAll(t, []string{}, func(cursor any) ([]string, any) {
			r := tc.do("POST", "/opportunities/search", map[string]any{"locationId": loc, "query": "", "limit": 5, "page": 1,
				"searchAfter": cursor, "additionalDetails": map[string]any{"notes": false, "tasks": false, "calendarEvents": false, "unReadConversations": false}}).must(t, 200)
			var page []string
			var last []string
			for _, x := range r["opportunities"].([]any) {
				page = append(page, obj(t, x)["id"].(string))
				sa := obj(t, x)["searchAfter"].([]any)
				last = []string{sa[0].(string), sa[1].(string)}
			}
			if last == nil {
				return page, nil
			}
			_, err := strconv.ParseInt(last[0], 10, 64)
			require.NoError(t, err)
			return page, last
		}, del)
		assertEachOnce(t, ids, seen)
	})

	t.Run("GET search", func(t *testing.T) {
		r := tc.do("GET", "/opportunities/search?location_id="+loc+"&limit=100", nil).must(t, 200)
		var left []string
		for _, x := range r["opportunities"].([]any) {
			left = append(left, obj(t, x)["id"].(string))
		}
		require.NotEmpty(t, left)
		seen := pageAll(t, "", func(cursor any) ([]string, any) {
			r := tc.do("GET", "/opportunities/search?location_id="+loc+"&limit=4"+cursor.(string), nil).must(t, 200)
			var page []string
			for _, x := range r["opportunities"].([]any) {
				page = append(page, obj(t, x)["id"].(string))
			}
			m := obj(t, r["meta"])
			if m["startAfterId"] == nil {
				return page, nil
			}
			return page, fmt.Sprintf("&startAfter=%d&startAfterId=%s", int64(m["startAfter"].(float64)), url.QueryEscape(m["startAfterId"].(string)))
		}, del)
		assertEachOnce(t, left, seen)
	})
}
