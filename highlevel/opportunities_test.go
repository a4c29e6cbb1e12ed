package highlevel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const opportunityJSON = `{"id":"o1","name":"Implant plan","monetaryValue":1500.5,"pipelineId":"p1","pipelineStageId":"s1",
 "assignedTo":"u1","status":"open","source":"api","lastStatusChangeAt":"2024-03-01T10:00:00.000Z","createdAt":"2024-03-01T10:00:00.000Z",
 "updatedAt":"2024-03-02T10:00:00.000Z","contactId":"c1","locationId":"loc-test-1",
 "contact":{"id":"c1","name":"Rosan Deo","email":"rosan@deos.com","tags":["vip"]},
 "customFields":[{"id":"f1","fieldValue":"PBN-9"},{"id":"f2","fieldValue":["a","b"]},{"id":"f3","field_value":12}],
 "followers":["u2"],"notes":[],"tasks":[],"calendarEvents":[]}`

const pipelineJSON = `{"id":"p1","name":"Treatment","stages":[{"id":"s1","name":"Proposed","position":0},{"id":"s2","name":"Accepted","position":1}],
 "locationId":"loc-test-1","showInFunnel":true,"showInPieChart":true}`

func checkO1(t *testing.T, got any) {
	o := got.(*Opportunity)
	assert.Equal(t, "o1", o.ID)
	assert.Equal(t, Cents(150050), o.Cents())
	assert.Equal(t, StatusOpen, o.Status)
	assert.Equal(t, "c1", o.Contact.ID)
	assert.Equal(t, []string{"u2"}, o.Followers)
	assert.Equal(t, 2, o.UpdatedAt.Day())
	f1, ok := o.CustomField("f1")
	require.True(t, ok)
	s, _ := f1.Text()
	assert.Equal(t, "PBN-9", s)
	f2, _ := o.CustomField("f2")
	ss, _ := f2.Strings()
	assert.Equal(t, []string{"a", "b"}, ss)
	f3, _ := o.CustomField("f3")
	n, _ := f3.Number()
	assert.Equal(t, 12.0, n)
}

