package reconcile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/reconcile"
)

// A count with hundreds of rejected keys prints the first twenty and how
// many more there are (a run over a map HighLevel refused printed 986 keys
// on one line); the JSON keeps them all.
func TestTextListsTheFirstKeys(t *testing.T) {
	keys := make([]string, 986)
	for i := range keys {
		keys[i] = fmt.Sprint(1000 + i)
	}
	r := &reconcile.Report{Counts: []reconcile.Count{{ObjectType: "custom_objects.pbn_appointment", Source: 1868, Rejected: 986,
		Ledger: 882, HighLevel: 882, RejectedKeys: keys}}}
	var b strings.Builder
	require.NoError(t, r.WriteText(&b))
	line := ""
	for l := range strings.Lines(b.String()) {
		if strings.Contains(l, "rejected: ") {
			line = l
		}
	}
	assert.Contains(t, line, "rejected: 1000, 1001,")
	assert.Contains(t, line, "1019 … and 966 more")
	assert.NotContains(t, line, "1020")
}
