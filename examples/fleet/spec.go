package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// LocationSpec is one practice → one HighLevel location. It travels in
// the workflow's input and so in Temporal's history: it holds addresses,
// ids, paths and the NAMES of the environment variables that hold tokens
// and keys, never a token, a key or a record.
type LocationSpec struct {
	// ID names the migration (the workflow id is "pbnhl-location-" + ID).
	ID string `yaml:"id" json:"id"`
	// Agency groups locations under one concurrency cap.
	Agency string `yaml:"agency" json:"agency"`

	PbNURL      string `yaml:"pbn_url" json:"pbnUrl"`
	PbNTokenEnv string `yaml:"pbn_token_env" json:"pbnTokenEnv"`
	// PbNRateLimit is requests per second to the source (0: the client's
	// default; negative: no pacing, for a simulator).
	PbNRateLimit int `yaml:"pbn_rate_limit,omitempty" json:"pbnRateLimit,omitempty"`

	HLURL      string `yaml:"hl_url,omitempty" json:"hlUrl,omitempty"` // default HighLevel's
	HLLocation string `yaml:"hl_location" json:"hlLocation"`
	HLTokenEnv string `yaml:"hl_token_env" json:"hlTokenEnv"`
	// HLRequests per HLWindow override HighLevel's 100 per 10 s (a
	// simulator with scaled-down limits).
	HLRequests    int           `yaml:"hl_requests,omitempty" json:"hlRequests,omitempty"`
	HLWindow      time.Duration `yaml:"hl_window,omitempty" json:"hlWindow,omitempty"`
	CompanyID     string        `yaml:"company_id,omitempty" json:"companyId,omitempty"`
	FallbackOwner string        `yaml:"fallback_owner,omitempty" json:"fallbackOwner,omitempty"`

	// Ledger is the ledger file (workers on one machine share it). Across
	// machines use a ledger every worker reaches (see README).
	Ledger string `yaml:"ledger" json:"ledger"`
	// LedgerKeyEnv names the variable holding the base64 32-byte key that
	// encrypts the ledger's payloads; LedgerPlaintext chooses, knowingly,
	// to store them in clear. One of the two is required.
	LedgerKeyEnv    string `yaml:"ledger_key_env,omitempty" json:"ledgerKeyEnv,omitempty"`
	LedgerPlaintext bool   `yaml:"ledger_plaintext,omitempty" json:"ledgerPlaintext,omitempty"`
	// WorkDir holds the proposed/approved map (map.yaml) and the sample
	// report (sample.json): field names, keys and digests, no values.
	WorkDir string `yaml:"work_dir" json:"workDir"`

	// SamplePatients is the sample's size in patients (0: the library's
	// default slice of about 200 records).
	SamplePatients int `yaml:"sample_patients,omitempty" json:"samplePatients,omitempty"`
	// SearchLag: "" (the library's default), "none", or a duration.
	SearchLag   string `yaml:"search_lag,omitempty" json:"searchLag,omitempty"`
	Concurrency int    `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`

	// DeltaEvery is the delta schedule and CutoverWindow how long it runs
	// after the full run (defaults 6h and 48h; at least one delta runs).
	DeltaEvery    time.Duration `yaml:"delta_every,omitempty" json:"deltaEvery,omitempty"`
	CutoverWindow time.Duration `yaml:"cutover_window,omitempty" json:"cutoverWindow,omitempty"`
	// ReconcileFull compares every record instead of a sample per type.
	// A reconcile is not resumable: its calls must fit in one day's quota.
	ReconcileFull bool `yaml:"reconcile_full,omitempty" json:"reconcileFull,omitempty"`
	// KeepOpen is how long a finished migration still accepts an undo
	// (default 7 days).
	KeepOpen time.Duration `yaml:"keep_open,omitempty" json:"keepOpen,omitempty"`
	// DailyLimitRecheck bounds one sleep on the daily limit: HighLevel does
	// not document when its day starts, so a paused location probes again
	// at least this often (default 1h), and at the reset when it is known.
	DailyLimitRecheck time.Duration `yaml:"daily_limit_recheck,omitempty" json:"dailyLimitRecheck,omitempty"`
	// Heartbeat is the activities' heartbeat timeout (default 1m): how
	// soon a dead worker's phase moves to another worker.
	Heartbeat time.Duration `yaml:"heartbeat,omitempty" json:"heartbeat,omitempty"`
}

// WorkflowID is the id of the location's MigrateLocation workflow.
func WorkflowID(location string) string { return "pbnhl-location-" + location }

func (s *LocationSpec) defaults() {
	if s.DeltaEvery <= 0 {
		s.DeltaEvery = 6 * time.Hour
	}
	if s.CutoverWindow <= 0 {
		s.CutoverWindow = 48 * time.Hour
	}
	if s.KeepOpen <= 0 {
		s.KeepOpen = 7 * 24 * time.Hour
	}
	if s.DailyLimitRecheck <= 0 {
		s.DailyLimitRecheck = time.Hour
	}
	if s.Heartbeat <= 0 {
		s.Heartbeat = time.Minute
	}
}

