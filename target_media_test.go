package pbnhl_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// hugeDocs is a source whose listed documents (every `every`th) say they
// are over HighLevel's 25 MB cap; the content is the real one.
type hugeDocs struct {
	pbn.Source
	every int64
}

func (h hugeDocs) Documents(ctx context.Context, o pbn.ListOptions) iter.Seq2[pbn.Document, error] {
	return func(yield func(pbn.Document, error) bool) {
		for d, err := range h.Source.Documents(ctx, o) {
			if err == nil && keyNum(d.ID)%h.every == 0 {
				d.Size = highlevel.MaxUploadBytes + 1
			}
			if !yield(d, err) {
				return
			}
		}
	}
}

// newMediaEnv is a rehearsal whose map uploads the documents: the
// default map does (its documents and documents_index objects are
// mapping.DocumentsObject and DocumentsIndexObject, as the proposer
// drafts them; TestDefaultDocumentsAsProposed holds them equal).
func newMediaEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := newEnv(t, o)
	require.NotNil(t, e.m.Object("documents"), "the default map uploads the documents")
	require.NotNil(t, e.m.Object("documents_index"), "the default map indexes the documents")
	return e
}

// TestDefaultDocumentsAsProposed: the default map's documents objects are
// the ones the proposer drafts, so what propose says of documents holds
// for the default map too.
func TestDefaultDocumentsAsProposed(t *testing.T) {
	m, err := mapping.Default(nil)
	require.NoError(t, err)
	for _, want := range []mapping.Object{mapping.DocumentsObject("documents", "documents", "patients"),
		mapping.DocumentsIndexObject("documents_index", "documents", "patients")} {
		got := m.Object(want.Name)
		require.NotNil(t, got, want.Name)
		assert.Equal(t, want.Target, got.Target, want.Name)
		assert.Equal(t, want.Source, got.Source, want.Name)
		assert.Equal(t, want.Key, got.Key, want.Name)
		assert.Equal(t, want.MaxBytes, got.MaxBytes, want.Name)
		require.Len(t, got.Fields, len(want.Fields), want.Name)
		for i, f := range want.Fields {
			assert.Equal(t, [3]string{f.From, f.To, fmt.Sprint(f.Transform)}, [3]string{got.Fields[i].From, got.Fields[i].To, fmt.Sprint(got.Fields[i].Transform)}, want.Name)
		}
		require.Len(t, got.Lookups, len(want.Lookups), want.Name)
		assert.Equal(t, want.Lookups[0].From, got.Lookups[0].From)
		assert.Equal(t, want.Lookups[0].To, got.Lookups[0].To)
	}
}

// mediaKey is the document key a media file name carries in its tag.
func mediaKey(name string) string {
	i := strings.LastIndex(name, "-doc")
	j := strings.LastIndex(name, "]")
	if i < 0 || j < i {
		return ""
	}
	return name[i+len("-doc") : j]
}