func TestOpportunitiesOperations(t *testing.T) {
	money := Cents(150050)
	runOpCases(t, []opCase{
		{
			name: "create", pattern: "POST /opportunities/{$}", status: 201, response: `{"opportunity":` + opportunityJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Opportunities.Create(ctx, OpportunityInput{PipelineID: "p1", PipelineStageID: "s1", Name: "Implant plan",
					ContactID: "c1", MonetaryValue: &money, AssignedTo: "u1",
					CustomFields: []CustomFieldInput{{ID: "f1", Value: TextValue("PBN-9")}}})
			},
			wantBody: `{"pipelineId":"p1","locationId":"loc-test-1","name":"Implant plan","pipelineStageId":"s1","status":"open",
				"contactId":"c1","monetaryValue":1500.5,"assignedTo":"u1","customFields":[{"id":"f1","field_value":"PBN-9"}]}`,
			check: checkO1,
		},
		{
			name: "get", pattern: "GET /opportunities/o1", status: 200, response: `{"opportunity":` + opportunityJSON + `}`,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.Opportunities.Get(ctx, "o1") },
			check: checkO1,
		},
		{
			name: "update", pattern: "PUT /opportunities/o1", status: 200, response: `{"opportunity":` + opportunityJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Opportunities.Update(ctx, "o1", OpportunityUpdate{PipelineStageID: Ptr("s2"), Status: Ptr(StatusWon),
					MonetaryValue: Ptr(Cents(0))})
			},
			wantBody: `{"pipelineStageId":"s2","status":"won","monetaryValue":0}`,
			check:    checkO1,
		},
		{
			name: "update status", pattern: "PUT /opportunities/o1/status", status: 200, response: `{"succeded":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Opportunities.UpdateStatus(ctx, "o1", StatusLost, "lr1")
			},
			wantBody: `{"status":"lost","lostReasonId":"lr1"}`,
		},
		{
			name: "delete", pattern: "DELETE /opportunities/o1", status: 200, response: `{"succeded":true}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Opportunities.Delete(ctx, "o1") },
		},
		{
			name: "upsert", pattern: "POST /opportunities/upsert", status: 200, response: `{"opportunity":` + opportunityJSON + `,"new":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Opportunities.Upsert(ctx, OpportunityUpsert{PipelineID: "p1", ContactID: "c1", Name: "Implant plan",
					Status: StatusOpen, MonetaryValue: &money})
			},
			wantBody: `{"pipelineId":"p1","locationId":"loc-test-1","contactId":"c1","followers":[],"isRemoveAllFollowers":false,
				"followersActionType":"add","name":"Implant plan","status":"open","monetaryValue":1500.5}`,
			check: func(t *testing.T, got any) {
				r := got.(*OpportunityUpsertResult)
				assert.True(t, r.Created)
				checkO1(t, r.Opportunity)
			},
		},
		{
			name: "search with filters", pattern: "GET /opportunities/search", status: 200,
			response: `{"opportunities":[` + opportunityJSON + `],"meta":{"total":1,"currentPage":1}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				var got []*Opportunity
				for o, err := range c.Opportunities.Search(ctx, OpportunitySearch{PipelineID: "p1", ContactID: "c1",
					Status: StatusAll, Query: "implant", PipelineStageID: "s1", AssignedTo: "u1", PageLimit: 20}) {
					if err != nil {
						return nil, err
					}
					got = append(got, o)
				}
				return got, nil
			},
			wantQuery: map[string]string{"location_id": testLocation, "pipeline_id": "p1", "contact_id": "c1", "status": "all",
				"q": "implant", "pipeline_stage_id": "s1", "assigned_to": "u1", "limit": "20"},
			check: func(t *testing.T, got any) {
				l := got.([]*Opportunity)
				require.Len(t, l, 1)
				checkO1(t, l[0])
			},
		},
		{
			name: "list pipelines", pattern: "GET /opportunities/pipelines", status: 200, response: `{"pipelines":[` + pipelineJSON + `]}`,
			call:      func(ctx context.Context, c *Client) (any, error) { return c.Pipelines.List(ctx) },
			wantQuery: map[string]string{"locationId": testLocation},
			check: func(t *testing.T, got any) {
				l := got.([]*Pipeline)
				require.Len(t, l, 1)
				st, ok := l[0].Stage(" accepted ")
				require.True(t, ok)
				assert.Equal(t, Stage{ID: "s2", Name: "Accepted", Position: 1}, st)
				_, ok = l[0].Stage("Lost")
				assert.False(t, ok)
			},
		},
		{
			// Not in the spec: helpers_test.go lists it as undocumented.
			name: "create pipeline (unconfirmed body)", pattern: "POST /opportunities/pipelines", status: 201,
			response: `{"pipeline":` + pipelineJSON + `}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Pipelines.Create(ctx, PipelineInput{Name: "Treatment", Stages: []string{"Proposed", "Accepted"}})
			},
			wantBody: `{"locationId":"loc-test-1","name":"Treatment","stages":[{"name":"Proposed","position":0},{"name":"Accepted","position":1}]}`,
			check: func(t *testing.T, got any) {
				p := got.(*Pipeline)
				assert.Equal(t, "p1", p.ID)
				assert.Len(t, p.Stages, 2)
			},
		},
		{
			name: "create pipeline answered unwrapped", pattern: "POST /opportunities/pipelines", status: 201, response: pipelineJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Pipelines.Create(ctx, PipelineInput{Name: "Treatment", Stages: []string{"Proposed"}})
			},
			wantBody: `{"locationId":"loc-test-1","name":"Treatment","stages":[{"name":"Proposed","position":0}]}`,
			check:    func(t *testing.T, got any) { assert.Equal(t, "p1", got.(*Pipeline).ID) },
		},
	})
}

// Search follows meta.startAfter/startAfterId until a short page.
func TestOpportunitySearchCursor(t *testing.T) {
	const total = 7
	ts := newTestServer(t)
	ts.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		start := 0
		if id := q.Get("startAfterId"); id != "" {
			n, _ := strconv.Atoi(strings.TrimPrefix(id, "o"))
			start = n + 1
			assert.Equal(t, strconv.Itoa(1700000000000+n), q.Get("startAfter"))
		}
		var items []string
		for i := start; i < min(start+limit, total); i++ {
			items = append(items, fmt.Sprintf(`{"id":"o%d","name":"n","status":"open","pipelineId":"p1","contactId":"c"}`, i))
		}
		end := min(start+limit, total) - 1
		meta := fmt.Sprintf(`{"total":%d,"startAfterId":"o%d","startAfter":%d,"nextPage":2}`, total, end, 1700000000000+end)
		writeJSON(w, 200, `{"opportunities":[`+strings.Join(items, ",")+`],"meta":`+meta+`}`)
	})
	var ids []string
	for o, err := range ts.client.Opportunities.Search(context.Background(), OpportunitySearch{PipelineID: "p1", PageLimit: 3}) {
		require.NoError(t, err)
		ids = append(ids, o.ID)
	}
	assert.Equal(t, []string{"o0", "o1", "o2", "o3", "o4", "o5", "o6"}, ids)
	reqs := ts.requests()
	require.Len(t, reqs, 3)
	assert.Empty(t, reqs[0].Query["startAfterId"])
	assert.Equal(t, "o5", reqs[2].Query["startAfterId"][0])
	assert.Empty(t, reqs[2].Query["page"], "a cursor, not a page number")
}

// Without a cursor, Search falls back to meta.nextPage; a cursor that does
// not move is an error, not an endless loop.
func TestOpportunitySearchPageFallbackAndStuckCursor(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "" {
			writeJSON(w, 200, `{"opportunities":[{"id":"o0"},{"id":"o1"}],"meta":{"total":3,"currentPage":1,"nextPage":2}}`)
			return
		}
		writeJSON(w, 200, `{"opportunities":[{"id":"o2"}],"meta":{"total":3,"currentPage":2}}`)
	})
	n := 0
	for _, err := range ts.client.Opportunities.Search(context.Background(), OpportunitySearch{PageLimit: 2}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)
	assert.Equal(t, "2", ts.last().Query["page"][0])

	stuck := newTestServer(t)
	stuck.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"opportunities":[{"id":"o0"}],"meta":{"startAfterId":"o0","startAfter":1}}`)
	})
	var err error
	calls := 0
	for _, e := range stuck.client.Opportunities.Search(context.Background(), OpportunitySearch{PageLimit: 1}) {
		calls++
		if e != nil {
			err = e
			break
		}
		require.Less(t, calls, 10)
	}
	assert.ErrorContains(t, err, "did not advance")
}

