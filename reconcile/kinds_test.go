package reconcile

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/rollback"
)

// TestNoSwitchOnObjectTypes: what the check does per object type lives in
// kinds.go; no other file of the package switches on a record type (the
// two link types, a contact's business link and a relation, are links
// between records). Checks about one kind by name — contacts' bucketed
// diff, opportunities on their contact and pipeline — stay where they are.
func TestNoSwitchOnObjectTypes(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	sw := regexp.MustCompile(`case\s+(typ\s*==\s*)?rollback\.(Type[A-Za-z]+)|HasPrefix\([a-z.]+,\s*rollback\.RecordTypePrefix\)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "kinds.go" {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range sw.FindAllStringSubmatch(string(b), -1) {
			assert.Contains(t, []string{"TypeContactBusiness", "TypeRelation"}, m[2], "%s dispatches on an object type (%q): add it to kinds.go", f, m[0])
		}
	}
}

func TestKindOf(t *testing.T) {
	for typ, rank := range map[string]int{rollback.TypeBusiness: 0, rollback.TypeContact: 1, "custom_objects.pbn_treatment": 2, rollback.TypeOpportunity: 3} {
		k := kindOf(typ)
		require.NotNil(t, k, typ)
		assert.Equal(t, rank, k.rank, typ)
	}
	for _, typ := range []string{rollback.TypeNote, rollback.TypeTask, rollback.TypeMedia, rollback.RecordTypePrefix, ""} {
		assert.Nil(t, kindOf(typ), "%q is not counted", typ)
	}
	assert.True(t, kindOf("custom_objects.x").scanned)
	assert.NotNil(t, kindOf(rollback.TypeContact).countFilled)
}
