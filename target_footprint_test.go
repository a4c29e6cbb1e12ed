package pbnhl

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/mapping"
)

// TestTargetFootprint is the proof that adding a HighLevel target stays
// small: for the three targets added last (calendar events, conversation
// messages, media), every non-test Go file of the module that names the
// kind — its mapping constant, its ledger type, its root target or an
// undo kind — is one of the places a target is made of: its own root
// file (which holds its undo too, handed to rollback by UndoKinds) and
// the `targets` line, mapping's kind table (and the Inputs method
// building its input), and the file in rollback naming its ledger type,
// which must declare nothing else (no undo kind, no func, no var). A
// phase, a report or a command that starts switching on one of these
// kinds fails here; the few other files that name one say why below.
func TestTargetFootprint(t *testing.T) {
	type footprint struct {
		kind  mapping.TargetKind
		names string   // the identifiers naming the kind
		files []string // where they may appear
	}
	for _, fp := range []footprint{
		{mapping.TargetEvent, `TargetEvent|TypeEvent|eventTarget|eventKind`, []string{
			"target_event.go", "target.go", // the target and its registry line
			"mapping/kinds.go", "mapping/calendars.go", // the kind's rules; Inputs.Event and the calendars it books in
			"rollback/event.go", // its ledger type name only
		}},
		{mapping.TargetMessage, `TargetMessage|TypeMessage|messageTarget|messageKind`, []string{
			"target_message.go", "target.go",
			"mapping/kinds.go", "mapping/messages.go", // Inputs.Message
			"rollback/message.go",
		}},
		{mapping.TargetMedia, `TargetMedia|TypeMedia|mediaTarget|mediaKind`, []string{
			"target_media.go", "target.go",
			"mapping/kinds.go", "mapping/propose_media.go", // the proposer drafts documents as media
			"rollback/media.go",
		}},
	} {
		re := regexp.MustCompile(`\b(` + fp.names + `)\b`)
		var found []string
		err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
					return filepath.SkipDir // another module
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if re.Match(b) {
				found = append(found, filepath.ToSlash(path))
			}
			return nil
		})
		require.NoError(t, err)
		for _, f := range found {
			assert.Contains(t, fp.files, f, "%s names the %s target: a kind's own files hold what it needs (add it to a table or a hook, not a switch)", f, fp.kind)
		}
		// The rollback file names the ledger type and holds no undo.
		for _, f := range found {
			if !strings.HasPrefix(f, "rollback/") {
				continue
			}
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			assert.NotRegexp(t, `(?m)^(func|var|type) `, string(b), "%s holds %s's undo: it belongs in the target file (an undoKind)", f, fp.kind)
		}
		for _, f := range []string{fp.files[0], fp.files[1], "mapping/kinds.go"} {
			assert.True(t, slices.Contains(found, f), "the %s target is defined in %s (the walk must see it)", fp.kind, f)
		}
		t.Logf("%s: %d files: %s", fp.kind, len(found), strings.Join(found, " "))
	}
}

// TestTargetHooks: prepare.go and the preflight's tally name no kind —
// each target keeps what it counts across payloads in the tally's state
// for its kind and says what its records cost together.
func TestTargetHooks(t *testing.T) {
	var tally callTally
	contact := func(business string) *mapping.Payload {
		p := &mapping.Payload{Target: mapping.TargetContact}
		if business != "" {
			p.Links = []mapping.Link{{To: mapping.LinkBusiness, Key: business}}
		}
		return p
	}
	for i := 0; i < 150; i++ {
		byKind[mapping.TargetContact].tally(contact("b1"), &tally)
	}
	byKind[mapping.TargetContact].tally(contact("b2"), &tally)
	byKind[mapping.TargetContact].tally(contact(""), &tally)
	assert.EqualValues(t, 152, tally.calls, "one create per contact")
	assert.EqualValues(t, 3, tally.bulkCalls(), "two bulk links for b1's 150 contacts, one for b2's")

	msg := &mapping.Payload{Target: mapping.TargetMessage, Links: []mapping.Link{{To: mapping.LinkContact, Key: "p1"}}}
	before := tally.calls
	byKind[mapping.TargetMessage].tally(msg, &tally)
	byKind[mapping.TargetMessage].tally(msg, &tally)
	assert.EqualValues(t, 2+2, tally.calls-before, "two messages, and the conversation's lookup and create once")
	assert.EqualValues(t, 3, tally.bulkCalls(), "messages add no bulk call")
}

// TestRepairNamesNoTarget: repair re-creates and reads records through
// their target's resend and current hooks, one loop over whatever kinds
// reconcile reports, so repair.go names no record type; the two link
// types (a contact's business link, a relation) it may name are links
// between records rather than targets (since the link registry,
// target_link.go, it names neither: TestLinkKinds).
func TestRepairNamesNoTarget(t *testing.T) {
	b, err := os.ReadFile("repair.go")
	require.NoError(t, err)
	kinds := regexp.MustCompile(`\brollback\.(Type[A-Za-z]+|RecordTypePrefix)\b`)
	for _, m := range kinds.FindAllStringSubmatch(string(b), -1) {
		assert.Contains(t, []string{"TypeRelation", "TypeContactBusiness"}, m[1], "repair.go names a target's record type: give the target a hook")
	}
	assert.NotRegexp(t, `\bmapping\.Target[A-Z]`, string(b))
	assert.NotRegexp(t, `[a-z]+Target\{\}`, string(b))
}
