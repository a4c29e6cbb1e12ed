package transform

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireTransformError checks the error contract every transform shares:
// an *Error from the named transform, classed, whose message is built only
// from the fixed reason (so it cannot carry the input).
func requireTransformError(t *testing.T, err error, transform, input string) {
	t.Helper()
	var te *Error
	require.True(t, errors.As(err, &te), "not a *transform.Error: %T %v", err, err)
	require.Equal(t, transform, te.Transform)
	require.NotEmpty(t, te.Reason)
	require.True(t, errors.Is(err, ErrInvalid) || errors.Is(err, ErrOutOfRange) ||
		errors.Is(err, ErrUnknownValue) || errors.Is(err, ErrConfig), "unclassified error")
	require.Equal(t, "transform "+transform+": "+te.Reason, err.Error())
	require.True(t, knownReason(te.Reason), "reason %q is not a fixed string", te.Reason)
	if in := strings.TrimSpace(input); len(in) >= 6 {
		require.NotContains(t, err.Error(), in, "error quotes the input")
	}
}

// knownReason accepts the reasons built from fixed strings (notes and blob
// reasons add a fixed prefix or an entry index, never input text).
var reasonShape = regexp.MustCompile(`^[A-Za-z0-9 ,'\-@.:]+$`)

func knownReason(r string) bool { return reasonShape.MatchString(r) }

func FuzzCollapse(f *testing.F) {
	for _, s := range []string{"", " a  b ", "\u00a0x\ufeff", "bad\xff", "\t\r\n", "日本  語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Collapse(s)
		require.Equal(t, refCollapse(s), out, "differs from the rune-by-rune reference")
		require.True(t, utf8.ValidString(out))
		require.Equal(t, out, Collapse(out), "idempotent")
		require.Equal(t, strings.TrimSpace(out), out)
		require.NotContains(t, out, "  ")
		for _, r := range out {
			require.False(t, isInvisible(r) && r != utf8.RuneError, "invisible rune %U kept", r)
		}
		title := TitleName(s)
		require.Equal(t, title, TitleName(title), "TitleName idempotent")
	})
}

// refCollapse is the obvious rune-by-rune definition of Collapse.
func refCollapse(s string) string {
	var words []string
	var cur []rune
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			if len(cur) > 0 {
				words = append(words, string(cur))
				cur = cur[:0]
			}
		case isInvisible(r):
		default:
			cur = append(cur, r)
		}
	}
	if len(cur) > 0 {
		words = append(words, string(cur))
	}
	return strings.Join(words, " ")
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2019-03-04", "0001-01-01 00:00:00", "3/4/2019 3:04 PM EST", "20190304T150405Z",
		"2019-03-04T15:04:05.123-07:00", "Mar 4, 2019", "2019-02-30", "13/01/2020", "3/4/19",
		"2019-03-04 12:00 AKST", "Mon, 04 Mar 2019 15:04:05 GMT", "99999999", "1/1/1 1:1",
	} {
		f.Add(s, false, 0)
	}
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, s string, dayFirst bool, pivot int) {
		o := DateOptions{Location: ny, DayFirst: dayFirst, TwoDigitYearPivot: pivot % 100}
		tm, err := ParseTime(s, o)
		if err != nil {
			requireTransformError(t, err, "date", s)
			return
		}
		if tm.IsZero() {
			d, err := Date(s, o)
			require.NoError(t, err)
			require.Empty(t, d)
			return
		}
		// The canonical forms read back to the same instant and day.
		ts := FormatTimestamp(tm)
		back, err := ParseTime(ts, DateOptions{})
		require.NoError(t, err, ts)
		require.True(t, back.Equal(tm.Truncate(time.Second)), "%s: %v != %v", ts, back, tm)
		d, err := Date(s, o)
		require.NoError(t, err)
		require.Equal(t, tm.Format(DateLayout), d)
		again, err := Date(d, DateOptions{})
		require.NoError(t, err)
		require.Equal(t, d, again)
	})
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func FuzzParsePhone(f *testing.F) {
	for _, s := range append(phoneSeeds, "536.624.5871 x12", "1-800-FLOWERS", "+44 20 7946 0958", "624-5871", "+999 1") {
		f.Add(s, "US", false, false)
	}
	f.Add("020 7946 0958", "GB", true, false)
	f.Add("624-5871 x12", "US", false, true)
	f.Fuzz(func(t *testing.T, s, region string, strict, local bool) {
		o := PhoneOptions{Region: region, Strict: strict}
		if local {
			o.AreaCode = "536"
		}
		p, err := ParsePhone(s, o)
		if err != nil {
			requireTransformError(t, err, "phone", s)
			return
		}
		if isBlank(s) {
			require.Equal(t, Phone{}, p)
			return
		}
		require.Regexp(t, e164, p.E164)
		again, err := ParsePhone(p.E164, o)
		require.NoError(t, err, p.E164)
		require.Equal(t, p.E164, again.E164)
		checkFastPathAgrees(t, s)
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"jane@example.com", " J@EX.COM ", "mailto:a@b.co", "<a@b.co>", "a@@b.co", "a..b@c.io", "é@x.fr", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Email(s)
		if err != nil {
			requireTransformError(t, err, "email", s)
			return
		}
		if strings.TrimSpace(s) == "" {
			require.Empty(t, out)
			return
		}
		require.Equal(t, 1, strings.Count(out, "@"))
		require.LessOrEqual(t, len(out), 254)
		domain := out[strings.IndexByte(out, '@')+1:]
		require.Equal(t, strings.ToLower(domain), domain)
		again, err := Email(out)
		require.NoError(t, err)
		require.Equal(t, out, again, "idempotent")
	})
}

