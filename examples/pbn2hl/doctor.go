package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pbnhl/pbnhl"
)

// doctorCmd checks, without writing anything, what a migration depends on
// (pbnhl.Doctor): one line per check, with the fix under a failed one.
// Exit 0 when every check passes, 1 otherwise.
var doctorCmd = &command{
	name: "doctor", summary: "check connectivity, token scopes, the location's settings, clocks, the ledger and its disk, one line each with the fix (writes nothing)",
	// -company: the users.readonly check lists users by agency.
	source: true, hl: hlClient, ledger: true, mapFile: true, company: true, logs: true,
	setup: func(c *cli) {
		c.flags.Bool("json", false, "print the checks as JSON ({\"ok\":…,\"checks\":[{name, ok, detail, fix}]}) instead of lines")
	},
	run: runDoctor,
}

func runDoctor(ctx context.Context, c *cli) error {
	src, err := c.source()
	if err != nil {
		return err
	}
	hl, err := c.highLevel()
	if err != nil {
		return err
	}
	m, err := c.loadMap(false) // an unapproved map is still checked
	if err != nil {
		return err
	}
	in := pbnhl.DoctorInputs{Client: hl, Source: src, Map: m, CompanyID: c.cfg.companyID,
		LedgerPath: c.cfg.ledger, HighLevelURL: c.cfg.hlURL, HTTPClient: c.httpClient}
	if c.cfg.exportDir == "" {
		in.SourceURL = c.cfg.pbnURL
	}
	if kf := c.keyFile(); kf != "" {
		in.LedgerKey = func() ([]byte, error) { return readKey(kf) }
	}
	rep, err := pbnhl.Doctor(ctx, in)
	if err != nil {
		return fmt.Errorf("doctor: %w", err)
	}
	if doctorJSON(c) {
		c.closeProgress()
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			OK     bool                `json:"ok"`
			Checks []pbnhl.DoctorCheck `json:"checks"`
		}{rep.OK(), rep.Checks}); err != nil {
			return err
		}
	} else {
		c.closeProgress()
		if err := rep.WriteText(c.stdout); err != nil {
			return err
		}
	}
	if f := rep.Failed(); len(f) > 0 {
		return fmt.Errorf("%d of %d checks failed (see the fix under each)", len(f), len(rep.Checks))
	}
	return nil
}

// doctorJSON is the command's -json flag.
func doctorJSON(c *cli) bool {
	b, err := c.flags.GetBool("json")
	return err == nil && b
}