// TestMediaTarget: with the default map, every document of a pbntest
// practice is uploaded into media storage with its exact content (size and
// SHA-256), linked to its contact by a note naming the file and its URL,
// and indexed in its contact's documents field (pbn_documents),
// or listed invalid with a reason (too large, contact not migrated): the
// census. Two calls per document, the preflight estimates calls and bytes,
// progress counts bytes, a second run uploads nothing, undo deletes every
// file and note.
func TestMediaTarget(t *testing.T) {
	e := newMediaEnv(t, envOptions{patients: size(24), seed: 17})
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	src := hugeDocs{Source: e.src, every: 7}
	var progressBytes atomic.Int64
	m := e.migration(func(o *pbnhl.Options) {
		o.Source = src
		o.Progress = func(p pbnhl.Progress) {
			if p.Object == "documents" && p.Finished {
				progressBytes.Store(p.Bytes)
			}
		}
	})
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)

	// The hook runs on the migration's workers: atomic counts.
	var uploads, notes atomic.Int64
	hook := func(c highlevel.Call) {
		switch c.Operation {
		case "medias.upload":
			uploads.Add(1)
		case "contacts.notes.create":
			notes.Add(1)
		}
	}
	e.hook.Store(&hook)
	_, err = m.Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)

	// The source's documents of migrated patients, split by the cap.
	migrated := migratedPatients(e)
	p := e.pbn.Practice()
	want := map[string]pbn.Document{}
	tooLarge := map[string]bool{}
	var wantBytes int64
	all := 0
	for d := range p.Documents() {
		all++
		key := string(d.ID)
		switch {
		case !migrated[string(d.PatientID)]:
		case keyNum(d.ID)%7 == 0:
			tooLarge[key] = true
		default:
			want[key] = d
			wantBytes += d.Size
		}
	}
	require.NotEmpty(t, want)
	require.NotEmpty(t, tooLarge)

	var est pbnhl.ObjectEstimate
	for _, oe := range pre.Estimate.Objects {
		if oe.Object == "documents" {
			est = oe
		}
	}
	assert.Equal(t, int64(len(want)+len(tooLarge)), est.Records, "the preflight counts the documents")
	assert.Equal(t, 2*est.Records, est.Calls, "the preflight estimates an upload and a note per document")
	assert.Equal(t, wantBytes, est.Bytes, "the preflight estimates the bytes (too-large files are not sent)")
	assert.Equal(t, wantBytes, pre.Estimate.Bytes)
	assert.Equal(t, wantBytes, progressBytes.Load(), "progress counts the bytes uploaded")
	assert.EqualValues(t, len(want), uploads.Load(), "one upload per document, none for a too-large one")

	// Every file: its document's exact content, once.
	files := e.hl.Records(loc, hltest.KindMedia)
	seen := map[string]string{} // key → url
	for _, f := range files {
		key := mediaKey(fmt.Sprint(f["name"]))
		d, ok := want[key]
		require.True(t, ok, "a file for an unexpected document %q", key)
		require.NotContains(t, seen, key, "document %s uploaded twice", key)
		seen[key] = fmt.Sprint(f["url"])
		assert.EqualValues(t, d.Size, f["size"], "document %s size", key)
		h := sha256.New()
		_, err := io.Copy(h, p.DocumentContent(d))
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString(h.Sum(nil)), f["sha256"], "document %s content", key)
		assert.True(t, strings.HasPrefix(fmt.Sprint(f["name"]), strings.TrimSuffix(d.Name, ".pdf")[:min(5, len(d.Name))]), "document %s keeps its name", key)
	}
	assert.Len(t, seen, len(want), "every document within the cap is in media storage")

	// Each is linked to its contact by a note naming it with its URL.
	patientOf := contactPatients(e)
	byField := fieldIDs(e)
	linked := 0
	for _, n := range e.hl.Records(loc, hltest.KindNote) {
		body := fmt.Sprint(n["body"])
		i := strings.Index(body, "/note/document-")
		if i < 0 {
			continue
		}
		key := strings.TrimSpace(body[i+len("/note/document-"):])
		d, ok := want[key]
		require.True(t, ok, "a note for an unexpected document %q", key)
		linked++
		assert.Contains(t, body, "Document: "+d.Name)
		assert.Contains(t, body, seen[key], "the note names the media URL")
		assert.Equal(t, string(d.PatientID), patientOf[fmt.Sprint(n["contactId"])], "document %s is linked to its patient", key)
	}
	assert.Equal(t, len(want), linked, "one note per document")

	// The documents index on each contact lists its documents.
	index := map[string]string{} // patient → pbn_documents
	for _, c := range e.hl.Contacts(loc) {
		index[fmt.Sprint(c.CustomFields[byField["contact.pbn_patient_id"]])] = fmt.Sprint(c.CustomFields[byField["contact.pbn_documents"]])
	}
	for key, d := range want {
		assert.Contains(t, index[string(d.PatientID)], key, "document %s in its contact's documents index", key)
		assert.Contains(t, index[string(d.PatientID)], d.Name, "document %s in its contact's documents index", key)
	}
	assert.EqualValues(t, len(want), int(notes.Load())-countOtherNotes(e, loc), "one note call per document")

	// The census: every source document is in media storage or listed
	// invalid with a reason.
	reasons := map[string]string{}
	for pr, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		// Invalid records name their source entity (the documents index
		// reads it too); rejected ones their object type.
		if pr.Entity == "documents" || pr.ObjectType == rollback.TypeMedia {
			require.NotEmpty(t, pr.Reasons)
			reasons[pr.SourceKey] += strings.Join(pr.Reasons, "; ") + "; "
		}
	}
	for d := range p.Documents() {
		key := string(d.ID)
		_, up := seen[key]
		r, listed := reasons[key]
		assert.True(t, up != listed, "document %s: uploaded %v, listed %v", key, up, listed)
		if tooLarge[key] {
			assert.Contains(t, r, "25 MB", "document %s", key)
			assert.NotContains(t, r, d.Name, "no file name (patient data) in a reason")
		}
	}
	assert.Equal(t, all, len(seen)+len(reasons))

	// A second run uploads nothing.
	uploads.Store(0)
	e.hook.Store(&hook)
	rerun, err := e.migration(func(o *pbnhl.Options) { o.Source = src }).Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)
	assert.Zero(t, uploads.Load(), "a re-run uploads nothing twice")
	// Each document is one record: its file and its note are counted once
	// as already there, not twice.
	again, ok := rerun.Object("documents")
	require.True(t, ok)
	assert.Equal(t, int64(len(files)), again.Existing, "documents already there on a re-run")
	assert.Zero(t, again.Written)
	assert.Equal(t, len(files), len(e.hl.Records(loc, hltest.KindMedia)))

	// Undo deletes every file it uploaded and every note.
	urep, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	for _, c := range urep.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
	}
	assert.Empty(t, e.hl.Records(loc, hltest.KindMedia), "undo deletes the uploaded media")
	for _, n := range e.hl.Records(loc, hltest.KindNote) {
		assert.NotContains(t, fmt.Sprint(n["body"]), "/note/document-")
	}
}

