package practicebynumbers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKey(t *testing.T) {
	for in, want := range map[string]Key{
		"": NoKey, "  ": NoKey, "0": NoKey, "000": NoKey, "0.0": NoKey,
		"42": "42", " 42 ": "42", "42.0": "42", "0042": "0042", "DRE1": "DRE1", "A-17": "A-17",
		"-3": "-3", "12.5": "12.5", "HA1007": "HA1007", "é1": "é1",
	} {
		got, err := ParseKey(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, bad := range []string{"a b", "1;2", "1,2", "1|2", "a\x00b", "a\tb", strings.Repeat("x", 129), "\xff"} {
		_, err := ParseKey(bad)
		var ve *ValueError
		assert.True(t, errors.As(err, &ve), "%q refused with a ValueError", bad)
		if err != nil {
			assert.NotContains(t, err.Error(), bad, "never the value")
		}
	}
	assert.NotEqual(t, Key("0042"), Key("42"), "leading zeros count")
}

func TestKeyJSONAndOrder(t *testing.T) {
	for _, k := range []Key{"42", "0042", "DRE1", "A-17", NoKey} {
		b, err := json.Marshal(k)
		require.NoError(t, err)
		var back Key
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, k, back, "%s round-trips as %s", k, b)
	}
	b, _ := json.Marshal(Key("42"))
	assert.Equal(t, "42", string(b), "a PbN id stays a JSON number")
	b, _ = json.Marshal(Key("0042"))
	assert.Equal(t, `"0042"`, string(b))
	keys := []Key{"B", "10", "0042", "9", NoKey, "A-17"}
	for i := range keys {
		for j := range keys {
			assert.Equal(t, -keys[i].Compare(keys[j]), keys[j].Compare(keys[i]))
		}
	}
	assert.Equal(t, -1, Key("9").Compare("10"), "numbers by value")
	assert.Equal(t, -1, NoKey.Compare("1"))
	assert.Equal(t, -1, Key("10").Compare("0042"), "numbers before codes")
	var k Key
	assert.Error(t, json.Unmarshal([]byte(`{"x":1}`), &k))
	assert.Error(t, json.Unmarshal([]byte(`true`), &k))
}

// FuzzParseKey: no id string panics the parser, a key it accepts is one a
// JSON document and an id list give back unchanged, and it can never name
// a path outside the documents folder.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"", "0", "42", "0042", "DRE1", "A-17", "12.0", "../x", "a/b", "..", "\x00", "1;2", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if k == NoKey {
			return
		}
		require.True(t, utf8.ValidString(string(k)))
		b, err := json.Marshal(k)
		require.NoError(t, err)
		var back Key
		require.NoError(t, json.Unmarshal(b, &back), "%s", b)
		require.Equal(t, k, back)
		list, err := ParseIDList(FormatIDList([]Key{k, k}))
		if strings.HasPrefix(string(k), "[") || strings.HasSuffix(string(k), "]") || strings.HasPrefix(string(k), `"`) {
			return // brackets and quotes belong to the list syntax
		}
		require.NoError(t, err)
		require.Equal(t, []Key{k, k}, list)
		if documentFileName(k) {
			require.NotContains(t, string(k), "/")
			require.NotEqual(t, "..", string(k))
		}
		_ = k.Compare("42")
	})
}

// TestExportWithCodesAsIDs: an export whose ids are a practice system's
// codes reads every row, keys as written, references intact; a document
// named by a code opens; a key that could escape the documents folder
// opens nothing.
func TestExportWithCodesAsIDs(t *testing.T) {
	fsys := fstest.MapFS{
		"patients.csv": {Data: []byte("PatNum,LName,FName,Guarantor,PriProv\n" +
			"A-17,Lee,Ann,A-17,DRE1\n0042,Ng,Bob,A-17,HYG2\n42,Ortiz,Cy,42,DRE1\n")},
		"Providers.csv": {Data: []byte("ProvNum,LName,FName\nDRE1,Rossi,Priya\nHYG2,Shah,Amara\n")},
		"appointments.csv": {Data: []byte("AptNum,PatNum,ProvNum,AptStatus\n" +
			"0501,A-17,DRE1,Scheduled\n0502,0042,HYG2,Complete\n502,42,DRE1,Complete\n")},
		"documents.csv":  {Data: []byte("DocNum,PatNum,FileName\nD-1,0042,card.pdf\n")},
		"documents/D-1":  {Data: []byte("%PDF-1.4")},
		"documents/../x": {Data: []byte("no")},
	}
	r, err := NewExportReader(fsys, ExportOptions{})
	require.NoError(t, err)
	ctx := context.Background()
	pts, err := Collect(r.Patients(ctx, ListOptions{}))
	require.NoError(t, err)
	require.Len(t, pts, 3)
	assert.Equal(t, []Key{"A-17", "0042", "42"}, []Key{pts[0].ID, pts[1].ID, pts[2].ID})
	assert.Equal(t, Key("A-17"), pts[1].GuarantorID)
	assert.Equal(t, Key("HYG2"), pts[1].ProviderID)
	staff, err := Collect(r.Staff(ctx, ListOptions{}))
	require.NoError(t, err)
	require.Len(t, staff, 2)
	assert.Equal(t, Key("DRE1"), staff[0].ID)
	appts, err := Collect(r.Appointments(ctx, ListOptions{PatientID: "0042"}))
	require.NoError(t, err)
	require.Len(t, appts, 1, "0042's appointments, not 42's")
	assert.Equal(t, Key("0502"), appts[0].ID)
	appts, err = Collect(r.Appointments(ctx, ListOptions{PatientID: "42"}))
	require.NoError(t, err)
	require.Len(t, appts, 1)
	assert.Equal(t, Key("502"), appts[0].ID)
	docs, err := Collect(r.Documents(ctx, ListOptions{}))
	require.NoError(t, err)
	require.Len(t, docs, 1)
	rc, err := r.OpenDocument(ctx, docs[0].ID)
	require.NoError(t, err)
	rc.Close()
	for _, bad := range []Key{"../x", "..", "a/b", NoKey} {
		_, err := r.OpenDocument(ctx, bad)
		assert.Error(t, err, "%q", bad)
		there, err := r.HasDocumentFile(ctx, bad)
		assert.NoError(t, err)
		assert.False(t, there)
	}
}
