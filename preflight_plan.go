package pbnhl

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// Names of the plan's entries that are not map objects.
const (
	// PlanSetup is the schema changes still to apply and the reads a run
	// makes before its first record (the schema, the location, the users).
	PlanSetup = "schema and setup"
	// PlanBusinessLinks is the bulk calls linking contacts to businesses.
	PlanBusinessLinks = "business links"
)

// DayPlan is what one day of HighLevel's daily quota carries.
type DayPlan struct {
	Day int // 1 is the day the run starts
	// Start is when the day's first call is expected: the preflight's
	// time on day 1, the quota's reset after.
	Start time.Time
	// Reset is when the location's quota comes back whole, ending the day.
	Reset time.Time
	// Calls is what the day spends.
	Calls int64
	// Objects are the records landing this day, by object in the run's
	// load order, with their calls (PlanSetup and PlanBusinessLinks have
	// calls and no records).
	Objects []ObjectEstimate
}

// dailyCapacity is the calls a location lets this client make in one day.
type dailyCapacity struct {
	quota     int64   // whole-day quota
	remaining int64   // left on day 1 when preflight read it
	rate      float64 // calls per second the client's limiter allows (0: unbounded)
}

// dayOf returns how many calls fit between start and reset: the day's
// quota, or what the client's rate allows in that time if less (a lowered
// -hl-rate, or a start late in the day).
func (c dailyCapacity) dayOf(day int, start, reset time.Time) int64 {
	q := c.quota
	if day == 1 {
		q = c.remaining
	}
	if c.rate > 0 {
		q = min(q, int64(math.Floor(c.rate*reset.Sub(start).Seconds())))
	}
	return max(q, 0)
}

// nextReset is when the daily quota resets after t. HighLevel documents a
// limit "per day" without a time zone; the UTC day is assumed, as the
// simulator implements it.
func nextReset(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC)
}

// planItem is one step of the run in load order.
type planItem struct {
	name           string
	records, calls int64
}

// loadSequence returns the estimate's steps in the order a run takes
// them: setup, then each load group's objects (business links after the
// contacts), so the plan shows what is in HighLevel at the end of each day.
func loadSequence(est *Estimate, order []*mapping.Object) []planItem {
	by := make(map[string]ObjectEstimate, len(est.Objects))
	for _, o := range est.Objects {
		by[o.Object] = o
	}
	seq := []planItem{{name: PlanSetup, calls: est.Overhead}}
	for i, g := range groups(order) {
		for _, o := range g {
			if e, ok := by[o.Name]; ok {
				seq = append(seq, planItem{name: e.Object, records: e.Records, calls: e.Calls})
			}
		}
		if loadGroup(i) == loadContacts {
			seq = append(seq, planItem{name: PlanBusinessLinks, calls: est.BusinessLinks})
		}
	}
	return seq
}

// planDays lays seq over the days the capacity gives, starting at now:
// each day takes calls in load order until its capacity is spent; an
// object split across days has its records split in proportion to its
// calls. It returns the days and when the last call is expected.
func planDays(seq []planItem, c dailyCapacity, now time.Time) ([]DayPlan, time.Time) {
	var days []DayPlan
	day := DayPlan{Day: 1, Start: now, Reset: nextReset(now)}
	left := c.dayOf(1, day.Start, day.Reset)
	empty := 0 // days in a row that carried nothing
	next := func() bool {
		if day.Calls > 0 || len(day.Objects) > 0 {
			days = append(days, day)
			empty = 0
		} else if empty++; empty > 2 {
			return false // no quota for days on end: nothing will ever fit
		}
		start := day.Reset
		day = DayPlan{Day: day.Day + 1, Start: start, Reset: nextReset(start)}
		left = c.dayOf(day.Day, start, day.Reset)
		return true
	}
	for _, it := range seq {
		var sent, landed int64
		for sent < it.calls || (it.calls == 0 && landed < it.records) {
			if left == 0 && it.calls > 0 {
				if !next() {
					return nil, time.Time{}
				}
				continue
			}
			take := min(it.calls-sent, left)
			sent += take
			recs := it.records - landed
			if it.calls > 0 && sent < it.calls {
				// the records whose calls are all made by now
				recs = int64(float64(it.records)*float64(sent)/float64(it.calls)) - landed
			}
			landed += recs
			left -= take
			day.Calls += take
			if take > 0 || recs > 0 {
				day.Objects = append(day.Objects, ObjectEstimate{Object: it.name, Records: recs, Calls: take})
			}
		}
	}
	days = append(days, day)
	end := day.Start
	if c.rate > 0 {
		end = end.Add(time.Duration(float64(day.Calls) / c.rate * float64(time.Second)))
	}
	return days, end
}

// plan fills the estimate's per-day plan from what the client's limiter
// learnt during the preflight's own calls: the daily quota and what is
// left of it today (X-RateLimit-Limit-Daily, X-RateLimit-Daily-Remaining),
// and the rate this client may spend. setupCalls is what the preflight
// itself sent: a run's setup reads the same schema, location and users,
// and applying a missing schema reads it once more before its creates.
func (m *Migration) plan(r *PreflightReport, order []*mapping.Object, setupCalls int64, prices []historyPrice) {
	est := &r.Estimate
	est.Overhead = setupCalls
	if r.Schema != nil {
		if missing := r.Schema.Count(mapping.Missing); missing > 0 {
			est.Overhead += setupCalls + int64(missing)
		}
	}
	lim := m.opts.Client.Limiter()
	est.DailyLimit = highlevel.DefaultDailyLimit
	if q, ok := lim.DailyLimit(); ok {
		est.DailyLimit = q
	}
	est.DailyRemaining = -1
	c := dailyCapacity{quota: int64(est.DailyLimit), remaining: int64(est.DailyLimit)}
	if left, ok := lim.DailyRemaining(); ok {
		est.DailyRemaining = left
		c.remaining = int64(left)
	}
	if n, w := lim.Limit(); n > 0 && w > 0 {
		est.Rate = float64(n) / w.Seconds()
		c.rate = est.Rate
	}
	est.Plan, est.Cutover = planDays(loadSequence(est, order), c, m.now())
	est.Days = len(est.Plan)
	est.History = historyChoices(prices, est, c, m.now())
	if est.Plan == nil {
		r.Warnings = append(r.Warnings, "no daily quota is left for days on end at this location: no plan by day could be made")
	}
}

// writePlan renders the plan by day.
func (e *Estimate) writePlan(b *strings.Builder) {
	if len(e.Plan) == 0 {
		return
	}
	left := "not reported, taken as whole"
	if e.DailyRemaining >= 0 {
		left = fmt.Sprintf("%d left today", e.DailyRemaining)
	}
	fmt.Fprintf(b, "Plan by day (daily quota %d, %s, reset at 00:00 UTC; at most %.1f calls/s):\n", e.DailyLimit, left, e.Rate)
	for _, d := range e.Plan {
		fmt.Fprintf(b, "  day %d  %s .. %s  %7d calls\n", d.Day, d.Start.UTC().Format("2006-01-02 15:04"), d.Reset.UTC().Format("2006-01-02 15:04 UTC"), d.Calls)
		for _, o := range d.Objects {
			fmt.Fprintf(b, "    %-20s %7d records %7d calls\n", o.Object, o.Records, o.Calls)
		}
	}
	fmt.Fprintf(b, "  cutover (last call) about %s, with %d pause(s) for the daily reset\n", e.Cutover.UTC().Format("2006-01-02 15:04 UTC"), len(e.Plan)-1)
}