func (s LocationSpec) validate() error {
	switch {
	case s.ID == "":
		return errors.New("a location has no id")
	case s.PbNURL == "" || s.PbNTokenEnv == "":
		return fmt.Errorf("location %s: pbn_url and pbn_token_env are required", s.ID)
	case s.HLLocation == "" || s.HLTokenEnv == "":
		return fmt.Errorf("location %s: hl_location and hl_token_env are required", s.ID)
	case s.Ledger == "" || s.WorkDir == "":
		return fmt.Errorf("location %s: ledger and work_dir are required", s.ID)
	case s.LedgerKeyEnv == "" && !s.LedgerPlaintext:
		return fmt.Errorf("location %s: set ledger_key_env, or ledger_plaintext: true knowingly", s.ID)
	}
	return nil
}

// FleetSpec is the -locations file: the locations and the per-agency caps.
type FleetSpec struct {
	// ID names the fleet workflow (default "pbnhl-fleet").
	ID string `yaml:"id,omitempty" json:"id,omitempty"`
	// AgencyCaps caps how many of an agency's locations migrate at once;
	// DefaultCap applies to agencies not listed (default 5).
	AgencyCaps map[string]int `yaml:"agency_caps,omitempty" json:"agencyCaps,omitempty"`
	DefaultCap int            `yaml:"default_cap,omitempty" json:"defaultCap,omitempty"`
	// Defaults fill every location's zero fields (durations, limits, …).
	Defaults  LocationSpec   `yaml:"defaults,omitempty" json:"-"`
	Locations []LocationSpec `yaml:"locations" json:"locations"`
}

// LoadFleetSpec reads a -locations YAML file, applies its defaults and
// checks it.
func LoadFleetSpec(path string) (FleetSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return FleetSpec{}, err
	}
	var fs FleetSpec
	if err := yaml.Unmarshal(data, &fs); err != nil {
		return FleetSpec{}, fmt.Errorf("%s: %w", path, err)
	}
	return fs, fs.Normalize()
}

// Normalize applies Defaults and the built-in defaults and checks every
// location.
func (fs *FleetSpec) Normalize() error {
	if fs.ID == "" {
		fs.ID = "pbnhl-fleet"
	}
	if fs.DefaultCap <= 0 {
		fs.DefaultCap = 5
	}
	if len(fs.Locations) == 0 {
		return errors.New("no locations")
	}
	seen := map[string]bool{}
	for i := range fs.Locations {
		l := &fs.Locations[i]
		fillZero(l, fs.Defaults)
		l.defaults()
		if err := l.validate(); err != nil {
			return err
		}
		if seen[l.ID] {
			return fmt.Errorf("location %s is listed twice", l.ID)
		}
		seen[l.ID] = true
	}
	return nil
}

// fillZero copies d's non-zero fields into l's zero ones, except ID; a
// default work_dir is a parent: each location works in work_dir/<id>, with
// its ledger there unless it names one.
func fillZero(l *LocationSpec, d LocationSpec) {
	str := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	num := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	str(&l.Agency, d.Agency)
	str(&l.PbNURL, d.PbNURL)
	str(&l.PbNTokenEnv, d.PbNTokenEnv)
	num(&l.PbNRateLimit, d.PbNRateLimit)
	str(&l.HLURL, d.HLURL)
	str(&l.HLTokenEnv, d.HLTokenEnv)
	num(&l.HLRequests, d.HLRequests)
	dur(&l.HLWindow, d.HLWindow)
	str(&l.CompanyID, d.CompanyID)
	str(&l.FallbackOwner, d.FallbackOwner)
	if l.WorkDir == "" && d.WorkDir != "" {
		l.WorkDir = filepath.Join(d.WorkDir, l.ID)
	}
	if l.Ledger == "" && l.WorkDir != "" {
		l.Ledger = filepath.Join(l.WorkDir, "practice.ledger")
	}
	str(&l.LedgerKeyEnv, d.LedgerKeyEnv)
	l.LedgerPlaintext = l.LedgerPlaintext || d.LedgerPlaintext
	l.ReconcileFull = l.ReconcileFull || d.ReconcileFull
	num(&l.SamplePatients, d.SamplePatients)
	str(&l.SearchLag, d.SearchLag)
	num(&l.Concurrency, d.Concurrency)
	dur(&l.DeltaEvery, d.DeltaEvery)
	dur(&l.CutoverWindow, d.CutoverWindow)
	dur(&l.KeepOpen, d.KeepOpen)
	dur(&l.DailyLimitRecheck, d.DailyLimitRecheck)
	dur(&l.Heartbeat, d.Heartbeat)
}
