package pbnhl_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// missingFiles is a source whose export lacks the files of some documents
// (an export written without its documents folder, a file deleted since).
type missingFiles struct {
	pbn.Source
	every int64
}

func (m missingFiles) OpenDocument(ctx context.Context, id pbn.Key) (io.ReadCloser, error) {
	if keyNum(id)%m.every == 0 {
		return nil, fmt.Errorf("practicebynumbers: document %s: %w", id, pbn.ErrNotFound)
	}
	return m.Source.OpenDocument(ctx, id)
}

// TestMediaFileMissingFromTheSource: a document whose file the source
// cannot give is listed with the reason, nothing is sent for it, and the
// run goes on — it is neither an unknown outcome looked up in HighLevel
// nor a failure the circuit breaker counts against HighLevel (six such
// failures at once used to open the breaker and stop the run after two
// minutes of "HighLevel kept refusing calls").
func TestMediaFileMissingFromTheSource(t *testing.T) {
	e := newMediaEnv(t, envOptions{patients: size(24), seed: 17})
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	for _, every := range []int64{1, 3} { // every file missing, then a third
		t.Run(fmt.Sprint("every ", every), func(t *testing.T) {
			m := e.migration(func(o *pbnhl.Options) { o.Source = missingFiles{Source: e.src, every: every} })
			_, err := m.ApplySchema(ctx)
			require.NoError(t, err)
			rep, err := m.Load(ctx)
			require.NoError(t, err, "a missing file does not stop the run")
			docs, ok := rep.Object("documents")
			require.True(t, ok)
			require.Positive(t, docs.Rejected, "the documents without a file are listed")

			missing := map[string]bool{}
			for pr, err := range e.ledger.Problems(ctx) {
				require.NoError(t, err)
				if pr.ObjectType == rollback.TypeMedia && strings.Contains(strings.Join(pr.Reasons, ";"), "could not give the file") {
					missing[pr.SourceKey] = true
				}
			}
			assert.EqualValues(t, docs.Rejected, len(missing), "each listed once, with the reason")
			if every == 1 {
				assert.Empty(t, e.hl.Records(loc, hltest.KindMedia), "no file, no upload")
				assert.Zero(t, docs.Calls, "no request started, so no call is counted")
			}
			// Nothing was uploaded for them: the library holds only files
			// the source could give.
			for _, f := range e.hl.Records(loc, hltest.KindMedia) {
				for key := range missing {
					assert.NotContains(t, fmt.Sprint(f["name"]), "-doc"+key+"]", "document %s was not sent", key)
				}
			}
		})
	}
}
