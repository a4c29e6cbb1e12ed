package highlevel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DataType is a custom field's type as HighLevel names it.
type DataType string

// HighLevel's custom field data types (MONETORY is HighLevel's spelling).
const (
	DataTypeText            DataType = "TEXT"
	DataTypeLargeText       DataType = "LARGE_TEXT"
	DataTypeNumerical       DataType = "NUMERICAL"
	DataTypePhone           DataType = "PHONE"
	DataTypeMonetary        DataType = "MONETORY"
	DataTypeCheckbox        DataType = "CHECKBOX"
	DataTypeSingleOptions   DataType = "SINGLE_OPTIONS"
	DataTypeMultipleOptions DataType = "MULTIPLE_OPTIONS"
	DataTypeDate            DataType = "DATE"
	DataTypeTextboxList     DataType = "TEXTBOX_LIST"
	DataTypeFileUpload      DataType = "FILE_UPLOAD"
	DataTypeRadio           DataType = "RADIO"
	DataTypeEmail           DataType = "EMAIL"
)

// Cents is an amount of money in hundredths of the currency unit.
type Cents int64

// FieldValue is a custom field value encoded the way HighLevel expects for
// its data type: a string for text, phone, e-mail, single options, radio and
// date fields; a number for NUMERICAL and MONETORY; an array of strings for
// CHECKBOX, MULTIPLE_OPTIONS and TEXTBOX_LIST. The zero FieldValue encodes
// as null.
type FieldValue struct {
	raw json.RawMessage
}

// TextValue is a value for TEXT, LARGE_TEXT, PHONE, EMAIL, SINGLE_OPTIONS
// and RADIO fields.
func TextValue(s string) FieldValue { return FieldValue{raw: mustJSON(s)} }

// NumberValue is a value for NUMERICAL fields. NaN and infinities encode as
// null.
func NumberValue(f float64) FieldValue {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return FieldValue{}
	}
	return FieldValue{raw: json.RawMessage(strconv.FormatFloat(f, 'f', -1, 64))}
}

// MoneyValue is a value for MONETORY fields, exact to the cent (12.5 for
// 1250 cents).
func MoneyValue(c Cents) FieldValue {
	neg := c < 0
	u := uint64(c)
	if neg {
		u = uint64(-c)
	}
	s := strconv.FormatUint(u/100, 10)
	if r := u % 100; r != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", r), "0")
	}
	if neg {
		s = "-" + s
	}
	return FieldValue{raw: json.RawMessage(s)}
}

// OptionsValue is a value for CHECKBOX, MULTIPLE_OPTIONS and TEXTBOX_LIST
// fields. No options encodes as an empty array (clears the field).
func OptionsValue(opts ...string) FieldValue {
	if opts == nil {
		opts = []string{}
	}
	return FieldValue{raw: mustJSON(opts)}
}

// DateValue is a value for DATE fields: the calendar date of t in t's own
// location, as YYYY-MM-DD.
func DateValue(t time.Time) FieldValue { return TextValue(t.Format(time.DateOnly)) }

// RawValue is a value passed through as is (FILE_UPLOAD objects, for
// example). It must be valid JSON.
func RawValue(v json.RawMessage) FieldValue { return FieldValue{raw: bytes.Clone(v)} }

// IsZero reports an unset value.
func (v FieldValue) IsZero() bool { return len(v.raw) == 0 }

// MarshalJSON implements json.Marshaler.
func (v FieldValue) MarshalJSON() ([]byte, error) {
	if len(v.raw) == 0 {
		return []byte("null"), nil
	}
	return v.raw, nil
}

// String returns the JSON encoding (beware: it is the field's content).
func (v FieldValue) String() string {
	if len(v.raw) == 0 {
		return "null"
	}
	return string(v.raw)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings and string slices reach here
	}
	return b
}

// ErrFieldType: a Go value does not fit a custom field's data type.
var ErrFieldType = errors.New("highlevel: value does not fit the field's data type")

