package rollback

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDigestCanonical(t *testing.T) {
	same := [][]string{
		{`{"a":1,"b":[1,2]}`, ` { "b" : [1, 2.0], "a" : 1e0 } `},
		{`{"x":{"z":"1","y":null}}`, `{"x":{"y":null,"z":"1"}}`},
		{`"\u00e9"`, `"é"`},
	}
	for _, pair := range same {
		assert.Equal(t, Digest([]byte(pair[0])), Digest([]byte(pair[1])), pair[0])
	}
	assert.NotEqual(t, Digest([]byte(`{"a":1}`)), Digest([]byte(`{"a":"1"}`)))
	assert.NotEqual(t, Digest([]byte(`not json`)), Digest([]byte(`not  json`)), "non-JSON is hashed raw")
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, Digest(nil))
}

func FuzzDigest(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2.50,"x",null,true]`, `{"b":{"c":[{}]}}`, `1e400`, `"\ud800"`, `{`, ``, `0.1`, `-0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := Digest(b)
		require.Len(t, d, len("sha256:")+64)
		c := canonicalJSON(b)
		if json.Valid(b) {
			require.True(t, json.Valid(c), "canonical form of valid JSON is valid JSON: %q", c)
			// Canonicalisation is idempotent, so digests agree.
			require.Equal(t, string(c), string(canonicalJSON(c)))
			require.Equal(t, d, Digest(c))
		}
	})
}

func FuzzMergeJSON(f *testing.F) {
	f.Add([]byte(`{"a":1,"l":[1]}`), []byte(`{"a":2,"l":[2]}`))
	f.Add([]byte(`{}`), []byte(`[]`))
	f.Add([]byte(`null`), []byte(`{"x":null}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		out, err := mergeJSON(a, b)
		if err != nil {
			return
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(out, &m))
		var mb map[string]any
		require.NoError(t, json.Unmarshal(b, &mb))
		for k := range mb {
			require.Contains(t, m, k)
		}
	})
}

// FuzzOpenCiphertext feeds arbitrary blobs to the decryptor: they must be
// refused with ErrWrongKey, never panic, never decrypt.
func FuzzOpenCiphertext(f *testing.F) {
	s, err := newSealer(context.Background(), StaticKey(testKey(1)))
	require.NoError(f, err)
	good, id, err := s.seal([]byte(`{"a":1}`), "aad")
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		// Only an authentic ciphertext opens (each fuzz worker seals its
		// own seed with a fresh nonce, so compare plaintexts, not blobs).
		plain, err := s.open(context.Background(), blob, id, "aad")
		if err == nil {
			require.Equal(t, `{"a":1}`, string(plain))
			return
		}
		require.ErrorIs(t, err, ErrWrongKey)
	})
}

// referenceCanonical is the straightforward (slow) canonicaliser the
// one-pass canonicalJSON must agree with: decode to a tree, re-encode with
// sorted keys.
func referenceCanonical(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return b
	}
	var buf bytes.Buffer
	if err := referenceWrite(&buf, v); err != nil {
		return b
	}
	return buf.Bytes()
}

func referenceWrite(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]json.RawMessage, len(x))
		for k, e := range x {
			var sub bytes.Buffer
			if err := referenceWrite(&sub, e); err != nil {
				return err
			}
			out[k] = sub.Bytes()
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		buf.Write(b)
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := referenceWrite(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case json.Number:
		buf.WriteString(canonicalNumber(x))
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

func FuzzCanonicalMatchesReference(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,false,null,"x\u00e9<>&\n"]}`, ` {"a":1,"a":2} `, `"\ud800"`,
		`[1.0,1e2,-0,0.5e-3,12345678901234567890]`, `{"é":{"":""},"e\u0301":1}`, "\"\xff\"", `{"\u2028":"\u2029"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		require.Equal(t, string(referenceCanonical(b)), string(canonicalJSON(b)))
	})
}

// FuzzRestoreBodies feeds arbitrary before-images and written payloads to
// the HighLevel target's body builders: errors are fine, panics are not.
func FuzzRestoreBodies(f *testing.F) {
	f.Add([]byte(`{"firstName":"A","customFields":[{"id":"f","value":"x"}],"tags":["a"]}`),
		[]byte(`{"firstName":"B","customFields":[{"id":"f","field_value":"y"}],"tags":["b"],"dnd":true}`))
	f.Add([]byte(`{"Properties":{"a":1},"":2}`), []byte(`{"properties":{"a":2},"owner":["u"]}`))
	f.Add([]byte(`{"customFields":null}`), []byte(`{"customFields":[{"key":"contact.x","field_value":1}]}`))
	f.Fuzz(func(t *testing.T, before, written []byte) {
		var b, w map[string]json.RawMessage
		if json.Unmarshal(before, &b) != nil || json.Unmarshal(written, &w) != nil {
			return
		}
		b = foldKeys(b)
		body := restoreStrings(b, w)
		require.True(t, json.Valid(body))
		_, _ = restoreCustomFields(b, w)
		_, _ = stringList(b["tags"])
	})
}
