package hltest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func createPipeline(t *testing.T, tc *tclient, name string) map[string]any {
	t.Helper()
	return obj(t, tc.do("POST", "/opportunities/pipelines", map[string]any{"locationId": loc, "name": name,
		"stages": []any{map[string]any{"name": "Consult", "position": 0}, map[string]any{"name": "Treatment", "position": 1},
			map[string]any{"name": "Done", "position": 2}}}).must(t, 201)["pipeline"])
}

func TestPipelinesAndOpportunities(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	p := createPipeline(t, tc, "Implants")
	stages := p["stages"].([]any)
	require.Len(t, stages, 3)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, obj(t, stages[0])["id"])
	tc.do("POST", "/opportunities/pipelines", map[string]any{"locationId": loc, "name": "implants",
		"stages": []any{map[string]any{"name": "A"}}}).must(t, 400)
	tc.do("POST", "/opportunities/pipelines", map[string]any{"locationId": loc, "name": "Empty", "stages": []any{}}).must(t, 422)
	pl := tc.do("GET", "/opportunities/pipelines?locationId="+loc, nil).must(t, 200)
	assert.Len(t, pl["pipelines"], 1)

	ct := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Pat", "email": "p@x.com"}).must(t, 201)["contact"])
	pid, cid := p["id"].(string), ct["id"].(string)
	o := obj(t, tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": "Implant #19",
		"status": "open", "contactId": cid, "monetaryValue": 4200.5}).must(t, 201)["opportunity"])
	assert.Equal(t, obj(t, stages[0])["id"], o["pipelineStageId"], "defaults to the first stage")
	assert.Equal(t, cid, obj(t, o["contact"])["id"])
	oid := o["id"].(string)

	dup := tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": "Again",
		"status": "open", "contactId": cid}).must(t, 400)
	assert.Equal(t, "Can not create duplicate opportunity for the contact.", dup["message"])
	tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": "X",
		"status": "pending", "contactId": cid}).must(t, 422)
	tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": "X",
		"status": "open", "contactId": cid, "pipelineStageId": "not-a-stage"}).must(t, 400)

	upd := obj(t, tc.do("PUT", "/opportunities/"+oid, map[string]any{"pipelineStageId": obj(t, stages[1])["id"], "monetaryValue": 5000}).must(t, 200)["opportunity"])
	assert.EqualValues(t, 5000, upd["monetaryValue"])
	tc.do("PUT", "/opportunities/"+oid, map[string]any{"locationId": loc}).must(t, 422)
	st := tc.do("PUT", "/opportunities/"+oid+"/status", map[string]any{"status": "won"}).must(t, 200)
	assert.Equal(t, true, st["succeded"])

	up := tc.do("POST", "/opportunities/upsert", map[string]any{"locationId": loc, "pipelineId": pid, "contactId": cid,
		"name": "Implant #19", "status": "lost"}).must(t, 200)
	assert.Equal(t, false, up["new"])
	assert.Equal(t, oid, obj(t, up["opportunity"])["id"])

	found := tc.do("GET", "/opportunities/search?location_id="+loc+"&status=lost", nil).must(t, 200)
	assert.EqualValues(t, 1, obj(t, found["meta"])["total"])
	none := tc.do("GET", "/opportunities/search?location_id="+loc+"&status=open", nil).must(t, 200)
	assert.Empty(t, none["opportunities"])
	wrong := tc.do("GET", "/opportunities/search?locationId="+loc, nil).must(t, 422)
	assert.Contains(t, messages(t, wrong), "property locationId should not exist")

	// Pagination with startAfter/startAfterId.
	for i := range 5 {
		c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": fmt.Sprint("P", i)}).must(t, 201)["contact"])
		tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": fmt.Sprint("O", i),
			"status": "open", "contactId": c["id"]}).must(t, 201)
	}
	seen := map[string]bool{}
	q := "/opportunities/search?location_id=" + loc + "&limit=2"
	for range 10 {
		page := tc.do("GET", q, nil).must(t, 200)
		for _, x := range page["opportunities"].([]any) {
			seen[obj(t, x)["id"].(string)] = true
		}
		m := obj(t, page["meta"])
		if m["startAfterId"] == nil {
			break
		}
		q = fmt.Sprintf("/opportunities/search?location_id=%s&limit=2&startAfter=%.0f&startAfterId=%s", loc, m["startAfter"], m["startAfterId"])
	}
	assert.Len(t, seen, 6)

	// POST /opportunities/search: the spec's body, searchAfter paging.
	details := map[string]any{"notes": false, "tasks": false, "calendarEvents": false, "unReadConversations": false}
	seen = map[string]bool{}
	after := []any{}
	for range 10 {
		r := tc.do("POST", "/opportunities/search", map[string]any{"locationId": loc, "query": "", "limit": 4, "page": 1,
			"searchAfter": after, "additionalDetails": details}).must(t, 200)
		assert.EqualValues(t, 6, r["total"])
		ops := r["opportunities"].([]any)
		if len(ops) == 0 {
			break
		}
		for _, x := range ops {
			seen[obj(t, x)["id"].(string)] = true
		}
		after = obj(t, ops[len(ops)-1])["searchAfter"].([]any)
	}
	assert.Len(t, seen, 6)
	named := tc.do("POST", "/opportunities/search", map[string]any{"locationId": loc, "query": "implant", "limit": 10, "page": 1,
		"searchAfter": []any{}, "additionalDetails": details}).must(t, 200)
	assert.EqualValues(t, 1, named["total"])
	tc.do("POST", "/opportunities/search", map[string]any{"locationId": loc, "query": ""}).must(t, 422)

	tc.do("DELETE", "/opportunities/"+oid, nil).must(t, 200)
	assert.Equal(t, 5, s.Count(loc, KindOpportunity))
	// A second opportunity for the same contact is allowed after the first is gone.
	tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": "Again",
		"status": "open", "contactId": cid}).must(t, 201)
	tc.do("DELETE", "/contacts/"+cid, nil).must(t, 200)
	assert.Equal(t, 5, s.Count(loc, KindOpportunity), "opportunities go with their contact")
	assert.Equal(t, 1, s.Count(loc, KindPipeline))
}

