package transform

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

const blobTransform = "json-blob"

// DefaultBlobMaxBytes is the cap used when BlobOptions.MaxBytes is zero.
// HighLevel documents no limit for LARGE_TEXT fields; 32,000 bytes is a
// conservative value that keeps a contact readable in the UI. Raise it once
// a location has been tested with larger values.
const DefaultBlobMaxBytes = 32000

// BlobOptions configures JSONBlob.
type BlobOptions struct {
	// MaxBytes caps the encoded JSON; 0 means DefaultBlobMaxBytes.
	MaxBytes int
	// KeepNewest keeps the last entries (the newest, in a chronological log)
	// when some must be dropped; by default the first ones are kept.
	KeepNewest bool
	// MaxStringBytes caps every string value inside the entries (the cut is
	// marked with "…"), so that one huge note cannot push out every other
	// entry. 0 means MaxBytes/4; -1 means no per-string cap.
	MaxStringBytes int
	// NoMarker leaves out the {"_truncated":{…}} entry that otherwise tells a
	// reader of the field that entries were dropped.
	NoMarker bool
}

// BlobReport says what JSONBlob had to leave out to respect the cap.
type BlobReport struct {
	Entries          int // entries given
	Kept             int // entries in the output
	Dropped          int // entries left out entirely
	TruncatedStrings int // string values shortened (in kept entries)
	Bytes            int // length of the output
}

// Truncated reports whether anything was dropped or shortened.
func (r BlobReport) Truncated() bool { return r.Dropped > 0 || r.TruncatedStrings > 0 }

// ellipsis marks a string cut by JSONBlob.
const ellipsis = "…"

// JSONBlob encodes entries as a JSON array that fits in opts.MaxBytes, for a
// LARGE_TEXT field holding a communication log or form submissions. It
// never splits a UTF-8 character and always returns valid JSON:
//
//   - strings longer than the per-string cap are cut at a character boundary
//     and end with "…";
//   - if the array is still too large, whole entries are dropped from the
//     end (or, with KeepNewest, from the start) and, unless NoMarker is set,
//     a final (or first) entry {"_truncated":{"dropped":N,"total":M}} says so;
//   - an entry that cannot fit even alone has its longest strings cut further.
//
// HTML characters are not escaped, so byte counts match what a person sees.
// The report says what was left out. An entry that cannot be encoded (a
// channel, NaN) or a cap too small for "[]" is an *Error.
func JSONBlob(entries []any, opts BlobOptions) ([]byte, BlobReport, error) {
	maxBytes := opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultBlobMaxBytes
	}
	if maxBytes < 2 {
		return nil, BlobReport{}, newError(blobTransform, ErrConfig, "byte cap smaller than an empty array")
	}
	strCap := opts.MaxStringBytes
	switch {
	case strCap == 0:
		strCap = maxBytes / 4
	case strCap < 0:
		strCap = 0
	}
	rep := BlobReport{Entries: len(entries)}
	enc := make([][]byte, len(entries))
	cuts := make([]int, len(entries))
	total := 2 // [ ]
	for i, e := range entries {
		b, cut, err := encodeEntry(e, strCap)
		if err != nil {
			return nil, BlobReport{}, newError(blobTransform, ErrInvalid,
				"entry "+strconv.Itoa(i)+" cannot be encoded as JSON")
		}
		enc[i], cuts[i] = b, cut
		rep.TruncatedStrings += cut
		total += len(b)
		if i > 0 {
			total++
		}
	}
	if total <= maxBytes {
		out := assemble(enc, nil, false, total)
		rep.Kept, rep.Bytes = len(enc), len(out)
		return out, rep, nil
	}

	// Choose how many entries fit next to the marker, from the kept end.
	markerLen := 0
	if !opts.NoMarker {
		markerLen = len(truncationMarker(len(entries), len(entries))) + 1 // + comma
	}
	budget := maxBytes - 2 - markerLen
	kept, size := 0, 0
	for kept < len(enc) {
		b := enc[pick(kept, len(enc), opts.KeepNewest)]
		add := len(b)
		if kept > 0 {
			add++
		}
		if size+add > budget {
			break
		}
		size += add
		kept++
	}
	if kept == 0 && len(enc) > 0 && budget > 2 {
		// Not even one entry fits: shorten the first kept one to the budget.
		i := pick(0, len(enc), opts.KeepNewest)
		if b, cut, ok := shrinkEntry(entries[i], budget); ok {
			enc[i], cuts[i] = b, cut
			kept = 1
		}
	}
	// Only strings cut in kept entries count.
	rep.TruncatedStrings = 0
	for k := 0; k < kept; k++ {
		rep.TruncatedStrings += cuts[pick(k, len(enc), opts.KeepNewest)]
	}
	var chosen [][]byte
	if opts.KeepNewest {
		chosen = enc[len(enc)-kept:]
	} else {
		chosen = enc[:kept]
	}
	rep.Kept, rep.Dropped = kept, len(enc)-kept
	var marker []byte
	if !opts.NoMarker && rep.Dropped > 0 {
		marker = truncationMarker(rep.Dropped, len(entries))
	}
	out := assemble(chosen, marker, opts.KeepNewest, maxBytes)
	if len(out) > maxBytes { // the marker alone does not fit a tiny cap
		out = assemble(chosen, nil, false, maxBytes)
	}
	rep.Bytes = len(out)
	return out, rep, nil
}

// JSONBlobOf is JSONBlob for a typed slice (structs, maps), saving the
// caller the conversion to []any.
func JSONBlobOf[T any](entries []T, opts BlobOptions) ([]byte, BlobReport, error) {
	anys := make([]any, len(entries))
	for i := range entries {
		anys[i] = entries[i]
	}
	return JSONBlob(anys, opts)
}