func TestOpportunitiesBadInput(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	o := ts.client.Opportunities
	for name, call := range map[string]func() error{
		"create partial": func() error { _, err := o.Create(ctx, OpportunityInput{Name: "x"}); return err },
		"create bad status": func() error {
			_, err := o.Create(ctx, OpportunityInput{PipelineID: "p", Name: "x", ContactID: "c", Status: "pending"})
			return err
		},
		"create status all": func() error {
			_, err := o.Create(ctx, OpportunityInput{PipelineID: "p", Name: "x", ContactID: "c", Status: StatusAll})
			return err
		},
		"get ''": func() error { _, err := o.Get(ctx, ""); return err },
		"update bad status": func() error {
			_, err := o.Update(ctx, "o1", OpportunityUpdate{Status: Ptr(OpportunityStatus("x"))})
			return err
		},
		"status ''":          func() error { return o.UpdateStatus(ctx, "", StatusWon, "") },
		"status bad":         func() error { return o.UpdateStatus(ctx, "o1", "done", "") },
		"delete ''":          func() error { return o.Delete(ctx, "") },
		"upsert no pipeline": func() error { _, err := o.Upsert(ctx, OpportunityUpsert{ContactID: "c"}); return err },
		"upsert no target":   func() error { _, err := o.Upsert(ctx, OpportunityUpsert{PipelineID: "p"}); return err },
		"search limit": func() error {
			for _, err := range o.Search(ctx, OpportunitySearch{PageLimit: 101}) {
				return err
			}
			return nil
		},
		"search status": func() error {
			for _, err := range o.Search(ctx, OpportunitySearch{Status: "closed"}) {
				return err
			}
			return nil
		},
		"pipeline no stages": func() error { _, err := ts.client.Pipelines.Create(ctx, PipelineInput{Name: "P"}); return err },
		"pipeline blank stage": func() error {
			_, err := ts.client.Pipelines.Create(ctx, PipelineInput{Name: "P", Stages: []string{"a", " "}})
			return err
		},
	} {
		assert.Error(t, call(), name)
	}
	assert.Empty(t, ts.requests())
}