// ValueFor encodes v for a field of type dt, refusing values that do not fit
// (the error matches ErrFieldType and names the types, never the value):
//
//   - TEXT, LARGE_TEXT, PHONE, EMAIL, SINGLE_OPTIONS, RADIO: string
//   - NUMERICAL: any integer or float type, json.Number, or a numeric string
//   - MONETORY: Cents, float64 (currency units) or json.Number
//   - CHECKBOX, MULTIPLE_OPTIONS, TEXTBOX_LIST: []string or a single string
//   - DATE: time.Time, or a string already in YYYY-MM-DD form
//   - FILE_UPLOAD: json.RawMessage
func ValueFor(dt DataType, v any) (FieldValue, error) {
	bad := func() (FieldValue, error) {
		return FieldValue{}, fmt.Errorf("%w: %T for %s", ErrFieldType, v, dt)
	}
	switch dt {
	case DataTypeText, DataTypeLargeText, DataTypePhone, DataTypeEmail, DataTypeSingleOptions, DataTypeRadio:
		if s, ok := v.(string); ok {
			return TextValue(s), nil
		}
		return bad()
	case DataTypeNumerical:
		if f, ok := toFloat(v); ok {
			return NumberValue(f), nil
		}
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return NumberValue(f), nil
			}
		}
		return bad()
	case DataTypeMonetary:
		switch x := v.(type) {
		case Cents:
			return MoneyValue(x), nil
		case float64:
			return NumberValue(x), nil
		case json.Number:
			// Kept as written (exact decimal), if it is a JSON number.
			if f, err := x.Float64(); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && json.Valid([]byte(x)) {
				return FieldValue{raw: json.RawMessage(x.String())}, nil
			}
		}
		return bad()
	case DataTypeCheckbox, DataTypeMultipleOptions, DataTypeTextboxList:
		switch x := v.(type) {
		case []string:
			return OptionsValue(x...), nil
		case string:
			return OptionsValue(x), nil
		}
		return bad()
	case DataTypeDate:
		switch x := v.(type) {
		case time.Time:
			return DateValue(x), nil
		case string:
			if _, err := time.Parse(time.DateOnly, x); err == nil {
				return TextValue(x), nil
			}
		}
		return bad()
	case DataTypeFileUpload:
		if raw, ok := v.(json.RawMessage); ok && json.Valid(raw) {
			return RawValue(raw), nil
		}
		return bad()
	}
	return FieldValue{}, fmt.Errorf("%w: unknown data type %q", ErrFieldType, dt)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case json.Number:
		f, err := x.Float64()
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// CustomFieldInput sets one custom field on a write. Give the field's ID
// (what HighLevel's spec requires) or its Key ("contact.pbn_patient_id").
type CustomFieldInput struct {
	ID    string     `json:"id,omitempty"`
	Key   string     `json:"key,omitempty"`
	Value FieldValue `json:"field_value"`
}

// CustomFieldValue is a custom field as HighLevel returns it: the field id
// and its value, without the key (map ids to keys with the field list).
type CustomFieldValue struct {
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
}

// Text returns the value when it is a string. Numbers are formatted.
func (v CustomFieldValue) Text() (string, bool) {
	var s string
	if json.Unmarshal(v.Value, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(v.Value, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// Number returns the value when it is a number or a numeric string.
func (v CustomFieldValue) Number() (float64, bool) {
	var f float64
	if json.Unmarshal(v.Value, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(v.Value, &s) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// Strings returns the value when it is an array of strings, or a single
// string as a one-element slice.
func (v CustomFieldValue) Strings() ([]string, bool) {
	var ss []string
	if json.Unmarshal(v.Value, &ss) == nil {
		return ss, true
	}
	var s string
	if json.Unmarshal(v.Value, &s) == nil {
		return []string{s}, true
	}
	return nil, false
}

// Timestamp is a time HighLevel sends as an ISO 8601 string or as Unix
// milliseconds; empty and null decode to the zero time.
type Timestamp struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02 15:04:05", time.DateOnly}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" || string(b) == `""` {
		t.Time = time.Time{}
		return nil
	}
	if b[0] != '"' {
		ms, err := strconv.ParseFloat(string(b), 64)
		if err != nil || math.IsNaN(ms) || math.IsInf(ms, 0) {
			return fmt.Errorf("highlevel: timestamp is neither a string nor a number")
		}
		t.Time = time.UnixMilli(int64(ms)).UTC()
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for _, l := range timeLayouts {
		if p, err := time.Parse(l, s); err == nil {
			t.Time = p.UTC()
			return nil
		}
	}
	return fmt.Errorf("highlevel: unrecognised timestamp layout")
}

// MarshalJSON implements json.Marshaler (RFC 3339, or null when zero).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// Ptr returns a pointer to v, for the optional fields of update requests.
func Ptr[T any](v T) *T { return &v }