// Issue 17.2: with duplicate opportunities off, a contact's second
// opportunity in a pipeline is refused whatever the first one's status
// (HighLevel's rule is per contact and pipeline; which statuses it counts
// is unconfirmed, so the stricter reading); another pipeline, or another
// contact in the same pipeline, is accepted; with the setting on, both.
func TestDuplicateOpportunityRefusedPerContactAndPipeline(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	implants, perio := createPipeline(t, tc, "Implants")["id"].(string), createPipeline(t, tc, "Perio")["id"].(string)
	contact := func(email string) string {
		return obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Pat", "email": email}).must(t, 201)["contact"])["id"].(string)
	}
	a, b := contact("a@x.com"), contact("b@x.com")
	create := func(pid, cid, status string) resp {
		return tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": pid, "name": "Plan", "status": status, "contactId": cid})
	}
	create(implants, a, "abandoned").must(t, 201)
	for _, st := range []string{"open", "won", "lost", "abandoned"} {
		dup := create(implants, a, st).must(t, 400)
		assert.Equal(t, "Can not create duplicate opportunity for the contact.", dup["message"], st)
	}
	create(perio, a, "open").must(t, 201)
	create(implants, b, "open").must(t, 201)
	assert.Equal(t, 3, s.Count(loc, KindOpportunity))

	require.NoError(t, s.UpdateLocation(loc, func(l *Location) { l.AllowDuplicateOpportunities = true }))
	create(implants, a, "open").must(t, 201)
	assert.Equal(t, 4, s.Count(loc, KindOpportunity))
}
