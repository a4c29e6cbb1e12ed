package hltest

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomValueDTOMatchesSpec(t *testing.T) {
	for _, method := range []string{"post", "put"} {
		path := "/locations/{locationId}/customValues"
		if method == "put" {
			path += "/{id}"
		}
		props, required := specBody(t, "locations", method, path)
		var mine, mineRequired []string
		for _, f := range customValueDTO.fields {
			mine = append(mine, f.name)
			if f.required {
				mineRequired = append(mineRequired, f.name)
			}
		}
		slices.Sort(props)
		slices.Sort(required)
		slices.Sort(mine)
		slices.Sort(mineRequired)
		assert.Equal(t, props, mine, method)
		assert.Equal(t, required, mineRequired, method)
	}
}

func TestCustomValues(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	base := "/locations/" + DefaultLocationID + "/customValues"

	list := tc.do("GET", base, nil).must(t, http.StatusOK)
	assert.Empty(t, list["customValues"])

	cv := obj(t, tc.do("POST", base, map[string]any{"name": "pbnhl migration", "value": "m1 ledger.db"}).must(t, http.StatusCreated)["customValue"])
	id, _ := cv["id"].(string)
	require.NotEmpty(t, id)
	assert.Equal(t, "pbnhl migration", cv["name"])
	assert.Equal(t, "m1 ledger.db", cv["value"])
	assert.Equal(t, "{{ custom_values.pbnhl_migration }}", cv["fieldKey"])
	assert.Equal(t, DefaultLocationID, cv["locationId"])

	// One value per name: a second create of the same name (any case) is refused.
	r := tc.do("POST", base, map[string]any{"name": "PBNHL Migration", "value": "m2"})
	assert.Equal(t, http.StatusBadRequest, r.Status)

	got := obj(t, tc.do("GET", base+"/"+id, nil).must(t, http.StatusOK)["customValue"])
	assert.Equal(t, cv, got)

	up := obj(t, tc.do("PUT", base+"/"+id, map[string]any{"name": "pbnhl migration", "value": "m1 other.db"}).must(t, http.StatusOK)["customValue"])
	assert.Equal(t, "m1 other.db", up["value"])

	list = tc.do("GET", base, nil).must(t, http.StatusOK)
	require.Len(t, list["customValues"], 1)
	assert.Equal(t, "m1 other.db", obj(t, list["customValues"].([]any)[0])["value"])

	// Validation: name and value are required.
	assert.Equal(t, http.StatusUnprocessableEntity, tc.do("POST", base, map[string]any{"name": "x"}).Status)
	assert.Equal(t, http.StatusBadRequest, tc.do("GET", base+"/nope", nil).Status)

	tc.do("DELETE", base+"/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, http.StatusBadRequest, tc.do("GET", base+"/"+id, nil).Status)

	// Another location's values are out of reach of this token.
	assert.Equal(t, http.StatusForbidden, tc.do("GET", "/locations/elsewhere/customValues", nil).Status)

	// A reset forgets them.
	tc.do("POST", base, map[string]any{"name": "pbnhl migration", "value": "m1"}).must(t, http.StatusCreated)
	s.Reset()
	list = tc.do("GET", base, nil).must(t, http.StatusOK)
	assert.Empty(t, list["customValues"])
}
