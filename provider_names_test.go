package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// TestProviderNamesArrive (issue 16.5, links): with the default map and
// the practice's staff named (Map.NameStaff, what `pbn2hl propose`
// drafts), every appointment and treatment record read back through the
// client names its provider (and an appointment its hygienist) as a
// person — the staff member's name — beside the PbN id, never the id
// alone.
func TestProviderNamesArrive(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(30), seed: 17})
	ctx := context.Background()
	staff := e.pbn.Practice().Staff()
	require.Equal(t, 3, e.m.NameStaff(staff))
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	name := map[string]string{}
	for _, s := range staff {
		name[string(s.ID)] = mapping.StaffName(s)
	}
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	migrate(t, e, nil)

	text := func(r *highlevel.Record, prop string) string {
		v, ok := r.Properties.Value(prop)
		if !ok {
			return ""
		}
		s, _ := v.Text()
		return s
	}
	for _, c := range []struct {
		object string
		pairs  [][2]string // id property → name property
	}{
		{"custom_objects.pbn_appointment", [][2]string{{"provider_id", "provider"}, {"hygienist_id", "hygienist"}}},
		{"custom_objects.pbn_treatment", [][2]string{{"provider_id", "provider"}}},
	} {
		named := 0
		for r, err := range e.client.Objects.SearchRecords(ctx, c.object, highlevel.RecordSearch{}) {
			require.NoError(t, err)
			for _, p := range c.pairs {
				id := text(r, p[0])
				if id == "" {
					assert.Empty(t, text(r, p[1]), "%s %s: no %s, no name", c.object, r.ID, p[0])
					continue
				}
				require.Contains(t, name, id, "%s %s: %s %s is a staff member", c.object, r.ID, p[0], id)
				assert.Equal(t, name[id], text(r, p[1]), "%s %s: %s names the person", c.object, r.ID, p[1])
				named++
			}
		}
		assert.Positive(t, named, "%s records name their staff", c.object)
		t.Logf("%s: %d staff references named", c.object, named)
	}
}
