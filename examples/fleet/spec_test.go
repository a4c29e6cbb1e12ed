package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFleetSpecDefaultsAndChecks(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "fleet.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fs, err := LoadFleetSpec(write(`
agency_caps: {north: 2}
defaults:
  work_dir: /srv/fleet
  ledger_key_env: KEY
  pbn_token_env: PBN
  delta_every: 3h
locations:
  - {id: a, agency: north, pbn_url: "https://pbn", hl_location: L1, hl_token_env: HL1}
  - {id: b, agency: south, pbn_url: "https://pbn", hl_location: L2, hl_token_env: HL2, ledger: /elsewhere/b.ledger, delta_every: 1h}
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := fs.Locations[0], fs.Locations[1]
	if a.WorkDir != "/srv/fleet/a" || a.Ledger != "/srv/fleet/a/practice.ledger" || a.PbNTokenEnv != "PBN" || a.LedgerKeyEnv != "KEY" {
		t.Errorf("a: work dir, ledger, env names from the defaults: %+v", a)
	}
	if a.DeltaEvery != 3*time.Hour || b.DeltaEvery != time.Hour || a.CutoverWindow != 48*time.Hour || a.Heartbeat != time.Minute {
		t.Errorf("durations: a %v/%v/%v b %v", a.DeltaEvery, a.CutoverWindow, a.Heartbeat, b.DeltaEvery)
	}
	if b.Ledger != "/elsewhere/b.ledger" || fs.ID != "pbnhl-fleet" || fs.DefaultCap != 5 || fs.AgencyCaps["north"] != 2 {
		t.Errorf("b %+v fleet %+v", b, fs)
	}
	for body, want := range map[string]string{
		`locations: [{id: a, pbn_url: u, pbn_token_env: P, hl_location: L, hl_token_env: H, work_dir: /w}]`:                                                              "ledger_plaintext",
		`locations: [{id: a, pbn_url: u, hl_location: L, hl_token_env: H, work_dir: /w, ledger_plaintext: true}]`:                                                        "pbn_token_env",
		"defaults: {ledger_plaintext: true, work_dir: /w, pbn_url: u, pbn_token_env: P, hl_token_env: H}\nlocations: [{id: a, hl_location: L}, {id: a, hl_location: M}]": "twice",
		`locations: []`: "no locations",
	} {
		if _, err := LoadFleetSpec(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", body, err, want)
		}
	}
}
