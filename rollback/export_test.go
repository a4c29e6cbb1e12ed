package rollback

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// auditScenario journals a small, deterministic history: a run with a
// create, an update, a link, a rejection, an unknown outcome and an invalid
// record, then an undo of it.
func auditScenario(t *testing.T, opts Options) *Ledger {
	ctx := context.Background()
	l := openTest(t, "", opts)
	dst := newMemTarget()
	existing := dst.create("contact", map[string]any{"firstName": "Pre"})
	g := begin(t, l, dst, KindFull)
	c := g.create("contact", "p1", map[string]any{"firstName": "Ann", "email": "ann@example.com"})
	g.update("contact", "p0", existing, map[string]any{"phone": "+15555550100"})
	g.link(c, "business-9")
	seq, err := g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "=HYPERLINK(\"x\")", Payload: []byte(`{"email":"bad"}`)})
	require.NoError(t, err)
	require.NoError(t, g.run.Outcome(ctx, seq, Rejected(422, "email must be an email")))
	seq, err = g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p3", Payload: []byte(`{"firstName":"Cy"}`)})
	require.NoError(t, err)
	require.NoError(t, g.run.Outcome(ctx, seq, Unknown("timeout after 30s")))
	require.NoError(t, g.run.Invalid(ctx, Invalid{Entity: "patient", SourceKey: "p4", Reasons: []string{"birthDate: 0001-01-01 placeholder", "@email: missing"}}))
	require.NoError(t, g.run.Finish(ctx, StatusFailed))
	_, err = Undo(ctx, l, dst, UndoOptions{Runs: []RunID{g.run.ID()}, Actor: "ops@example.org"})
	require.NoError(t, err)
	return l
}

func TestAuditExportGolden(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := auditScenario(t, Options{})
		var jsonl, csvOut bytes.Buffer
		require.NoError(t, l.WriteAuditJSONL(ctx, &jsonl, ExportOptions{}))
		require.NoError(t, l.WriteAuditCSV(ctx, &csvOut, ExportOptions{}))
		golden.Assert(t, "testdata/audit.jsonl", jsonl.Bytes())
		golden.Assert(t, "testdata/audit.csv", csvOut.Bytes())
		for _, phi := range []string{"Ann", "ann@example.com", "+15555550100", "Pre"} {
			assert.NotContains(t, jsonl.String(), phi)
			assert.NotContains(t, csvOut.String(), phi)
		}
		// Formula injection is neutralised in CSV.
		assert.Contains(t, csvOut.String(), `'=HYPERLINK`)
	})
}

func TestAuditExportWithPHI(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := auditScenario(t, Options{Key: testKey(4)})
		var jsonl, csvOut bytes.Buffer
		require.NoError(t, l.WriteAuditJSONL(ctx, &jsonl, ExportOptions{IncludePHI: true}))
		require.NoError(t, l.WriteAuditCSV(ctx, &csvOut, ExportOptions{IncludePHI: true}))
		assert.Contains(t, jsonl.String(), `"payload":{"email":"ann@example.com","firstName":"Ann"}`)
		assert.Contains(t, jsonl.String(), `"before":{}`, "the before-image keeps only the fields the update wrote (phone: none before)")
		assert.Contains(t, jsonl.String(), `"encrypted":true`)
		rows, err := csv.NewReader(&csvOut).ReadAll()
		require.NoError(t, err)
		assert.Equal(t, "payload", rows[0][len(rows[0])-2])
		// Scoped to one run.
		var one bytes.Buffer
		require.NoError(t, l.WriteAuditJSONL(ctx, &one, ExportOptions{Runs: []RunID{2}}))
		assert.Equal(t, 4, strings.Count(one.String(), "\n"), "the undo run and its three compensations (the unknown create is unresolved)")
	})
}

func TestProblemsCSV(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := auditScenario(t, Options{})
		var out bytes.Buffer
		require.NoError(t, l.WriteProblemsCSV(ctx, &out))
		golden.Assert(t, "testdata/problems.csv", out.Bytes())
		rows, err := csv.NewReader(&out).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Equal(t, []string{"invalid", "1", "patient", "", "p4", "", "", "birthDate: 0001-01-01 placeholder; @email: missing"}, rows[1][:8])
		assert.Equal(t, "rejected", rows[2][0])
		assert.Equal(t, `'=HYPERLINK("x")`, rows[2][4])
		assert.Equal(t, "422", rows[2][6])
		probs := collect(t, l.Problems(ctx, 2))
		assert.Empty(t, probs, "the undo run has no problems")
	})
}

func TestCellNeutralisesFormulas(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		for in, want := range map[string]string{
			"=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
			"": "", "plain": "plain", "a=b": "a=b",
		} {
			assert.Equal(t, want, cell(in), in)
		}
	})
}
