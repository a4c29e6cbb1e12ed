package mapping_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestObjectRecordType pins RecordType to the ledger's spellings: mapping
// writes them as literals (it does not import rollback), so a renamed
// rollback constant must fail here rather than split the journal.
func TestObjectRecordType(t *testing.T) {
	for _, tc := range []struct {
		o    mapping.Object
		want string
	}{
		{mapping.Object{Target: mapping.TargetContact}, rollback.TypeContact},
		{mapping.Object{Target: mapping.TargetBusiness}, rollback.TypeBusiness},
		{mapping.Object{Target: mapping.TargetOpportunity}, rollback.TypeOpportunity},
		{mapping.Object{Target: mapping.TargetNote}, rollback.TypeNote},
		{mapping.Object{Target: mapping.TargetTask}, rollback.TypeTask},
		{mapping.Object{Target: mapping.TargetCustomObject, Key: rollback.RecordTypePrefix + "appointment"}, rollback.RecordTypePrefix + "appointment"},
		{mapping.Object{Target: mapping.TargetContactField, Key: "pbn_comm_log"}, ""},
		{mapping.Object{Target: mapping.TargetUser}, ""},
		{mapping.Object{Target: mapping.TargetEvent}, rollback.TypeEvent},
		{mapping.Object{Target: mapping.TargetMessage}, rollback.TypeMessage},
		{mapping.Object{Target: mapping.TargetMedia}, rollback.TypeMedia},
	} {
		assert.Equal(t, tc.want, tc.o.RecordType(), "target %s", tc.o.Target)
	}
}