// HighLevel refuses a second opportunity for a contact in a pipeline.
func TestOpportunityDuplicateRefused(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /opportunities/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"statusCode":400,"message":"Can not create duplicate opportunity for the contact."}`)
	})
	_, err := ts.client.Opportunities.Create(context.Background(), OpportunityInput{PipelineID: "p", Name: "x", ContactID: "c"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.NotErrorIs(t, err, ErrNotFound)
}

// FuzzOpportunityDecode: any JSON decodes without panicking; custom field
// values keep their ids and followers only string ids.
func FuzzOpportunityDecode(f *testing.F) {
	f.Add([]byte(opportunityJSON))
	f.Add([]byte(`{"id":"o","customFields":[{"id":"a","value":1},{"id":"b"},null],"followers":[["x"],"u",1,null]}`))
	f.Add([]byte(`{"monetaryValue":"12","createdAt":1700000000000,"contact":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o Opportunity
		if json.Unmarshal(data, &o) != nil {
			return
		}
		for _, id := range o.Followers {
			assert.NotEmpty(t, id)
		}
		for _, cf := range o.CustomFields {
			got, ok := o.CustomField(cf.ID)
			assert.True(t, ok)
			got.Text()
			got.Number()
			got.Strings()
		}
		_ = o.Cents()
	})
}

// A server that caps pages below the limit asked for does not truncate the
// search while its total says more are left.
func TestOpportunitySearchCappedPages(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("startAfterId") == "" {
			writeJSON(w, 200, `{"opportunities":[{"id":"o0"},{"id":"o1"}],"meta":{"total":3,"startAfterId":"o1","startAfter":2}}`)
			return
		}
		writeJSON(w, 200, `{"opportunities":[{"id":"o2"}],"meta":{"total":3,"startAfterId":"o2","startAfter":3}}`)
	})
	n := 0
	for _, err := range ts.client.Opportunities.Search(context.Background(), OpportunitySearch{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)
	assert.Len(t, ts.requests(), 2)
}

// Opportunities and records survive a JSON round trip (ledgers keep them as
// before-images).
func TestOpportunityAndRecordRoundTrip(t *testing.T) {
	var o Opportunity
	require.NoError(t, json.Unmarshal([]byte(opportunityJSON), &o))
	b, err := json.Marshal(&o)
	require.NoError(t, err)
	var o2 Opportunity
	require.NoError(t, json.Unmarshal(b, &o2))
	assert.Equal(t, o, o2)
	require.Len(t, o2.CustomFields, 3)

	var r Record
	require.NoError(t, json.Unmarshal([]byte(recordJSON), &r))
	b, err = json.Marshal(&r)
	require.NoError(t, err)
	var r2 Record
	require.NoError(t, json.Unmarshal(b, &r2))
	assert.Equal(t, r.ID, r2.ID)
	assert.Equal(t, r.Owner, r2.Owner)
	assert.True(t, r.DateAdded.Equal(r2.DateAdded.Time))
	for k, v := range r.Properties {
		assert.JSONEq(t, string(v), string(r2.Properties[k]), k)
	}
}