func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"$1,234.56", "(12.00)", "-$5", "12.500", "USD 7", "1,23", "9223372036854775807", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok, err := ParseCents(s)
		if err != nil {
			requireTransformError(t, err, "money", s)
			return
		}
		if !ok {
			require.Zero(t, c)
			return
		}
		back, ok, err := ParseCents(FormatCents(c))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, c, back)
		if c > -(1<<53) && c < 1<<53 {
			fc, err := FloatToCents(CentsToFloat(c))
			require.NoError(t, err)
			require.Equal(t, c, fc)
		}
	})
}

func FuzzFloatToCents(f *testing.F) {
	for _, v := range []float64{0, 1.005, -1.005, 0.1 + 0.2, 1e15, 123.456, 5e-324} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		c, err := FloatToCents(v)
		if err != nil {
			requireTransformError(t, err, "money", "")
			return
		}
		// Within half a cent (plus float spacing) of the input.
		diff := CentsToFloat(c) - v
		require.LessOrEqual(t, diff*diff, (0.005+1e-9*(v*v+1))*(0.005+1e-9*(v*v+1)), "%v → %d", v, c)
	})
}

func FuzzStateAndCountry(f *testing.F) {
	for _, s := range []string{"CA", "maine", "N.Y.", "Washington, D.C.", "USA", "Côte d’Ivoire", "uk", "Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if code, err := StateCode(s); err != nil {
			requireTransformError(t, err, "state", s)
		} else if code != "" {
			require.Len(t, code, 2)
			again, err := StateCode(code)
			require.NoError(t, err)
			require.Equal(t, code, again)
		}
		if code, err := CountryCode(s); err != nil {
			requireTransformError(t, err, "country", s)
		} else if code != "" {
			require.Len(t, code, 2)
			again, err := CountryCode(code)
			require.NoError(t, err)
			require.Equal(t, code, again)
		}
	})
}

var cdtShape = regexp.MustCompile(`^D[0-9]{4}$`)

func FuzzCDTCode(f *testing.F) {
	for _, s := range []string{"d1110", "D 1110", "1110", "01110", "T1234", "perio-maint", "D1110$", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CDTCode(s)
		if err != nil {
			requireTransformError(t, err, "cdt", s)
			return
		}
		if c.Code == "" {
			require.Empty(t, strings.TrimSpace(s))
			return
		}
		if !c.Custom {
			require.Regexp(t, cdtShape, c.Code)
		}
		require.LessOrEqual(t, len(c.Code), maxProcedureCodeLen)
		again, err := CDTCode(c.Code)
		require.NoError(t, err)
		require.Equal(t, c.Code, again.Code, "idempotent")
	})
}

func FuzzSplitName(f *testing.F) {
	for _, s := range []string{"Smith, John A.", "Dr. Jane van Dyke Jr.", `John "Jack" Smith`, "Smith Jr., John", ",,,", "Dr.", "(x)", "'a' b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := SplitName(s)
		if err != nil {
			requireTransformError(t, err, "name", s)
			return
		}
		if Collapse(s) == "" {
			require.Equal(t, Name{}, n)
			return
		}
		require.True(t, n.First != "" || n.Last != "")
		clean := Collapse(s)
		for _, part := range []string{n.Prefix, n.First, n.Middle, n.Last, n.Nickname} {
			for _, w := range strings.Fields(part) {
				require.Contains(t, clean, w, "part %q invented", w)
			}
		}
	})
}