// countOtherNotes counts the notes that are not document links (the
// communications' notes).
func countOtherNotes(e *env, loc string) int {
	n := 0
	for _, r := range e.hl.Records(loc, hltest.KindNote) {
		if !strings.Contains(fmt.Sprint(r["body"]), "/note/document-") {
			n++
		}
	}
	return n
}

// uploadedOnce checks the media library against the source: every
// document of a migrated patient is there exactly once, with one linking
// note, and nothing else is.
func uploadedOnce(t *testing.T, e *env) int {
	t.Helper()
	loc := hltest.DefaultLocationID
	migrated := migratedPatients(e)
	want := map[string]bool{}
	for d := range e.pbn.Practice().Documents() {
		if migrated[string(d.PatientID)] {
			want[string(d.ID)] = true
		}
	}
	files := map[string]int{}
	for _, f := range e.hl.Records(loc, hltest.KindMedia) {
		files[mediaKey(fmt.Sprint(f["name"]))]++
	}
	notes := map[string]int{}
	for _, n := range e.hl.Records(loc, hltest.KindNote) {
		body := fmt.Sprint(n["body"])
		if i := strings.Index(body, "/note/document-"); i >= 0 {
			notes[strings.TrimSpace(body[i+len("/note/document-"):])]++
		}
	}
	for key := range want {
		assert.Equal(t, 1, files[key], "document %s: files", key)
		assert.Equal(t, 1, notes[key], "document %s: notes", key)
	}
	assert.Len(t, files, len(want), "no file for anything else")
	assert.Len(t, notes, len(want), "no note for anything else")
	return len(want)
}

// TestMediaUploadsSurviveFaultsAndKill: uploads whose answer is lost,
// refused (429), failed (5xx) or dropped, and a run cancelled mid-upload
// then resumed, leave every document uploaded exactly once with one note
// (the lost answers are found again by their name tag); undo removes them
// all.
func TestMediaUploadsSurviveFaultsAndKill(t *testing.T) {
	e := newMediaEnv(t, envOptions{patients: size(24), seed: 23, faults: []hltest.FaultRule{{Route: "POST /medias/upload-file",
		LostResponseRate: 0.25, ServerErrorRate: 0.1, TooManyRequestsRate: 0.1, DropRate: 0.1}}})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)

	// The first run is cancelled after a few uploads.
	kctx, kill := context.WithCancel(ctx)
	defer kill()
	var uploads atomic.Int64 // the hook runs on the migration's workers
	hook := func(c highlevel.Call) {
		if c.Operation == "medias.upload" && uploads.Add(1) == 6 {
			kill()
		}
	}
	e.hook.Store(&hook)
	_, err = m.Load(kctx)
	e.hook.Store(nil)
	require.Error(t, err, "the run was cancelled")
	require.GreaterOrEqual(t, uploads.Load(), int64(6))

	// Resumed (as often as the faults need) to the end.
	for i := 0; ; i++ {
		_, err = e.migration(nil).Load(ctx)
		if err == nil {
			break
		}
		require.Less(t, i, 5, "resume: %v", err)
	}
	// What the faults left unknown is settled by a last run.
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	n := uploadedOnce(t, e)
	require.Positive(t, n)

	urep, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	for _, c := range urep.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s: %s", c.Ref.ObjectType, c.Reason)
	}
	assert.Empty(t, e.hl.Records(hltest.DefaultLocationID, hltest.KindMedia), "undo removes every upload")
}

// BenchmarkMediaCalls reports the HighLevel calls per document of a run
// (design minimum: 2 — the upload and its note) and the bytes per
// document.
func BenchmarkMediaCalls(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newMediaEnv(b, envOptions{patients: 12, seed: 5})
		ctx := context.Background()
		m := e.migration(nil)
		_, err := m.ApplySchema(ctx)
		require.NoError(b, err)
		var calls atomic.Int64 // the hook runs on the migration's workers
		hook := func(c highlevel.Call) {
			if c.Operation == "medias.upload" || c.Operation == "contacts.notes.create" {
				calls.Add(1)
			}
		}
		b.StartTimer()
		e.hook.Store(&hook)
		rep, err := m.Load(ctx)
		e.hook.Store(nil)
		require.NoError(b, err)
		b.StopTimer()
		var docs, bytes int64
		for _, o := range rep.Objects {
			if o.Object == "documents" {
				docs, bytes = o.Written, o.Bytes
			}
		}
		require.Positive(b, docs)
		b.ReportMetric(float64(int(calls.Load())-countOtherNotes(e, hltest.DefaultLocationID))/float64(docs), "calls/document")
		b.ReportMetric(float64(bytes)/float64(docs), "bytes/document")
		b.StartTimer()
	}
}
