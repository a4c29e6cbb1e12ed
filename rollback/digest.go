package rollback

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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
// is not a single JSON value. The output is what encoding/json produces for
// the decoded value with object keys sorted (duplicate keys: the last one
// wins), strings re-escaped as encoding/json escapes them, and numbers in
// canonicalNumber's form — computed in one pass without building a tree.
func canonicalJSON(b []byte) []byte {
	if !json.Valid(b) {
		return b
	}
	c := canonicalizer{in: b}
	out := make([]byte, 0, len(b))
	return c.value(out)
}

type canonicalizer struct {
	in  []byte
	pos int
}

func (c *canonicalizer) skipSpace() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// value appends the canonical form of the value at c.pos (input is valid JSON).
func (c *canonicalizer) value(out []byte) []byte {
	c.skipSpace()
	switch ch := c.in[c.pos]; {
	case ch == '{':
		return c.object(out)
	case ch == '[':
		c.pos++
		out = append(out, '[')
		c.skipSpace()
		if c.in[c.pos] == ']' {
			c.pos++
			return append(out, ']')
		}
		for {
			out = c.value(out)
			c.skipSpace()
			if c.in[c.pos] == ',' {
				c.pos++
				out = append(out, ',')
				continue
			}
			c.pos++ // ']'
			return append(out, ']')
		}
	case ch == '"':
		raw := c.stringToken()
		return appendCanonicalString(out, raw)
	case ch == 't':
		c.pos += 4
		return append(out, "true"...)
	case ch == 'f':
		c.pos += 5
		return append(out, "false"...)
	case ch == 'n':
		c.pos += 4
		return append(out, "null"...)
	default:
		start := c.pos
		for c.pos < len(c.in) && strings.IndexByte("+-0123456789.eE", c.in[c.pos]) >= 0 {
			c.pos++
		}
		return append(out, canonicalNumber(json.Number(c.in[start:c.pos]))...)
	}
}

// stringToken returns the raw string token (with quotes) at c.pos.
func (c *canonicalizer) stringToken() []byte {
	start := c.pos
	c.pos++
	for {
		switch c.in[c.pos] {
		case '\\':
			c.pos += 2
		case '"':
			c.pos++
			return c.in[start:c.pos]
		default:
			c.pos++
		}
	}
}

type member struct {
	key   string
	value []byte
}

func (c *canonicalizer) object(out []byte) []byte {
	c.pos++ // '{'
	var members []member
	for {
		c.skipSpace()
		if c.in[c.pos] == '}' {
			c.pos++
			break
		}
		if c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		key := decodeString(c.stringToken())
		c.skipSpace()
		c.pos++ // ':'
		v := c.value(nil)
		replaced := false
		for i := range members {
			if members[i].key == key {
				members[i].value, replaced = v, true // the last duplicate wins
			}
		}
		if !replaced {
			members = append(members, member{key, v})
		}
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(m.key)
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, m.value...)
	}
	return append(out, '}')
}

func decodeString(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// appendCanonicalString writes the string as encoding/json would encode its
// decoded value; a plain string is copied as is.
func appendCanonicalString(out, raw []byte) []byte {
	plain := true
	for i := 1; i < len(raw)-1; i++ {
		ch := raw[i]
		if ch == '\\' || ch < 0x20 || ch == '<' || ch == '>' || ch == '&' || ch >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return append(out, raw...)
	}
	b, _ := json.Marshal(decodeString(raw))
	return append(out, b...)
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
