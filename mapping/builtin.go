package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

var (
	defaultOnce sync.Once
	defaultReg  *Registry
)

// DefaultRegistry returns the registry of built-in transforms (see
// Registry.Names and Registry.Help). It is shared: register extra
// transforms on a registry of your own (NewRegistry) instead.
func DefaultRegistry() *Registry {
	defaultOnce.Do(func() { defaultReg = NewRegistry() })
	return defaultReg
}

// NewRegistry returns a new registry holding every built-in transform, to
// which a host may add its own.
func NewRegistry() *Registry {
	r := &Registry{}
	pure := func(name, help string, f func(string) string) {
		r.Register(name, nil, help, func(map[string]string) (Func, error) {
			return func(s string) (string, error) { return f(s), nil }, nil
		})
	}
	pure("trim", "remove leading and trailing white space", transform.Trim)
	pure("collapse", "trim and turn runs of white space into one space", transform.Collapse)
	pure("upper", "upper case", transform.Upper)
	pure("lower", "lower case", transform.Lower)
	pure("title_name", "capitalise a name written in one case (JOHN O'BRIEN → John O'Brien)", transform.TitleName)

	r.Register("date", []string{"zone", "day_first", "two_digit_pivot"},
		"any common date or date-time → YYYY-MM-DD; 0001-01-01 → empty",
		func(args map[string]string) (Func, error) {
			o, err := dateOptions(args)
			if err != nil {
				return nil, err
			}
			return func(s string) (string, error) { return transform.Date(s, o) }, nil
		})
	r.Register("timestamp", []string{"zone", "day_first", "two_digit_pivot"},
		"any common date-time (read in zone when it has none) → RFC 3339 UTC",
		func(args map[string]string) (Func, error) {
			o, err := dateOptions(args)
			if err != nil {
				return nil, err
			}
			return func(s string) (string, error) { return transform.Timestamp(s, o) }, nil
		})
	r.Register("phone", []string{"region", "strict", "part"},
		"phone number → E.164 (part: number, default) or its extension (part: extension)",
		func(args map[string]string) (Func, error) {
			o := transform.PhoneOptions{Region: strings.ToUpper(args["region"])}
			var err error
			if o.Strict, err = boolArg(args, "strict"); err != nil {
				return nil, err
			}
			ext := false
			switch args["part"] {
			case "", "number":
			case "extension":
				ext = true
			default:
				return nil, errors.New("part must be number or extension")
			}
			if o.Region != "" && len(o.Region) != 2 {
				return nil, errors.New("region must be a two-letter ISO code")
			}
			return func(s string) (string, error) {
				p, err := transform.ParsePhone(s, o)
				if err != nil {
					return "", err
				}
				if ext {
					return p.Extension, nil
				}
				return p.E164, nil
			}, nil
		})
	r.Register("email", nil, "validate and normalise an email address (trim, lower-case domain)",
		func(map[string]string) (Func, error) { return transform.Email, nil })
	r.Register("money", []string{"from"},
		"amount → decimal with two places; from: cents reads integer cents, from: decimal (default) reads $1,234.56",
		func(args map[string]string) (Func, error) {
			switch args["from"] {
			case "", "decimal":
				return func(s string) (string, error) {
					c, ok, err := transform.ParseCents(s)
					if err != nil || !ok {
						return "", err
					}
					return transform.FormatCents(c), nil
				}, nil
			case "cents":
				return func(s string) (string, error) {
					s = strings.TrimSpace(s)
					if s == "" {
						return "", nil
					}
					c, err := strconv.ParseInt(s, 10, 64)
					if err != nil {
						return "", &transform.Error{Transform: "money", Reason: "not a whole number of cents", Err: transform.ErrInvalid}
					}
					return transform.FormatCents(c), nil
				}, nil
			}
			return nil, errors.New("from must be cents or decimal")
		})
	r.Register("flatten", []string{"mode", "sep", "split", "dedupe"},
		"several values (a JSON array, or text split on split's characters) → one: mode join (sep), first, or json",
		func(args map[string]string) (Func, error) {
			mode := args["mode"]
			if mode == "" {
				mode = "join"
			}
			if mode != "join" && mode != "first" && mode != "json" {
				return nil, errors.New("mode must be join, first or json")
			}
			sep := args["sep"]
			if _, ok := args["sep"]; !ok {
				sep = ", "
			}
			dedupe, err := boolArg(args, "dedupe")
			if err != nil {
				return nil, err
			}
			o := transform.FlattenOptions{Dedupe: dedupe}
			split := args["split"]
			return func(s string) (string, error) {
				vals := splitList(s)
				if len(vals) == 1 && split != "" {
					vals = transform.Split(vals[0], split)
				}
				switch mode {
				case "first":
					return transform.First(vals), nil
				case "json":
					if len(vals) == 0 {
						return "", nil
					}
					return transform.JSONArray(vals, o), nil
				}
				return transform.Join(vals, sep, o), nil
			}, nil
		})
	r.Register("const_if_set", []string{"value"},
		"replace any non-empty value with value (flags such as has_insurance)",
		func(args map[string]string) (Func, error) {
			v := args["value"]
			return func(s string) (string, error) {
				if strings.TrimSpace(s) == "" {
					return "", nil
				}
				return v, nil
			}, nil
		})
	r.Register("bool", []string{"true", "false"},
		"yes/no, true/false, 1/0, y/n → the true or false text (default Yes / No)",
		func(args map[string]string) (Func, error) {
			t, f := args["true"], args["false"]
			if t == "" {
				t = "Yes"
			}
			if f == "" {
				f = "No"
			}
			return func(s string) (string, error) {
				switch strings.ToLower(strings.TrimSpace(s)) {
				case "":
					return "", nil
				case "true", "t", "yes", "y", "1", "on", "x":
					return t, nil
				case "false", "f", "no", "n", "0", "off":
					return f, nil
				}
				return "", &transform.Error{Transform: "bool", Reason: "not a yes/no value", Err: transform.ErrInvalid}
			}, nil
		})
	r.Register("truncate", []string{"bytes"},
		"cut text to at most bytes bytes without splitting a UTF-8 character",
		func(args map[string]string) (Func, error) {
			n, err := strconv.Atoi(args["bytes"])
			if err != nil || n <= 0 {
				return nil, errors.New("bytes must be a positive whole number")
			}
			return func(s string) (string, error) { return truncateUTF8(s, n), nil }, nil
		})
	r.Register("number", nil, "a number written with grouping commas, spaces or a currency sign → plain decimal ($1,234.50 → 1234.5)",
		func(map[string]string) (Func, error) { return number, nil })
	r.Register("id", nil, "a source id; 0 (PbN's \"none\") → empty",
		func(map[string]string) (Func, error) {
			return func(s string) (string, error) {
				s = strings.TrimSpace(s)
				if s == "0" {
					return "", nil
				}
				return s, nil
			}, nil
		})
	registerExtra(r)
	return r
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func dateOptions(args map[string]string) (transform.DateOptions, error) {
	var o transform.DateOptions
	if z := args["zone"]; z != "" {
		loc, err := time.LoadLocation(z)
		if err != nil {
			return o, fmt.Errorf("unknown time zone %q", z)
		}
		o.Location = loc
	}
	var err error
	if o.DayFirst, err = boolArg(args, "day_first"); err != nil {
		return o, err
	}
	if p := args["two_digit_pivot"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 99 {
			return o, errors.New("two_digit_pivot must be 0-99")
		}
		o.TwoDigitYearPivot = n
	}
	return o, nil
}

func boolArg(args map[string]string, k string) (bool, error) {
	v, ok := args[k]
	if !ok || v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false", k)
	}
	return b, nil
}

func number(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if strings.ContainsAny(s, "$€£(") { // an amount: "$1,234.50", "(12.00)"
		c, ok, err := transform.ParseCents(s)
		if err != nil || !ok {
			return "", &transform.Error{Transform: "number", Reason: "not a number", Err: transform.ErrInvalid}
		}
		return strconv.FormatFloat(float64(c)/100, 'f', -1, 64), nil
	}
	clean := strings.Map(func(r rune) rune {
		if r == ',' || r == ' ' || r == '_' {
			return -1
		}
		return r
	}, s)
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil || f != f || f > 1e15 || f < -1e15 {
		return "", &transform.Error{Transform: "number", Reason: "not a number", Err: transform.ErrInvalid}
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}
