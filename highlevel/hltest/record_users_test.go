package hltest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRecordOwnerAndFollowers: a custom object record stores its owner
// (at most one) and followers (at most ten), each a user of the location,
// and returns them on get and search; an update replaces a list it names
// ([] clears it) and keeps one it leaves out; a refused update changes
// nothing.
func TestRecordOwnerAndFollowers(t *testing.T) {
	users := []User{{ID: "ownerUser00000000001", Email: "a@x.example"}, {ID: "followUser0000000001", Email: "b@x.example"},
		{ID: "elsewhere00000000001", Email: "c@x.example", LocationIDs: []string{"otherLocation0000001"}}}
	for i := range 10 {
		users = append(users, User{ID: fmt.Sprintf("many%016d", i), Email: fmt.Sprintf("m%d@x.example", i)})
	}
	_, tc := newTestServer(t, Options{Users: users})
	createSchema(t, tc, "custom_objects.appointment")
	const path = "/objects/custom_objects.appointment/records"
	rec := obj(t, tc.do("POST", path, map[string]any{"locationId": loc, "properties": map[string]any{"name": "Exam"},
		"owner": []string{"ownerUser00000000001"}, "followers": []string{"followUser0000000001"}}).must(t, 201)["record"])
	id := rec["id"].(string)
	assert.Equal(t, []any{"ownerUser00000000001"}, rec["owner"])
	assert.Equal(t, []any{"followUser0000000001"}, rec["followers"])
	got := obj(t, tc.do("GET", path+"/"+id, nil).must(t, 200)["record"])
	assert.Equal(t, []any{"ownerUser00000000001"}, got["owner"])
	assert.Equal(t, []any{"followUser0000000001"}, got["followers"])
	found := tc.do("POST", path+"/search", map[string]any{"locationId": loc, "page": 1, "pageLimit": 10}).must(t, 200)
	first := obj(t, found["records"].([]any)[0])
	assert.Equal(t, []any{"ownerUser00000000001"}, first["owner"])
	assert.Equal(t, []any{"followUser0000000001"}, first["followers"])

	eleven := []string{"ownerUser00000000001"}
	for i := range 10 {
		eleven = append(eleven, fmt.Sprintf("many%016d", i))
	}
	for name, c := range map[string]struct {
		body map[string]any
		code int
	}{
		"eleven followers":   {map[string]any{"followers": eleven}, 422},
		"unknown follower":   {map[string]any{"followers": []string{"nobody00000000000001"}}, 400},
		"follower elsewhere": {map[string]any{"followers": []string{"elsewhere00000000001"}}, 400},
		"two owners":         {map[string]any{"owner": []string{"ownerUser00000000001", "followUser0000000001"}}, 422},
	} {
		t.Run(name, func(t *testing.T) {
			create := map[string]any{"locationId": loc, "properties": map[string]any{"name": "x"}}
			update := map[string]any{"properties": map[string]any{"name": "changed"}}
			for k, v := range c.body {
				create[k], update[k] = v, v
			}
			tc.do("POST", path, create).must(t, c.code)
			tc.do("PUT", path+"/"+id+"?locationId="+loc, update).must(t, c.code)
			r := obj(t, tc.do("GET", path+"/"+id, nil).must(t, 200)["record"])
			assert.Equal(t, "Exam", obj(t, r["properties"])["name"], "a refused update changes nothing")
			assert.Equal(t, []any{"followUser0000000001"}, r["followers"])
		})
	}
	tc.do("POST", path, map[string]any{"locationId": loc, "properties": map[string]any{"name": "x"}, "followers": eleven[1:]}).must(t, 201)

	// [] clears the owner; followers, left out, stay.
	upd := obj(t, tc.do("PUT", path+"/"+id+"?locationId="+loc, map[string]any{"owner": []string{}}).must(t, 200)["record"])
	assert.Equal(t, []any{}, upd["owner"])
	assert.Equal(t, []any{"followUser0000000001"}, upd["followers"])
}
