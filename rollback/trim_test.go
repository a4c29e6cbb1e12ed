package rollback

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrimBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		contact := `{"id":"c1","firstName":"Jane","lastName":"O'Brien","email":"jane@example.com","phone":"+15555550100",
		"address1":"22 Park Ave","tags":["vip","ortho"],
		"customFields":[{"id":"cf1","value":"Penicillin allergy"},{"id":"cf2","value":"x"},{"id":"cf3","value":"y"}]}`
		for name, tc := range map[string]struct {
			op              Op
			objectType      string
			before, payload string
			want            string
		}{
			"update keeps the written fields and the id": {OpUpdate, TypeContact, contact,
				`{"phone":"+15555550199","customFields":[{"id":"cf2","field_value":"z"},{"id":"cf9","field_value":"new"}],"tags":["new"]}`,
				`{"id":"c1","phone":"+15555550100","tags":["vip","ortho"],"customFields":[{"id":"cf2","value":"x"}]}`},
			"a field absent before stays absent": {OpUpdate, TypeContact, `{"id":"c1","firstName":"Jane"}`,
				`{"lastName":"Added"}`, `{"id":"c1"}`},
			"properties by name, Go field names folded": {OpUpdate, "custom_objects.appointment",
				`{"ID":"r1","Properties":{"start":"2026-01-01","notes":"root canal","room":"2"},"Owner":["u1"]}`,
				`{"properties":{"room":"3"}}`, `{"ID":"r1","Properties":{"room":"2"}}`},
			"a note keeps its body": {OpUpdate, TypeNote, `{"id":"n1","body":"call about the bill","title":"T","userId":"u"}`,
				`{"title":"T2"}`, `{"id":"n1","body":"call about the bill","title":"T"}`},
			"a delete keeps the id":                  {OpDelete, TypeContact, contact, ``, `{"id":"c1"}`},
			"an update without payload keeps the id": {OpUpdate, TypeContact, contact, ``, `{"id":"c1"}`},
			"a link's before-image is kept":          {OpLink, TypeContactBusiness, `{"businessId":"b0"}`, `{"businessId":"b1"}`, `{"businessId":"b0"}`},
			"not JSON objects: kept whole":           {OpUpdate, TypeContact, `["a"]`, `{"x":1}`, `["a"]`},
		} {
			t.Run(name, func(t *testing.T) {
				var payload []byte
				if tc.payload != "" {
					payload = []byte(tc.payload)
				}
				got := trimBefore(tc.op, tc.objectType, []byte(tc.before), payload)
				assert.JSONEq(t, tc.want, string(got))
			})
		}
		assert.Nil(t, trimBefore(OpUpdate, TypeContact, nil, []byte(`{}`)))
	})
}

// TestJournalStoresTrimmedBeforeImages checks what reaches the file: the
// fields an update did not write are not stored at all.
func TestJournalStoresTrimmedBeforeImages(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		_, err = run.Intent(ctx, Intent{Op: OpUpdate, ObjectType: TypeContact, SourceKey: "p1", TargetID: "c1",
			Payload: []byte(`{"phone":"+15555550199"}`),
			Before:  []byte(`{"id":"c1","phone":"+15555550100","lastName":"` + secretMarker + `"}`)})
		require.NoError(t, err)
		e := onlyEntry(t, l)
		b, err := l.Before(ctx, e)
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"c1","phone":"+15555550100"}`, string(b))
		require.NoError(t, l.Close())
		assert.False(t, fileContains(t, l.path, secretMarker), "an unwritten field never reaches the file")
	})
}

// TestUndoRestoresFromTrimmedImages: two updates of one record, the second
// writing fields the first did not. With trimmed before-images the first
// image lacks them; Undo takes each field from the first update that wrote
// it and restores the record exactly.
func TestUndoRestoresFromTrimmedImages(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		forConcurrency(t, undoRestoresFromTrimmedImages)
	})
}

func undoRestoresFromTrimmedImages(t *testing.T, conc int) {
	ctx := context.Background()
	l := openTest(t, "", Options{Key: testKey(5)})
	dst := newMemTarget()
	id := dst.create("contact", map[string]any{"firstName": "Pre", "email": "pre@example.com", "city": "Springfield"})
	pre := dst.snapshot()
	g := begin(t, l, dst, KindFull)
	g.update("contact", "pre-1", id, map[string]any{"phone": "+15555550100", "firstName": "Pre2"})
	g.update("contact", "pre-1", id, map[string]any{"email": "new@example.com", "firstName": "Pre3", "lastName": "Added"})
	g2 := begin(t, l, dst, KindDelta)
	g2.update("contact", "pre-1", id, map[string]any{"city": "Shelbyville", "email": "newer@example.com"})

	// Each stored image holds only its own update's fields.
	for e, err := range l.Entries(ctx, EntryFilter{}) {
		require.NoError(t, err)
		b, err := l.Before(ctx, e)
		require.NoError(t, err)
		p, err := l.Payload(ctx, e)
		require.NoError(t, err)
		var bm, pm map[string]any
		require.NoError(t, json.Unmarshal(b, &bm))
		require.NoError(t, json.Unmarshal(p, &pm))
		for k := range bm {
			assert.Contains(t, pm, k, "entry %d keeps only written fields", e.ID)
		}
	}

	report, err := Undo(ctx, l, dst, UndoOptions{Concurrency: conc, Runs: []RunID{g.run.ID(), g2.run.ID()}})
	require.NoError(t, err)
	assert.True(t, report.Complete(), "%+v", report.Compensations)
	assert.Equal(t, pre, dst.snapshot(), "email and city come from the images of the updates that first wrote them")
}

func TestComposeBeforeLists(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		id := dst.create("contact", map[string]any{})
		g := begin(t, l, dst, KindFull)
		journal := func(payload, before string) {
			seq, err := g.run.Intent(ctx, Intent{Op: OpUpdate, ObjectType: TypeContact, SourceKey: "p", TargetID: id,
				Payload: []byte(payload), Before: []byte(before)})
			require.NoError(t, err)
			require.NoError(t, g.run.Outcome(ctx, seq, Done(id)))
		}
		journal(`{"customFields":[{"id":"a","field_value":"1"}],"properties":{"x":"1"}}`,
			`{"customFields":[{"id":"a","value":"a0"},{"id":"b","value":"b0"}],"properties":{"x":"x0","y":"y0"}}`)
		journal(`{"customFields":[{"id":"a","field_value":"2"},{"id":"b","field_value":"2"},{"id":"c","field_value":"2"}],"properties":{"x":"2","y":"2","z":"2"}}`,
			`{"customFields":[{"id":"a","value":"1"},{"id":"b","value":"b0"}],"properties":{"x":"1","y":"y0"}}`)
		p, err := l.planUndo(ctx, UndoOptions{Runs: []RunID{g.run.ID()}})
		require.NoError(t, err)
		require.Len(t, p.steps, 1)
		st := p.steps[0]
		require.NoError(t, l.loadRestore(ctx, st))
		assert.Equal(t, StatePlanned, st.comp.State, st.comp.Reason)
		// a and x from the first image; b and y from the second (first written
		// there); c and z were empty before: absent, so Restore clears them.
		assert.JSONEq(t, `{"customFields":[{"id":"a","value":"a0"},{"id":"b","value":"b0"}],"properties":{"x":"x0","y":"y0"}}`, string(st.before))
	})
}
