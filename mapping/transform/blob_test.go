package transform

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type commEntry struct {
	At   string `json:"at"`
	Mode string `json:"mode"`
	Note string `json:"note"`
}

func commLog(n int, note string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = commEntry{At: "2024-01-0" + string(rune('1'+i%9)) + "T10:00:00Z", Mode: "Text", Note: note}
	}
	return out
}

func TestJSONBlobFitsWithoutChange(t *testing.T) {
	out, rep, err := JSONBlob(commLog(3, "Reminder <sent> & confirmed"), BlobOptions{MaxBytes: 1000})
	require.NoError(t, err)
	assert.True(t, json.Valid(out))
	assert.Contains(t, string(out), "<sent> & confirmed", "HTML characters are not escaped")
	assert.Equal(t, BlobReport{Entries: 3, Kept: 3, Bytes: len(out)}, rep)
	assert.False(t, rep.Truncated())
	empty, rep, err := JSONBlob(nil, BlobOptions{})
	require.NoError(t, err)
	assert.Equal(t, "[]", string(empty))
	assert.Equal(t, 2, rep.Bytes)
}

func TestJSONBlobDropsEntriesAndSaysSo(t *testing.T) {
	entries := commLog(50, "Patient confirmed appointment by text")
	for _, newest := range []bool{false, true} {
		out, rep, err := JSONBlob(entries, BlobOptions{MaxBytes: 1000, KeepNewest: newest})
		require.NoError(t, err)
		require.True(t, json.Valid(out))
		assert.LessOrEqual(t, len(out), 1000)
		assert.Equal(t, len(out), rep.Bytes)
		assert.Equal(t, 50, rep.Entries)
		assert.Equal(t, 50, rep.Kept+rep.Dropped)
		assert.Positive(t, rep.Dropped)
		assert.True(t, rep.Truncated())
		var decoded []map[string]any
		require.NoError(t, json.Unmarshal(out, &decoded))
		require.Len(t, decoded, rep.Kept+1)
		markerAt := len(decoded) - 1
		if newest {
			markerAt = 0
		}
		assert.Equal(t, map[string]any{"dropped": float64(rep.Dropped), "total": float64(50)}, decoded[markerAt]["_truncated"])
	}
}

func TestJSONBlobNoMarker(t *testing.T) {
	out, rep, err := JSONBlob(commLog(50, "x"), BlobOptions{MaxBytes: 500, NoMarker: true})
	require.NoError(t, err)
	var decoded []commEntry
	require.NoError(t, json.Unmarshal(out, &decoded))
	assert.Len(t, decoded, rep.Kept)
}

func TestJSONBlobCutsLongStringsAtCharacterBoundaries(t *testing.T) {
	long := strings.Repeat("é日🦷", 2000) // 2-, 3- and 4-byte characters
	out, rep, err := JSONBlob([]any{commEntry{Note: long}, commEntry{Note: "short"}}, BlobOptions{MaxBytes: 4000})
	require.NoError(t, err)
	require.True(t, json.Valid(out))
	require.True(t, utf8.Valid(out))
	assert.LessOrEqual(t, len(out), 4000)
	assert.Equal(t, 2, rep.Kept)
	assert.Equal(t, 1, rep.TruncatedStrings)
	var decoded []commEntry
	require.NoError(t, json.Unmarshal(out, &decoded))
	assert.True(t, strings.HasSuffix(decoded[0].Note, ellipsis))
	assert.LessOrEqual(t, len(decoded[0].Note), 1000)
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(decoded[0].Note, ellipsis)))
}

func TestJSONBlobShrinksASingleHugeEntry(t *testing.T) {
	huge := map[string]any{"a": strings.Repeat("x", 5000), "b": strings.Repeat("\"", 3000), "n": json.Number("12.50")}
	out, rep, err := JSONBlob([]any{huge}, BlobOptions{MaxBytes: 600, MaxStringBytes: -1})
	require.NoError(t, err)
	require.True(t, json.Valid(out), string(out))
	assert.LessOrEqual(t, len(out), 600)
	assert.Equal(t, 1, rep.Kept)
	assert.Equal(t, 2, rep.TruncatedStrings)
	assert.Contains(t, string(out), `"n":12.50`)
}

func TestJSONBlobTinyCaps(t *testing.T) {
	for _, max := range []int{2, 3, 10, 30, 60} {
		out, rep, err := JSONBlob(commLog(5, strings.Repeat("note ", 20)), BlobOptions{MaxBytes: max})
		require.NoError(t, err, max)
		assert.True(t, json.Valid(out), "cap %d: %s", max, out)
		assert.LessOrEqual(t, len(out), max)
		assert.Equal(t, 5, rep.Kept+rep.Dropped)
	}
	_, _, err := JSONBlob(nil, BlobOptions{MaxBytes: 1})
	assert.ErrorIs(t, err, ErrConfig)
}

func TestJSONBlobUnencodable(t *testing.T) {
	_, _, err := JSONBlob([]any{"ok", math.NaN()}, BlobOptions{})
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "entry 1")
}

func TestTruncateUTF8(t *testing.T) {
	s := "aé日🦷"
	for max := 0; max <= len(s)+1; max++ {
		got, cut := TruncateUTF8(s, max)
		assert.True(t, utf8.ValidString(got), "max %d", max)
		assert.LessOrEqual(t, len(got), max)
		assert.True(t, strings.HasPrefix(s, got))
		assert.Equal(t, max < len(s), cut)
	}
	got, _ := TruncateUTF8(s, 5) // a(1) é(2) then 日 needs 3: stop at 3
	assert.Equal(t, "aé", got)
}

func TestJSONBlobOf(t *testing.T) {
	entries := []commEntry{{At: "2024-01-01T10:00:00Z", Mode: "Email", Note: "hi"}}
	out, rep, err := JSONBlobOf(entries, BlobOptions{})
	require.NoError(t, err)
	assert.JSONEq(t, `[{"at":"2024-01-01T10:00:00Z","mode":"Email","note":"hi"}]`, string(out))
	assert.Equal(t, 1, rep.Kept)
}
