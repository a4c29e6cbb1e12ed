package pbnhl

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlanDaysLimits: a day carries the least of its quota and what the
// client's rate allows until the reset; a day whose quota is already spent
// carries nothing and the plan starts the day after; no quota at all gives
// no plan rather than an endless one; an object straddling a reset has its
// records split in proportion to its calls, none lost.
func TestPlanDaysLimits(t *testing.T) {
	at := time.Date(2026, time.March, 2, 23, 0, 0, 0, time.UTC)
	seq := []planItem{{name: PlanSetup, calls: 100}, {name: "patients", records: 5000, calls: 5000}, {name: "notes", records: 1000, calls: 2000}}

	// One call a second: day 1 has an hour left (3,600 calls); day 2 has
	// 86,400 by rate but a quota of 4,000.
	days, end := planDays(seq, dailyCapacity{quota: 4000, remaining: 4000, rate: 1}, at)
	require.Len(t, days, 2)
	assert.Equal(t, int64(3600), days[0].Calls)
	assert.Equal(t, []ObjectEstimate{{Object: PlanSetup, Calls: 100}, {Object: "patients", Records: 3500, Calls: 3500}}, days[0].Objects)
	assert.Equal(t, time.Date(2026, time.March, 3, 0, 0, 0, 0, time.UTC), days[0].Reset)
	assert.Equal(t, int64(3500), days[1].Calls)
	assert.Equal(t, []ObjectEstimate{{Object: "patients", Records: 1500, Calls: 1500}, {Object: "notes", Records: 1000, Calls: 2000}}, days[1].Objects)
	assert.Equal(t, days[1].Start.Add(3500*time.Second), end, "the cutover is the last day's calls at the rate")

	// Today's quota already spent: the plan starts tomorrow.
	days, _ = planDays(seq, dailyCapacity{quota: 10000, remaining: 0}, at)
	require.Len(t, days, 1)
	assert.Equal(t, 2, days[0].Day)
	assert.Equal(t, int64(7100), days[0].Calls)

	// No quota ever: no plan.
	days, _ = planDays(seq, dailyCapacity{quota: 0, remaining: 0}, at)
	assert.Nil(t, days)
}
