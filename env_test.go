package pbnhl_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

const fallbackUser = "hlUserFallback000001"

// env is a whole rehearsal: the PbN simulator, the HighLevel simulator, a
// client, an approved default map and a ledger.
type env struct {
	t      testing.TB
	pbn    *pbntest.Server
	src    *pbn.Client
	hl     *hltest.Server
	client *highlevel.Client
	limit  *highlevel.Limiter
	m      *mapping.Map
	ledger *rollback.Ledger
	path   string
	calls  atomic.Int64
	ops    map[string]*atomic.Int64
}

type envOptions struct {
	patients int
	seed     int64
	faults   []hltest.FaultRule
	// window is the scaled burst window (100 requests per window).
	window time.Duration
	// ledgerPath reuses a ledger file (child process tests).
	ledgerPath string
	now        func() time.Time
}

var opNames = []string{"contacts.create", "businesses.create", "objects.records.create", "associations.relations.create",
	"opportunities.create", "contacts.notes.create", "businesses.linkContacts", "contacts.search", "contacts.update",
	"objects.records.update", "opportunities.update", "contacts.get", "objects.records.get"}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.patients == 0 {
		o.patients = 40
	}
	if o.seed == 0 {
		o.seed = 7
	}
	if o.window == 0 {
		o.window = 20 * time.Millisecond
	}
	po := pbntest.Options{Seed: o.seed, Patients: o.patients}
	if o.now != nil {
		po.Now = o.now
	}
	ps, err := pbntest.NewServer(po)
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), HTTPClient: ps.Client(), RateLimit: -1})
	require.NoError(t, err)

	users := []hltest.User{{ID: fallbackUser, FirstName: "Front", LastName: "Desk", Email: "frontdesk@practice.example", Role: "admin"}}
	for i, s := range ps.Practice().Staff() {
		if s.Email != "" && i%2 == 0 {
			users = append(users, hltest.User{ID: fmt.Sprintf("hlUserStaff%09d", s.ID), FirstName: s.FirstName, LastName: s.LastName, Email: s.Email})
		}
	}
	// Families share e-mails and phones, and a patient can have several
	// plans in one pipeline: the location allows both (a setting to make
	// before a dental migration; otherwise HighLevel rejects them, and the
	// ledger reports them as rejected).
	loc := hltest.Location{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: true,
		AllowDuplicateOpportunities: true, ExternalIDFields: []string{"contact.pbn_patient_id"}}
	hs := hltest.NewServer(hltest.Options{Users: users, Locations: []hltest.Location{loc}, Seed: uint64(o.seed), Faults: o.faults,
		RateLimit: hltest.RateLimit{Max: 100, Window: o.window, Daily: 10_000_000}})
	t.Cleanup(hs.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 100, Window: o.window,
		Margin: o.window / 20, BreakerFailures: 50, BreakerCooldown: 50 * time.Millisecond})
	require.NoError(t, err)
	e := &env{t: t, pbn: ps, src: src, hl: hs, limit: lim, ops: map[string]*atomic.Int64{}}
	for _, n := range opNames {
		e.ops[n] = new(atomic.Int64)
	}
	e.client, err = highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim, HTTPClient: hs.Client(),
		Retry: highlevel.RetryPolicy{MaxAttempts: 6, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: time.Second},
		OnCall: func(c highlevel.Call) {
			e.calls.Add(1)
			if n, ok := e.ops[c.Operation]; ok {
				n.Add(1)
			}
		}})
	require.NoError(t, err)

	e.m, err = mapping.Default(ps.Practice().CustomProperties())
	require.NoError(t, err)
	require.NoError(t, e.m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))

	e.path = o.ledgerPath
	if e.path == "" {
		e.path = filepath.Join(t.TempDir(), "migration.ledger")
	}
	e.openLedger()
	return e
}

func (e *env) openLedger() {
	l, err := rollback.Open(context.Background(), e.path, rollback.Options{Durability: rollback.DurabilityNormal})
	require.NoError(e.t, err)
	e.ledger = l
	e.t.Cleanup(func() { _ = l.Close() })
}

func (e *env) migration(mod func(*pbnhl.Options)) *pbnhl.Migration {
	o := pbnhl.Options{Source: e.src, Client: e.client, Map: e.m, Ledger: e.ledger, CompanyID: hltest.DefaultCompanyID,
		FallbackOwner: fallbackUser, Concurrency: 8, SearchLag: -1, Actor: "test"}
	if mod != nil {
		mod(&o)
	}
	m, err := pbnhl.New(o)
	require.NoError(e.t, err)
	return m
}

// opCount returns the calls (attempts included) of an operation.
func (e *env) opCount(op string) int64 { return e.ops[op].Load() }

func (e *env) resetCounts() {
	e.calls.Store(0)
	for _, n := range e.ops {
		n.Store(0)
	}
}

// contactsByPatient maps pbn_patient_id values to contact ids.
func (e *env) contactsByPatient(fieldID string) map[string][]string {
	out := map[string][]string{}
	for _, c := range e.hl.Contacts(hltest.DefaultLocationID) {
		if v, ok := c.CustomFields[fieldID]; ok {
			k := fmt.Sprint(v)
			out[k] = append(out[k], c.ID)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// identityDuplicates are contacts sharing the external id: two HighLevel
// records for one patient. (Family members sharing an e-mail or phone are
// the practice's reality, not duplicates made by the migration.)
func (e *env) identityDuplicates() []hltest.DuplicateGroup {
	var out []hltest.DuplicateGroup
	for _, g := range e.hl.Duplicates(hltest.DefaultLocationID) {
		if g.Field != "email" && g.Field != "phone" {
			out = append(out, g)
		}
	}
	return out
}
