package practicebynumbers

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key is a source record's id or a reference to one: an opaque string.
// PbN's own ids are numbers ("42"); the practice-management systems beneath
// it use codes ("DRE1" for a Dentrix provider, "A-17", "0042"). Keys compare
// as written: leading zeros are significant, so "0042" and "42" are two
// records. The empty Key means "none" (a patient without a guarantor, an
// appointment without an office).
//
// In JSON a Key that is a canonical decimal integer ("42", no sign, no
// leading zero) is written as a number, so PbN's documents and every file
// written before keys were strings keep their shape; any other Key is a JSON
// string. Both are read.
type Key string

// NoKey is the empty Key: no record.
const NoKey Key = ""

// maxKeyLen bounds a key: ids are short; a longer cell is a column mistaken
// for an id (a note, an address), refused with a clear reason.
const maxKeyLen = 128

// ParseKey reads an id cell. Surrounding spaces are trimmed. "", "0" (any
// run of zeros) and Excel's "0.0" are NoKey — PbN's and Open Dental's 0 means
// none. Excel's "123.0" is "123"; other text is kept as written ("0042",
// "DRE1", "A-17"). A key longer than 128 bytes, with a control character,
// inner white space or a list separator (";", ",", "|"), or not UTF-8, is
// refused with a [ValueError].
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return NoKey, nil
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && whole != "" && isDigits(whole) && frac != "" && strings.Trim(frac, "0") == "" {
		s = whole
	}
	if strings.Trim(s, "0") == "" {
		return NoKey, nil
	}
	if len(s) > maxKeyLen {
		return NoKey, valueErr("id", "longer than 128 bytes")
	}
	if !utf8.ValidString(s) {
		return NoKey, valueErr("id", "not UTF-8")
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return NoKey, valueErr("id", "has a control character")
		case unicode.IsSpace(r):
			return NoKey, valueErr("id", "has white space inside")
		case r == ';' || r == ',' || r == '|':
			return NoKey, valueErr("id", "has a list separator (; , |)")
		}
	}
	return Key(s), nil
}

// KeyOf is the Key of a numeric id: 0 is NoKey.
func KeyOf(id int64) Key {
	if id == 0 {
		return NoKey
	}
	return Key(strconv.FormatInt(id, 10))
}

// String returns the key as written.
func (k Key) String() string { return string(k) }

// IsZero reports whether k is NoKey.
func (k Key) IsZero() bool { return k == NoKey }

// Int reports k as a number when it is a canonical decimal integer ("42";
// not "0042", "DRE1" or "-3").
func (k Key) Int() (int64, bool) {
	if !k.canonical() {
		return 0, false
	}
	n, err := strconv.ParseInt(string(k), 10, 64)
	return n, err == nil
}

// canonical reports a decimal integer without sign or leading zero.
func (k Key) canonical() bool {
	s := string(k)
	if s == "" || len(s) > 19 || !isDigits(s) {
		return false
	}
	return s == "0" || s[0] != '0'
}

// Compare orders keys: NoKey first (as PbN's 0), then numeric keys by
// value, then every other key byte-wise. -1, 0 or +1. Sorting by Compare
// keeps numeric ids in the order PbN serves them.
func (k Key) Compare(o Key) int {
	switch {
	case k == o:
		return 0
	case k == NoKey:
		return -1
	case o == NoKey:
		return 1
	}
	a, aok := k.Int()
	b, bok := o.Int()
	switch {
	case aok && bok:
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(string(k), string(o))
}

// CompareKeys is [Key.Compare] as a function, for slices.SortFunc.
func CompareKeys(a, b Key) int { return a.Compare(b) }

// MarshalJSON writes a canonical numeric key as a JSON number, any other key
// as a JSON string; NoKey is 0, as PbN writes "none".
func (k Key) MarshalJSON() ([]byte, error) {
	if k == NoKey {
		return []byte("0"), nil
	}
	if k.canonical() {
		return []byte(k), nil
	}
	return json.Marshal(string(k))
}

// UnmarshalJSON reads a JSON number or string through [ParseKey]; null is
// NoKey.
func (k *Key) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*k = NoKey
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return keyTypeError("not a JSON string or number")
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return keyTypeError("not a JSON string or number")
		}
		s = n.String()
	}
	v, err := ParseKey(s)
	if err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			return keyTypeError(ve.Reason)
		}
		return err
	}
	*k = v
	return nil
}

var keyType = reflect.TypeFor[Key]()

// keyTypeError is a *json.UnmarshalTypeError, which encoding/json completes
// with the member's name; Value carries the reason, never the value
// ([memberError] reads it back).
func keyTypeError(reason string) error {
	return &json.UnmarshalTypeError{Value: reason, Type: keyType}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
