package practicebynumbers

import (
	"strconv"
	"strings"
)

// CheckValue reports whether v is a valid value of the property: a number
// for CustomNumber ("12", "-3.5", "1,200.00"), a date [ParseDate] accepts
// for CustomDate, one of Options (ignoring case and surrounding spaces) for
// CustomPickList; any text for CustomText. An empty value is valid (not
// set). The error is a *ValueError and never holds the value.
func (d CustomPropertyDefinition) CheckValue(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	switch d.Type {
	case CustomNumber:
		if _, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64); err != nil {
			return valueErr("number", "not a number")
		}
	case CustomDate:
		if _, err := ParseDate(v); err != nil {
			return err
		}
	case CustomPickList:
		if d.Option(v) == "" {
			return valueErr("pick-list value", "not one of the property's options")
		}
	}
	return nil
}

// Option returns the option of a pick-list property that v names, ignoring
// case and surrounding spaces, or "" if none does.
func (d CustomPropertyDefinition) Option(v string) string {
	v = strings.TrimSpace(v)
	for _, o := range d.Options {
		if strings.EqualFold(strings.TrimSpace(o), v) {
			return o
		}
	}
	return ""
}
