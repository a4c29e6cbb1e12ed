package human

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestInt(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321",
		-999: "-999", math.MaxInt64: "9,223,372,036,854,775,807", math.MinInt64: "-9,223,372,036,854,775,808"} {
		assert.Equal(t, want, Int(n))
	}
	assert.Equal(t, "12,000", Int(12000), "plain ints too")
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2*time.Hour + 47*time.Minute + 12*time.Second:         "2h47m0s",
		3*time.Minute + 12*time.Second + 400*time.Millisecond: "3m12s",
		4*time.Second + 240*time.Millisecond:                  "4.2s",
		35*time.Millisecond + 400*time.Microsecond:            "35ms",
		0: "0s",
	} {
		assert.Equal(t, want, Duration(d), d.String())
	}
}
