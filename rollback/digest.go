package rollback

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// Digest returns "sha256:" followed by the hex SHA-256 of payload in
// canonical form. A JSON payload is canonicalised first (object keys sorted,
// insignificant white space dropped, numbers written in shortest form), so
// two encodings of the same document have the same digest; anything else is
// hashed as raw bytes. The Undo change check relies on a Target producing
// the digest of the current record with this same function.
func Digest(payload []byte) string {
	sum := sha256.Sum256(canonicalJSON(payload))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// canonicalJSON returns the canonical JSON encoding of b, or b itself when b
// is not a single JSON value.
func canonicalJSON(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return b
	}
	if dec.More() {
		return b
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v); err != nil {
		return b
	}
	return buf.Bytes()
}

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case map[string]any:
		// encoding/json sorts map keys; values are canonicalised recursively.
		out := make(map[string]json.RawMessage, len(x))
		for k, e := range x {
			var sub bytes.Buffer
			if err := writeCanonical(&sub, e); err != nil {
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
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case json.Number:
		buf.WriteString(canonicalNumber(x))
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("canonical json: %w", err)
		}
		buf.Write(b)
	}
	return nil
}

// canonicalNumber writes integers as integers and everything else in the
// shortest float form, so 1, 1.0 and 1e0 agree.
func canonicalNumber(n json.Number) string {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return string(n)
	}
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