func FuzzParseTreatmentNotes(f *testing.F) {
	f.Add("2019-03-04 D1110 prophy adult $95\n03/04/2019:\nD0120 exam 45.00; D0274 bw\nnotes")
	f.Add("3/4/2019 - D2392 - comp #30 MOD - $210.50")
	f.Add("2019-02-30 D1110 $12.345\r\n\r\n")
	f.Add("Mar 4, 2019 D 1110 x")
	f.Fuzz(func(t *testing.T, s string) {
		res := ParseTreatmentNotes(s, NotesOptions{})
		lines := strings.Count(s, "\n") + 1
		for _, r := range res.Rows {
			require.GreaterOrEqual(t, r.Line, 1)
			require.LessOrEqual(t, r.Line, lines)
			require.NotEmpty(t, r.Code.Code)
			if !r.HasFee {
				require.Zero(t, r.FeeCents)
			}
		}
		for _, p := range res.Problems {
			require.True(t, knownReason(p.Reason), p.Reason)
		}
		for _, l := range strings.Split(res.Remainder, "\n") {
			require.Contains(t, s, strings.TrimSpace(l), "remainder invented a line")
		}
	})
}

func FuzzJSONBlob(f *testing.F) {
	f.Add("hello", "wörld 🦷", 3, 100, false)
	f.Add(strings.Repeat("é", 300), "<&>", 10, 200, true)
	f.Add("\xff\xfe", "\"\\", 1, 2, false)
	f.Fuzz(func(t *testing.T, a, b string, n, max int, newest bool) {
		n = n % 64
		if n < 0 {
			n = -n
		}
		max = max % 5000
		if max < 2 {
			max = 2 + (max+5000)%50
		}
		entries := make([]any, n)
		for i := range entries {
			entries[i] = map[string]any{"a": a, "b": b, "i": i}
		}
		out, rep, err := JSONBlob(entries, BlobOptions{MaxBytes: max, KeepNewest: newest})
		require.NoError(t, err)
		require.True(t, json.Valid(out), "%s", out)
		require.True(t, utf8.Valid(out))
		require.LessOrEqual(t, len(out), max)
		require.Equal(t, len(out), rep.Bytes)
		require.Equal(t, n, rep.Kept+rep.Dropped)
		var decoded []any
		require.NoError(t, json.Unmarshal(out, &decoded))
		require.GreaterOrEqual(t, len(decoded), rep.Kept)
	})
}

func FuzzNeutralizeFormula(f *testing.F) {
	for _, s := range []string{"=1+1", "-12.5", "+1555", "@x", "\tx", "＝x", "plain", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := NeutralizeFormula(s)
		require.True(t, strings.HasSuffix(out, s))
		if out != s {
			require.Equal(t, "'"+s, out)
		} else if s != "" {
			require.True(t, !startsWithTrigger(s) || isPlainNumber(s))
		}
	})
}

func FuzzTruncateUTF8(f *testing.F) {
	f.Add("aé日🦷", 4)
	f.Add("\xff\xfe\xfd", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		out, cut := TruncateUTF8(s, max)
		require.True(t, strings.HasPrefix(s, out))
		require.Equal(t, len(out) < len(s), cut)
		if max >= 0 {
			require.LessOrEqual(t, len(out), max)
		}
		if utf8.ValidString(s) {
			require.True(t, utf8.ValidString(out))
		}
	})
}

func FuzzPickList(f *testing.F) {
	p, err := NewPickList(statusEntries, PickListOptions{Unknown: UnknownPassThrough})
	require.NoError(f, err)
	for _, s := range []string{"Patient", " inactive ", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, keep, err := p.Map(s)
		require.NoError(t, err)
		if keep {
			assert.Equal(t, v, Collapse(v))
		}
	})
}

func FuzzNumber(f *testing.F) {
	for _, s := range []string{"1,234.50", "(12)", "-0.00", "12.5%", "1e5", "0.000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Number(s)
		if err != nil {
			requireTransformError(t, err, "number", s)
			return
		}
		if strings.TrimSpace(s) == "" {
			require.Empty(t, out)
			return
		}
		again, err := Number(out)
		require.NoError(t, err, out)
		require.Equal(t, out, again, "canonical form is stable")
		_, err = strconv.ParseFloat(out, 64)
		require.NoError(t, err)
	})
}
