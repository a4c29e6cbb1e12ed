package main

import (
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
)

// timing prints, with -v, where a data phase spent its time (issue 19.6):
// each object's time, calls and call rate in load order (objects load one
// after another), and what the phase spent outside them — reading the
// source for the logs folded into contacts, resolving what an earlier run
// left unknown, settling, the duplicate sweep and the watermark. A phase
// whose time is not in its calls shows it here. On stderr, like the rest
// of -v; names and counts only.
func (c *cli) timing(rep *pbnhl.Report) {
	if !c.cfg.verbose || rep == nil {
		return
	}
	c.closeProgress() // below the progress view's final state
	w := c.stderr
	fmt.Fprintf(w, "%s: where the time went (-v): %s in all, %s calls\n", rep.Phase, human.Duration(rep.Duration), human.Int(rep.Calls))
	var inObjects time.Duration
	for _, p := range rep.Objects {
		inObjects += p.Elapsed
		rate := ""
		if s := p.Elapsed.Seconds(); s > 0 && p.Calls > 0 {
			rate = fmt.Sprintf("  %.1f calls/s", float64(p.Calls)/s)
		}
		fmt.Fprintf(w, "  %-22s %8s %8s calls%s\n", p.Object, human.Duration(p.Elapsed), human.Int(p.Calls), rate)
	}
	if outside := rep.Duration - inObjects; outside > 0 {
		fmt.Fprintf(w, "  %-22s %8s   (source reads for folded logs, resolving, settling, duplicate sweep, watermark)\n", "outside the objects", human.Duration(outside))
	}
}
