package pbnhl

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestTargetRegistry: every map target kind has one registered target;
// the record type of every writing object is owned by exactly its target;
// and the load groups keep businesses before contacts before everything
// that hangs off a contact.
func TestTargetRegistry(t *testing.T) {
	kinds := []mapping.TargetKind{mapping.TargetContact, mapping.TargetBusiness, mapping.TargetCustomObject,
		mapping.TargetOpportunity, mapping.TargetNote, mapping.TargetTask, mapping.TargetContactField, mapping.TargetUser,
		mapping.TargetEvent, mapping.TargetMessage, mapping.TargetMedia}
	seen := map[mapping.TargetKind]int{}
	for _, tg := range targets {
		seen[tg.kind()]++
	}
	for _, k := range kinds {
		assert.Equal(t, 1, seen[k], "target %s registered once", k)
		o := &mapping.Object{Target: k, Key: rollback.RecordTypePrefix + "x"}
		if k == mapping.TargetContactField {
			o.Key = "pbn_log"
		}
		tg := targetOf(o)
		assert.Equal(t, k, tg.kind())
		typ := o.RecordType()
		if tg.role() != writesRecords {
			assert.Empty(t, typ, "%s writes no record of its own", k)
			continue
		}
		owners := 0
		for _, other := range targets {
			if other.owns(typ) {
				owners++
				assert.Equal(t, k, other.kind(), "%s is owned by its own target", typ)
			}
		}
		assert.Equal(t, 1, owners, "record type %s", typ)
	}
	for _, typ := range []string{rollback.TypeNote, rollback.TypeTask} {
		assert.True(t, targetOfType(typ).underContact(), "%s lives under its contact", typ)
	}
	assert.False(t, targetOfType(rollback.TypeContact).underContact())
	assert.Equal(t, noTarget{}, targetOfType(rollback.TypeRelation), "relations are links, not targets")
	assert.Equal(t, noTarget{}, targetOf(&mapping.Object{Target: "made_up"}), "an unregistered kind writes nothing")

	g := func(k mapping.TargetKind) loadGroup { return byKind[k].group() }
	assert.Less(t, g(mapping.TargetBusiness), g(mapping.TargetContact))
	assert.Equal(t, g(mapping.TargetBusiness), g(mapping.TargetUser), "owners resolve before contacts")
	for _, k := range []mapping.TargetKind{mapping.TargetCustomObject, mapping.TargetOpportunity, mapping.TargetNote, mapping.TargetTask} {
		assert.Less(t, g(mapping.TargetContact), g(k), "%s after contacts (and the business links)", k)
	}
	assert.Equal(t, loadNone, g(mapping.TargetContactField), "folded into contacts")
}
