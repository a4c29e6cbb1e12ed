// Package human formats numbers and durations for people reading a
// command's output: "1,234,567" records, "3m12s". The command-line
// examples (examples/pbn2hl, examples/demo) print through it so that both
// say a number the same way. Machine-readable output (JSON, CSV) keeps
// plain numbers.
package human

import (
	"strconv"
	"strings"
	"time"
)

// Int writes an integer with thousands separators: 1234567 → "1,234,567".
func Int[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Duration rounds d to two significant units, as a person would say it:
// 2h47m0s, 3m12s, 4.2s, 35ms.
func Duration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
