package pbntest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// A record stamped after AsOf would be missed by a delta that starts from the
// simulator's first clock reading, so nothing may be newer than the practice.
func TestNothingIsNewerThanAsOf(t *testing.T) {
	p := pbntest.MustPractice(7, 300)
	asOf := p.AsOf()
	for _, v := range p.KPIValues() {
		assert.False(t, v.UpdatedAt.After(asOf), "KPI value %d updated after AsOf", v.ID)
		assert.False(t, v.CreatedAt.After(asOf), "KPI value %d created after AsOf", v.ID)
	}
	for pt := range p.Patients() {
		assert.False(t, pt.UpdatedAt.After(asOf), "patient %d updated after AsOf", pt.ID)
	}
	for a := range p.Appointments() {
		assert.False(t, a.UpdatedAt.After(asOf), "appointment %d updated after AsOf", a.ID)
	}
	for c := range p.Communications() {
		assert.False(t, c.UpdatedAt.After(asOf), "communication %d updated after AsOf", c.ID)
	}
}