func pick(k, n int, fromEnd bool) int {
	if fromEnd {
		return n - 1 - k
	}
	return k
}

func truncationMarker(dropped, total int) []byte {
	b := make([]byte, 0, 48)
	b = append(b, `{"_truncated":{"dropped":`...)
	b = strconv.AppendInt(b, int64(dropped), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	return append(b, "}}"...)
}

func assemble(parts [][]byte, marker []byte, markerFirst bool, sizeHint int) []byte {
	out := make([]byte, 0, sizeHint)
	out = append(out, '[')
	n := 0
	add := func(b []byte) {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
		n++
	}
	if marker != nil && markerFirst {
		add(marker)
	}
	for _, p := range parts {
		add(p)
	}
	if marker != nil && !markerFirst {
		add(marker)
	}
	return append(out, ']')
}

// encodeEntry encodes e with every string capped at strCap bytes (0 = no cap)
// and returns how many strings were cut.
func encodeEntry(e any, strCap int) ([]byte, int, error) {
	b, err := marshalNoEscape(e)
	if err != nil || strCap == 0 || !hasLongString(b, strCap) {
		return b, 0, err
	}
	v, err := decodeGeneric(b)
	if err != nil {
		return nil, 0, err
	}
	cut := capStrings(&v, strCap)
	b, err = marshalNoEscape(v)
	return b, cut, err
}

// hasLongString reports whether encoded JSON may contain a string value or
// key longer than limit bytes (a cheap over-approximation: any run between
// quotes of that length).
func hasLongString(b []byte, limit int) bool {
	start := -1
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			if start < 0 {
				start = i
			} else {
				if i-start-1 > limit {
					return true
				}
				start = -1
			}
		}
	}
	return false
}

func decodeGeneric(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep numbers exactly as encoded
	var v any
	err := dec.Decode(&v)
	return v, err
}

// capStrings cuts every string value in v longer than limit bytes.
func capStrings(v *any, limit int) int {
	switch x := (*v).(type) {
	case string:
		if len(x) > limit {
			*v = cutUTF8(x, limit)
			return 1
		}
	case []any:
		n := 0
		for i := range x {
			n += capStrings(&x[i], limit)
		}
		return n
	case map[string]any:
		n := 0
		for k, val := range x {
			n += capStrings(&val, limit)
			x[k] = val
		}
		return n
	}
	return 0
}

// shrinkEntry cuts the entry's longest strings until its encoding fits in
// budget bytes. ok=false if even empty strings do not fit.
func shrinkEntry(e any, budget int) ([]byte, int, bool) {
	b, err := marshalNoEscape(e)
	if err != nil {
		return nil, 0, false
	}
	v, err := decodeGeneric(b)
	if err != nil {
		return nil, 0, false
	}
	cut := 0
	for range 64 { // each round removes at least the excess from the longest string
		b, err = marshalNoEscape(v)
		if err != nil {
			return nil, 0, false
		}
		excess := len(b) - budget
		if excess <= 0 {
			return b, cut, true
		}
		p := longestString(&v)
		if p == nil || len(p.get()) == 0 {
			return nil, 0, false
		}
		s := p.get()
		keep := len(s) - excess - len(ellipsis)
		if keep < 0 {
			keep = 0
		}
		if !hasEllipsisSuffix(s) {
			cut++
		}
		p.set(cutUTF8(s, keep+len(ellipsis)))
		if p.get() == s { // cannot shorten further
			p.set("")
		}
	}
	return nil, 0, false
}

func hasEllipsisSuffix(s string) bool {
	return len(s) >= len(ellipsis) && s[len(s)-len(ellipsis):] == ellipsis
}

// stringRef points at a string inside a decoded JSON value.
type stringRef struct {
	get func() string
	set func(string)
}

func longestString(v *any) *stringRef {
	var best *stringRef
	bestLen := -1
	var walk func(v *any)
	walk = func(v *any) {
		switch x := (*v).(type) {
		case string:
			if len(x) > bestLen {
				bestLen = len(x)
				best = &stringRef{get: func() string { return (*v).(string) }, set: func(s string) { *v = s }}
			}
		case []any:
			for i := range x {
				walk(&x[i])
			}
		case map[string]any:
			for k := range x {
				if s, ok := x[k].(string); ok {
					if len(s) > bestLen {
						bestLen = len(s)
						m, key := x, k
						best = &stringRef{
							get: func() string { return m[key].(string) },
							set: func(s string) { m[key] = s },
						}
					}
					continue
				}
				val := x[k]
				walk(&val)
				x[k] = val
			}
		}
	}
	walk(v)
	return best
}

// cutUTF8 shortens s to at most limit bytes ending in "…", cutting at a
// character boundary. s is returned unchanged when it already fits.
func cutUTF8(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	if limit < len(ellipsis) {
		return ""
	}
	t, _ := TruncateUTF8(s, limit-len(ellipsis))
	return t + ellipsis
}

// TruncateUTF8 returns the longest prefix of s of at most maxBytes bytes that
// does not split a UTF-8 character, and whether anything was cut. Use it for
// TEXT fields with a length limit.
func TruncateUTF8(s string, maxBytes int) (string, bool) {
	if len(s) <= maxBytes {
		return s, false
	}
	if maxBytes <= 0 {
		return "", len(s) > 0
	}
	i := maxBytes
	// Step back over continuation bytes to the start of the cut character.
	for i > 0 && i > maxBytes-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}
