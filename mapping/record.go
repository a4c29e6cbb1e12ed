package mapping

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Record is one source record seen as text fields by source field name, which
// is what rules' From, lookups and filters name.
type Record interface {
	// Get returns the field's value and whether the record has the field.
	Get(field string) (string, bool)
}

// Row is a generic record, such as a CSV row keyed by header.
type Row map[string]string

// Get implements Record.
func (r Row) Get(field string) (string, bool) {
	v, ok := r[field]
	return v, ok
}

// overlay reads fields from Top first, then from Base (expanded rows).
type overlay struct {
	top  map[string]string
	base Record
}

func (o overlay) Get(field string) (string, bool) {
	if v, ok := o.top[field]; ok {
		return v, true
	}
	return o.base.Get(field)
}

// Struct adapts a struct (or pointer to one), such as a practicebynumbers
// model, into a Record. Fields are named by their json tag (else the Go name);
// a field of map type is reached as "tag.key" (custom properties); nested
// structs as "tag.inner". Values are rendered as text: times in RFC 3339 UTC
// (zero time as ""), types with MarshalText or String through them, slices as
// JSON arrays. Struct panics on nothing: a non-struct yields an empty Record;
// a value that is already a Record is returned as it is.
func Struct(v any) Record {
	if r, ok := v.(Record); ok {
		// Already a record (a report file's row, practicebynumbers.FileRow).
		return r
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return Row(nil)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return Row(nil)
	}
	return structRecord{v: rv, acc: accessorsFor(rv.Type())}
}

type structRecord struct {
	v   reflect.Value
	acc map[string]accessor
}

type accessor struct {
	index  []int
	mapKey bool // the last element of index is a map field; the key follows the dot
}

func (s structRecord) Get(field string) (string, bool) {
	a, ok := s.acc[field]
	key := ""
	if !ok {
		i := strings.IndexByte(field, '.')
		if i < 0 {
			return "", false
		}
		a, ok = s.acc[field[:i]]
		if !ok || !a.mapKey {
			return "", false
		}
		key = field[i+1:]
	}
	v, err := s.v.FieldByIndexErr(a.index)
	if err != nil { // nil embedded pointer
		return "", false
	}
	if a.mapKey {
		if key == "" || v.IsNil() {
			return "", key != "" && ok
		}
		mv := v.MapIndex(reflect.ValueOf(key).Convert(v.Type().Key()))
		if !mv.IsValid() {
			return "", true
		}
		return text(mv), true
	}
	return text(v), true
}

var accessorCache sync.Map // reflect.Type → map[string]accessor

func accessorsFor(t reflect.Type) map[string]accessor {
	if a, ok := accessorCache.Load(t); ok {
		return a.(map[string]accessor)
	}
	acc := map[string]accessor{}
	collectAccessors(t, nil, "", acc, 0)
	accessorCache.Store(t, acc)
	return acc
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	stringer      = reflect.TypeFor[fmt.Stringer]()
)

func collectAccessors(t reflect.Type, index []int, prefix string, acc map[string]accessor, depth int) {
	if depth > 4 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		idx := append(append([]int(nil), index...), i)
		ft := f.Type
		if f.Anonymous && ft.Kind() == reflect.Struct && !leaf(ft) {
			collectAccessors(ft, idx, prefix, acc, depth+1)
			continue
		}
		full := prefix + name
		if _, dup := acc[full]; dup {
			continue
		}
		switch {
		case ft.Kind() == reflect.Map && ft.Key().Kind() == reflect.String:
			acc[full] = accessor{index: idx, mapKey: true}
		case ft.Kind() == reflect.Struct && !leaf(ft):
			acc[full] = accessor{index: idx}
			collectAccessors(ft, idx, full+".", acc, depth+1)
		default:
			acc[full] = accessor{index: idx}
		}
	}
}

// leaf reports whether a struct type is rendered as one value.
func leaf(t reflect.Type) bool {
	return t == timeType || t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) ||
		t.Implements(stringer) || reflect.PointerTo(t).Implements(stringer)
}

// text renders one value (see Struct).
func text(v reflect.Value) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type().Implements(stringer) {
			break
		}
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	if v.CanInterface() {
		iv := v.Interface()
		if tm, ok := iv.(encoding.TextMarshaler); ok {
			b, err := tm.MarshalText()
			if err != nil {
				return ""
			}
			return string(b)
		}
		if v.CanAddr() {
			if tm, ok := v.Addr().Interface().(encoding.TextMarshaler); ok {
				b, err := tm.MarshalText()
				if err != nil {
					return ""
				}
				return string(b)
			}
		}
		if s, ok := iv.(fmt.Stringer); ok {
			return s.String()
		}
		switch v.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct:
			if v.Kind() == reflect.Slice && v.Len() == 0 {
				return ""
			}
			b, err := json.Marshal(iv)
			if err != nil {
				return ""
			}
			return string(b)
		}
	}
	return ""
}
