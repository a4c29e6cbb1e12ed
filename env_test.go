package pbnhl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
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
	// hook, when set, runs after every HighLevel call attempt.
	hook atomic.Pointer[func(highlevel.Call)]
	// timeout is each call's time (pbnhl.Options.RequestTimeout).
	timeout time.Duration
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
	// hlClock and daily drive HighLevel's daily limit.
	hlClock func() time.Time
	daily   int
	// searchLag delays when HighLevel's search sees a write.
	searchLag time.Duration
	// notes writes messages as notes as well as folded (history: messages
	// both), for tests of notes, tasks and conversation messages: the
	// default map folds them only.
	notes bool
	// exactCounts gives every call a minute instead of a second, for the
	// tests that compare call counts exactly: on a loaded machine a call
	// past a second is cut, retried or recovered, and counted again.
	exactCounts bool
}

var opNames = []string{"contacts.create", "businesses.create", "objects.records.create", "associations.relations.create",
	"opportunities.create", "contacts.notes.create", "businesses.linkContacts", "contacts.search", "contacts.update",
	"objects.records.update", "opportunities.update", "contacts.get", "objects.records.get",
	"contacts.notes.update", "contacts.notes.get", "contacts.notes.delete", "contacts.notes.list",
	"contacts.tasks.create", "contacts.tasks.update", "contacts.tasks.get"}

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
			users = append(users, hltest.User{ID: fmt.Sprintf("hlUserStaff%09s", s.ID), FirstName: s.FirstName, LastName: s.LastName, Email: s.Email})
		}
	}
	// Families share e-mails and phones, and a patient can have several
	// plans in one pipeline: the location allows both (a setting to make
	// before a dental migration; otherwise HighLevel rejects them, and the
	// ledger reports them as rejected).
	loc := hltest.Location{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: true,
		AllowDuplicateOpportunities: true, ExternalIDFields: []string{"contact.pbn_patient_id"}}
	if o.daily == 0 {
		o.daily = 10_000_000
	}
	hs := hltest.NewServer(hltest.Options{Users: users, Locations: []hltest.Location{loc}, Seed: uint64(o.seed), Faults: o.faults,
		RateLimit: hltest.RateLimit{Max: 100, Window: o.window, Daily: o.daily}, Clock: o.hlClock, SearchLag: o.searchLag})
	t.Cleanup(hs.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 100, Window: o.window,
		Margin: o.window / 40, BreakerFailures: 50, BreakerCooldown: 50 * time.Millisecond, DailyProbeInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	e := &env{t: t, pbn: ps, src: src, hl: hs, limit: lim, ops: map[string]*atomic.Int64{}, timeout: time.Second}
	if o.exactCounts {
		e.timeout = time.Minute
	}
	for _, n := range opNames {
		e.ops[n] = new(atomic.Int64)
	}
	e.client, err = highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim, HTTPClient: hs.Client(),
		Retry: highlevel.RetryPolicy{MaxAttempts: 6, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: time.Second},
		OnCall: func(c highlevel.Call) {
			e.calls.Add(1)
			// A 429 is the simulator's rate limit refusing the attempt before
			// it does anything; on a loaded machine the client's window and
			// the simulator's drift apart now and then. Counting it would make
			// the per-operation figures (compared exactly by the cost tests)
			// depend on the machine's load, so opCount leaves it out.
			if n, ok := e.ops[c.Operation]; ok && c.StatusCode != http.StatusTooManyRequests {
				n.Add(1)
			}
			if h := e.hook.Load(); h != nil {
				(*h)(c)
			}
		}})
	require.NoError(t, err)

	e.m = defaultMap(t, src)
	if o.notes {
		e.m = e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth)
		require.NoError(t, e.m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
	}

	e.path = o.ledgerPath
	if e.path == "" {
		e.path = filepath.Join(t.TempDir(), "migration.ledger")
	}
	e.openLedger()
	return e
}

func (e *env) openLedger() {
	l, err := rollback.Open(context.Background(), e.path, rollback.Options{Plaintext: true, Durability: rollback.DurabilityNormal})
	require.NoError(e.t, err)
	e.ledger = l
	e.t.Cleanup(func() { _ = l.Close() })
}

func (e *env) migration(mod func(*pbnhl.Options)) *pbnhl.Migration {
	o := pbnhl.Options{Source: e.src, Client: e.client, Map: e.m, Ledger: e.ledger, CompanyID: hltest.DefaultCompanyID,
		FallbackOwner: fallbackUser, Concurrency: 8, SearchLag: -1, RequestTimeout: e.timeout, Actor: "test"}
	if mod != nil {
		mod(&o)
	}
	m, err := pbnhl.New(o)
	require.NoError(e.t, err)
	return m
}

// opCount returns the calls of an operation the simulator took up: every
// attempt (retries and lost answers included) but those its rate limit
// refused with 429.
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

// volatile are keys whose values differ between two equal migrations:
// generated ids, server times, audit stamps.
var volatile = map[string]bool{"id": true, "createdAt": true, "updatedAt": true, "dateAdded": true, "dateUpdated": true,
	"createdBy": true, "lastUpdatedBy": true, "objectId": true, "lastStatusChangeAt": true, "lastStageChangeAt": true,
	"searchAfter": true, "locationId": true, "contact": true}

