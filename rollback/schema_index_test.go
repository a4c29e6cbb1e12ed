package rollback

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIDMapStatementsByHighLevelIDUseAnIndex guards the undo's cost: the
// statements that remove or clear an id-map row by its HighLevel id run
// once per compensation, and a full scan of the object type there makes an
// undo quadratic in the records it reverses.
func TestIDMapStatementsByHighLevelIDUseAnIndex(t *testing.T) {
	l := openTest(t, "", Options{})
	for _, name := range []string{stDeleteIDMap, stClearDigest} {
		t.Run(name, func(t *testing.T) {
			rows, err := l.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+statements[name],
				dummyArgs(statements[name])...)
			require.NoError(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Err())
			joined := strings.Join(plan, "; ")
			assert.Contains(t, joined, "USING INDEX idmap_hl_id", "plan: %s", joined)
			assert.NotRegexp(t, `SCAN idmap\b`, joined)
		})
	}
}

func dummyArgs(stmt string) []any {
	args := make([]any, strings.Count(stmt, "?"))
	for i := range args {
		args[i] = "x"
	}
	return args
}
