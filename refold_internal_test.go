package pbnhl

import "testing"

// A refold scans when that costs fewer requests than one read per
// patient, and always for an export folder (a per-patient read of a CSV
// file reads the whole file).
func TestRefoldByScan(t *testing.T) {
	for _, c := range []struct {
		rest     bool
		patients int
		count    int64
		scan     bool
	}{
		{rest: false, patients: 1, count: 0, scan: true},
		{rest: true, patients: 3, count: 4800, scan: false},  // 3 reads < 5 pages
		{rest: true, patients: 5, count: 4800, scan: false},  // 5 reads = 5 pages
		{rest: true, patients: 6, count: 4800, scan: true},   // 6 reads > 5 pages
		{rest: true, patients: 300, count: 4843, scan: true}, // the slow delta: 300 reads vs 5 pages
		{rest: true, patients: 300, count: 0, scan: false},   // unknown count: the known cost
	} {
		if got := refoldByScan(c.rest, c.patients, c.count); got != c.scan {
			t.Errorf("refoldByScan(%t, %d, %d) = %t", c.rest, c.patients, c.count, got)
		}
	}
}