// fingerprint renders the location's data with every HighLevel id replaced
// by the source identity it stands for and volatile fields dropped: two
// migrations of the same practice have equal fingerprints exactly when they
// left the same records, fields, links and relations. One line per record,
// sorted (a duplicate shows as a repeated line).
func (e *env) fingerprint() []string {
	loc := hltest.DefaultLocationID
	names := map[string]string{}
	for _, f := range e.hl.Records(loc, hltest.KindCustomField) {
		names[fmt.Sprint(f["id"])] = "field:" + fmt.Sprint(f["fieldKey"])
	}
	fields, err := e.client.CustomFields.List(context.Background(), highlevel.FieldModelAll)
	require.NoError(e.t, err)
	for _, f := range fields {
		names[f.ID] = "field:" + f.FieldKey
	}
	for _, p := range normalise(e.hl.Records(loc, hltest.KindPipeline)) {
		names[fmt.Sprint(p["id"])] = "pipeline:" + fmt.Sprint(p["name"])
		if st, ok := p["stages"].([]any); ok {
			for _, s := range st {
				if sm, ok := s.(map[string]any); ok {
					names[fmt.Sprint(sm["id"])] = "stage:" + fmt.Sprint(sm["name"])
				}
			}
		}
	}
	for _, a := range e.hl.Records(loc, hltest.KindAssociation) {
		names[fmt.Sprint(a["id"])] = "association:" + fmt.Sprint(a["key"])
	}
	fieldValue := func(r map[string]any, key string) string {
		cfs, _ := r["customFields"].([]any)
		for _, c := range cfs {
			cm, _ := c.(map[string]any)
			if names[fmt.Sprint(cm["id"])] == key {
				for _, k := range []string{"value", "fieldValue", "field_value"} {
					if v, ok := cm[k]; ok {
						return fmt.Sprint(v)
					}
				}
			}
		}
		return "?"
	}
	var all []kindRecs
	add := func(k hltest.Kind, ident func(map[string]any) string) {
		rs := normalise(e.hl.Records(loc, k))
		for _, r := range rs {
			if ident != nil {
				names[fmt.Sprint(r["id"])] = string(k) + ":" + ident(r)
			}
		}
		all = append(all, kindRecs{k, rs})
	}
	add(hltest.KindBusiness, func(r map[string]any) string { return unmarked(fmt.Sprint(r["description"])) })
	add(hltest.KindContact, func(r map[string]any) string { return fieldValue(r, "field:contact.pbn_patient_id") })
	add(hltest.KindOpportunity, func(r map[string]any) string { return fieldValue(r, "field:opportunity.pbn_case_id") })
	for _, o := range e.m.Objects {
		if o.Target == "custom_object" && !containsKind(all, hltest.Kind(o.Key)) {
			ext := o.ExternalID
			add(hltest.Kind(o.Key), func(r map[string]any) string {
				p, _ := r["properties"].(map[string]any)
				return fmt.Sprint(p[ext])
			})
		}
	}
	add(hltest.KindNote, nil)
	add(hltest.KindRelation, nil)
	var out []string
	for _, kr := range all {
		for _, r := range kr.recs {
			b, _ := json.Marshal(scrub(r, names))
			out = append(out, string(kr.kind)+" "+string(b))
		}
	}
	sort.Strings(out)
	return out
}

type kindRecs struct {
	kind hltest.Kind
	recs []map[string]any
}

func containsKind(all []kindRecs, k hltest.Kind) bool {
	for _, x := range all {
		if x.kind == k {
			return true
		}
	}
	return false
}

func scrub(v any, names map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if volatile[k] {
				// An id that stands for a source identity stays, as that
				// identity (custom field ids in customFields, for one).
				if id, ok := val.(string); !ok || k != "id" || names[id] == "" {
					continue
				}
			}
			out[k] = scrub(val, names)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = scrub(x[i], names)
		}
		if len(out) > 0 {
			if _, ok := out[0].(map[string]any); ok {
				sort.Slice(out, func(i, j int) bool {
					a, _ := json.Marshal(out[i])
					b, _ := json.Marshal(out[j])
					return string(a) < string(b)
				})
			}
		}
		return out
	case string:
		if n, ok := names[x]; ok {
			return n
		}
		return unmedia(unmarked(x))
	}
	return v
}

// mediaRef is a media file's id in a document note (its URL's path and
// its "Media library id" line).
var mediaRef = regexp.MustCompile(`(/media/|Media library id: )[A-Za-z0-9]+`)

// unmedia masks the media file id a document's note names: HighLevel
// gives each upload a fresh id, so two migrations of the same practice
// name different ones (the file's content and name are the same).
func unmedia(s string) string { return mediaRef.ReplaceAllString(s, "${1}<media id>") }

// unmarked drops the identity marker line (it names the ledger's migration
// id, which differs between two migrations of the same practice).
func unmarked(s string) string {
	i := strings.LastIndex(s, "pbnhl-id ")
	if i < 0 {
		return s
	}
	return strings.TrimRight(s[:i], "\n")
}

// normalise round-trips records through JSON so nested values are plain
// maps and slices.
func normalise(rs []map[string]any) []map[string]any {
	b, _ := json.Marshal(rs)
	var out []map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// defaultMap is the default map for the source's custom properties,
// approved at a fixed instant (so every process computes the same digest).
func defaultMap(t testing.TB, src pbn.Source) *mapping.Map {
	t.Helper()
	inv, err := src.Inventory(context.Background())
	require.NoError(t, err)
	m, err := mapping.Default(inv.CustomProperties)
	require.NoError(t, err)
	require.NoError(t, m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
	return m
}

// size scales a practice down under -short (CI runs the suite again with
// -race, where SQLite and the simulators are several times slower).
func size(patients int) int {
	if testing.Short() {
		return max(6, patients/4)
	}
	return patients
}

// keyNum is a numeric source key as a number (0 when it is not one).
func keyNum(k pbn.Key) int64 {
	n, _ := k.Int()
	return n
}