// A full page continues when meta.total may be capped (10,000 or more);
// only an empty or short page, or an exact total, ends the search.
func TestOpportunitySearchIgnoresCappedTotal(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("startAfterId") {
		case "":
			writeJSON(w, 200, `{"opportunities":[{"id":"o0"},{"id":"o1"}],"meta":{"total":1,"startAfterId":"o1","startAfter":2}}`)
		default:
			writeJSON(w, 200, `{"opportunities":[{"id":"o2"}],"meta":{"total":10000}}`)
		}
	})
	n := 0
	for _, err := range ts.client.Opportunities.Search(context.Background(), OpportunitySearch{PageLimit: 2}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n, "an exact total below the window ends the search")

	ts2 := newTestServer(t)
	ts2.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("startAfterId") {
		case "":
			writeJSON(w, 200, `{"opportunities":[{"id":"o0"},{"id":"o1"}],"meta":{"total":10000,"startAfterId":"o1","startAfter":2}}`)
		default:
			writeJSON(w, 200, `{"opportunities":[{"id":"o2"}],"meta":{"total":10000}}`)
		}
	})
	n = 0
	for _, err := range ts2.client.Opportunities.Search(context.Background(), OpportunitySearch{PageLimit: 2}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)
}

func TestSearchDone(t *testing.T) {
	for _, tc := range []struct {
		n, limit, seen, total int
		done                  bool
	}{
		{0, 100, 500, -1, true},
		{50, 100, 50, -1, true},         // short page, no total
		{50, 100, 50, 200, false},       // short page, more left: capped pages
		{50, 100, 200, 200, true},       // short page, total reached
		{100, 100, 100, -1, false},      // full page, no total
		{100, 100, 200, 200, true},      // full page, exact total reached
		{100, 100, 10000, 10000, false}, // full page, total may be capped
		{100, 100, 10000, 25000, false},
	} {
		assert.Equal(t, tc.done, searchDone(tc.n, tc.limit, tc.seen, tc.total), "%+v", tc)
	}
}

// SearchPage asks for one page by number and returns meta.total with it
// (-1 when absent); a page past the search window is refused before any
// call.
func TestOpportunitySearchPage(t *testing.T) {
	ts := newTestServer(t)
	var got []string
	ts.handle("GET /opportunities/search", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		got = append(got, q.Get("page")+"/"+q.Get("limit")+"/"+q.Get("status"))
		if q.Get("page") == "3" {
			writeJSON(w, 200, `{"opportunities":[{"id":"o5"}],"meta":{}}`)
			return
		}
		writeJSON(w, 200, `{"opportunities":[{"id":"o0"},{"id":"o1"}],"meta":{"total":250}}`)
	})
	ctx := context.Background()
	p, err := ts.client.Opportunities.SearchPage(ctx, OpportunitySearch{Status: StatusAll, PageLimit: 2}, 1)
	require.NoError(t, err)
	assert.Equal(t, 250, p.Total)
	require.Len(t, p.Opportunities, 2)
	assert.Equal(t, "o1", p.Opportunities[1].ID)
	p, err = ts.client.Opportunities.SearchPage(ctx, OpportunitySearch{}, 3)
	require.NoError(t, err)
	assert.Equal(t, -1, p.Total, "no total said")
	assert.Equal(t, []string{"/2/all", "3/100/"}, got)
	_, err = ts.client.Opportunities.SearchPage(ctx, OpportunitySearch{PageLimit: 100}, 101)
	require.Error(t, err)
	_, err = ts.client.Opportunities.SearchPage(ctx, OpportunitySearch{PageLimit: 101}, 1)
	require.Error(t, err)
	assert.Len(t, got, 2, "refused before any call")
}
