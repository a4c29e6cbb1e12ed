package mapping

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// movesAs finds the sentences that promise how an entity travels:
// "documents move as files (media upload)".
var movesAs = regexp.MustCompile(`(?i)\b([a-z_]+) (?:move|moves) as ([a-z ]+)`)

// movesAsKinds is the target kind each promised form means.
var movesAsKinds = map[string]TargetKind{
	"files": TargetMedia, "notes": TargetNote, "tasks": TargetTask, "events": TargetEvent,
	"calendar events": TargetEvent, "contacts": TargetContact, "opportunities": TargetOpportunity,
	"businesses": TargetBusiness, "records": TargetCustomObject,
}

// promisedKind is the target kind a "moves as" phrase names.
func promisedKind(t *testing.T, sentence, phrase string) TargetKind {
	t.Helper()
	phrase = strings.TrimSpace(phrase)
	for form, k := range movesAsKinds {
		if phrase == form || strings.HasPrefix(phrase, form+" ") {
			return k
		}
	}
	t.Errorf("%q: %q names no target kind this test knows; add it to movesAsKinds", sentence, phrase)
	return ""
}

// checkMovesAs holds every "moves as" sentence of text to m: the entity it
// names is the source of an object of m whose target is the kind the
// sentence promises, and that kind writes records. It returns how many
// sentences it checked.
func checkMovesAs(t *testing.T, where string, text string, m *Map) int {
	t.Helper()
	n := 0
	for _, g := range movesAs.FindAllStringSubmatch(text, -1) {
		n++
		kind := promisedKind(t, g[0], g[2])
		if kind == "" {
			continue
		}
		// A user target only resolves staff; every other registered kind
		// writes (the root's target registry: TestTargetRegistry).
		assert.True(t, slices.Contains(targetKinds, kind) && kind != TargetUser,
			"%s: %q promises %s, a target that writes nothing", where, g[0], kind)
		found := false
		for _, o := range m.Objects {
			if normName(o.Source) == normName(g[1]) && o.Target == kind {
				found = true
			}
		}
		assert.True(t, found, "%s: %q, but the map writes no %s object from %s", where, g[0], kind, g[1])
	}
	return n
}

// TestMovesAsIsTrue (issue 16.8): no output claims a capability that does
// not run. Every "… moves as …" sentence the proposer prints (notes, file
// summaries, the review) names a target its map actually writes, and so
// does every such sentence in the demo's and the CLI's source text about
// the default map.
func TestMovesAsIsTrue(t *testing.T) {
	inv, _ := pbntestInventory(t)
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	var text strings.Builder
	for _, n := range pr.Notes {
		text.WriteString(n + "\n")
	}
	for _, f := range pr.Files {
		text.WriteString(f.Why + "\n")
	}
	var review bytes.Buffer
	require.NoError(t, pr.WriteReview(&review, ReviewOptions{}))
	text.Write(review.Bytes())
	n := checkMovesAs(t, "proposer", text.String(), pr.Map)
	assert.Positive(t, n, "the proposer says how documents move: the sentence is checked, not absent")

	// A source without a contact object cannot link documents: the
	// proposer says they are not mapped instead of promising files.
	only := SourceInventory{}
	for _, e := range inv.Entities {
		if e.Name == "documents" {
			only.Entities = append(only.Entities, e)
		}
	}
	pr2, err := Propose(context.Background(), only, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	var text2 strings.Builder
	for _, n := range pr2.Notes {
		text2.WriteString(n + "\n")
	}
	assert.Zero(t, checkMovesAs(t, "proposer without contacts", text2.String(), pr2.Map))
	assert.Contains(t, text2.String(), "documents: not mapped")

	// The default map's review and the demo's and CLI's own words.
	def, err := Default(nil)
	require.NoError(t, err)
	var dr bytes.Buffer
	require.NoError(t, def.WriteReview(&dr, ReviewOptions{}))
	checkMovesAs(t, "default map review", dr.String(), def)
	for _, dir := range []string{"../examples/demo", "../examples/pbn2hl"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			checkMovesAs(t, f, string(b), def)
		}
	}
}
