package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// DoctorCheck is one line of a [DoctorReport]: what was checked, whether
// it passed, what was found and, when it failed, what to do. No check
// holds a field value of a record or a token.
type DoctorCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// DoctorReport is the outcome of [Doctor], one check per line.
type DoctorReport struct {
	Checks []DoctorCheck `json:"checks"`
}

// OK reports whether every check passed.
func (r *DoctorReport) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed returns the checks that did not pass.
func (r *DoctorReport) Failed() []DoctorCheck {
	var out []DoctorCheck
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// WriteText writes one line per check ("ok" or "FAIL", name, detail) and,
// under a failed one, its fix.
func (r *DoctorReport) WriteText(w io.Writer) error {
	var b strings.Builder
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %-*s  %s\n", mark, width, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(&b, "     %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *DoctorReport) add(c DoctorCheck) { r.Checks = append(r.Checks, c) }

// DoctorInputs are what [Doctor] checks. Client, Source and Map are
// required; the ledger is named by Ledger (an open handle) or LedgerPath
// (opened read-only, and closed again, by Doctor).
type DoctorInputs struct {
	Client *highlevel.Client
	Source pbn.Source
	Map    *mapping.Map
	// CompanyID is the agency id; the owner resolution's user search needs it.
	CompanyID string

	// Ledger is an open ledger; when nil, LedgerPath names one (a file not
	// there yet is fine: the first run creates it).
	Ledger     *rollback.Ledger
	LedgerPath string
	// LedgerKey returns the ledger's key when one is configured (nil: none
	// is): an encrypted ledger without one fails, and a key that does not
	// open it fails. Its error should name where the key was looked for,
	// never hold the key.
	LedgerKey func() ([]byte, error)

	// HighLevelURL is where the clock is compared (HighLevel's HTTP Date
	// header, read from an unauthenticated GET: no token is sent); default
	// highlevel.DefaultBaseURL. SourceURL does the same for Practice by
	// Numbers' API; empty skips it (an export folder has no clock).
	HighLevelURL string
	SourceURL    string
	// HTTPClient sends the clock reads (default: a client with a 15 s timeout).
	HTTPClient *http.Client
	// MaxClockSkew is the largest difference allowed between the local
	// clock and a server's (default 1 minute: intent deadlines and delta
	// watermarks are computed on the local clock and compared with times
	// the servers stamp).
	MaxClockSkew time.Duration
	// MinFreeBytes is the free space the ledger's file system must have
	// (default 1 GiB, and at least the ledger's current size: a run can
	// grow it by as much again).
	MinFreeBytes int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Doctor checks, without writing anything, what a migration depends on and
// says per check what to fix: connectivity and token scope on both sides
// (one cheap read per scope the map needs: a 401 or 403 names the missing
// scope), the location's settings (its timezone; the custom fields,
// objects, associations and pipelines the map needs, present or planned by
// the schema phase), clock skew against each server's Date header, the
// ledger (pending intents left by a kill, its key when it is encrypted,
// that it belongs to this location) and free disk for the ledger. It
// returns an error only for invalid inputs or a cancelled ctx: every
// failure it finds is a check.
func Doctor(ctx context.Context, in DoctorInputs) (*DoctorReport, error) {
	switch {
	case in.Client == nil:
		return nil, fmt.Errorf("%w: Doctor needs a HighLevel Client", ErrInvalidOptions)
	case in.Source == nil:
		return nil, fmt.Errorf("%w: Doctor needs a Source", ErrInvalidOptions)
	case in.Map == nil:
		return nil, fmt.Errorf("%w: Doctor needs a Map", ErrInvalidOptions)
	}
	if in.Now == nil {
		in.Now = time.Now
	}
	if in.MaxClockSkew <= 0 {
		in.MaxClockSkew = time.Minute
	}
	if in.MinFreeBytes <= 0 {
		in.MinFreeBytes = 1 << 30
	}
	if in.HighLevelURL == "" {
		in.HighLevelURL = highlevel.DefaultBaseURL
	}
	if in.HTTPClient == nil {
		in.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	r := &DoctorReport{}
	d := &doctor{in: in, r: r}
	d.highLevelScopes(ctx)
	d.source(ctx)
	if d.locationRead {
		d.location(ctx)
	}
	d.clock(ctx, "clock: HighLevel", in.HighLevelURL)
	if in.SourceURL != "" {
		d.clock(ctx, "clock: Practice by Numbers", in.SourceURL)
	}
	d.ledger(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

type doctor struct {
	in           DoctorInputs
	r            *DoctorReport
	locationRead bool
	loc          *highlevel.Location
}

// scopeProbe is one read that needs one scope of the HighLevel token.
type scopeProbe struct {
	scope string
	why   string // what the run needs it for
	need  func(targets map[mapping.TargetKind]bool, scope string) bool
	read  func(ctx context.Context, c *highlevel.Client, company string) error
}

// firstOf reads one item (or none) of a listing: enough to prove access.
func firstOf[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		return err
	}
	return nil
}

func always(map[mapping.TargetKind]bool, string) bool { return true }

// scopeOfAKind: a map needs the scope when one of its objects' kinds lists it
// (mapping's kind table says which scopes each kind needs).
func scopeOfAKind(t map[mapping.TargetKind]bool, scope string) bool {
	for k := range t {
		if slices.Contains(k.Scopes(), scope) {
			return true
		}
	}
	return false
}

// scopeProbes are the reads Doctor makes, in order. Write scopes cannot
// be proven without writing: each read stands for its read and write pair
// (HighLevel grants them together in a Private Integration's scope list,
// and the sample run writes a few records first).
var scopeProbes = []scopeProbe{
	{scope: "locations.readonly", why: "the location's settings and timezone", need: always,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.Locations.Get(ctx, "")
			return err
		}},
	{scope: "contacts.readonly", why: "patients become contacts", need: always,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.Contacts.SearchPage(ctx, highlevel.ContactSearch{PageLimit: 1}, highlevel.SearchCursor{})
			return err
		}},
	{scope: "locations/customFields.readonly", why: "the external id and mapped fields", need: always,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
			return err
		}},
	{scope: "locations/customValues.readonly", why: "the location's migration id: one ledger per location", need: always,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.CustomValues.List(ctx)
			return err
		}},
	{scope: "objects/schema.readonly", why: "custom objects", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.Objects.ListSchemas(ctx)
			return err
		}},
	{scope: "associations.readonly", why: "relations between records", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			return firstOf(c.Associations.List(ctx, highlevel.AssociationListOptions{}))
		}},
	{scope: "businesses.readonly", why: "offices become businesses", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			return firstOf(c.Businesses.List(ctx, highlevel.BusinessListOptions{PageSize: 1}))
		}},
	{scope: "opportunities.readonly", why: "treatment plans become opportunities", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.Pipelines.List(ctx)
			return err
		}},
	{scope: "calendars.readonly", why: "appointments become calendar events", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			_, err := c.Calendars.List(ctx)
			return err
		}},
	{scope: "medias.readonly", why: "documents become media files", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, _ string) error {
			return firstOf(c.Media.List(ctx, highlevel.MediaListOptions{PageSize: 1}))
		}},
	{scope: "users.readonly", why: "owners: staff resolved to HighLevel users", need: scopeOfAKind,
		read: func(ctx context.Context, c *highlevel.Client, company string) error {
			return firstOf(c.Users.Search(ctx, highlevel.UserSearch{CompanyID: company, PageSize: 1}))
		}},
}

func (d *doctor) targets() map[mapping.TargetKind]bool {
	t := map[mapping.TargetKind]bool{}
	for i := range d.in.Map.Objects {
		t[d.in.Map.Objects[i].Target] = true
	}
	return t
}

// highLevelScopes makes one read per scope the map needs. A 401 or 403
// on one read while others pass is a missing scope; on every read, the
// token itself (or its location) is wrong.
func (d *doctor) highLevelScopes(ctx context.Context) {
	targets := d.targets()
	loc := d.in.Client.LocationID()
	var lines []DoctorCheck
	answered, refused, unreachable := 0, 0, 0
	var reachErr error
	for _, p := range scopeProbes {
		if !p.need(targets, p.scope) {
			continue
		}
		name := "highlevel scope " + p.scope
		if p.scope == "users.readonly" && d.in.CompanyID == "" {
			lines = append(lines, DoctorCheck{Name: name, Detail: "the map resolves staff to HighLevel users, which HighLevel lists by agency, and no company id is set",
				Fix: "give the location's agency id (Options.CompanyID, pbn2hl -company)"})
			continue
		}
		err := p.read(ctx, d.in.Client, d.in.CompanyID)
		if ctx.Err() != nil {
			return
		}
		c := DoctorCheck{Name: name}
		var ae *highlevel.APIError
		switch {
		case err == nil:
			answered++
			c.OK, c.Detail = true, "read allowed ("+p.why+")"
			if p.scope == "locations.readonly" {
				d.locationRead = true
			}
		case errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden):
			answered++
			refused++
			c.Detail = fmt.Sprintf("HighLevel refused %s with HTTP %d: the token lacks scope %s (needed for %s)", ae.Operation, ae.StatusCode, p.scope, p.why)
			c.Fix = fmt.Sprintf("add the scopes %s and its .write pair to the Private Integration (or app) of location %s, then use its new token", p.scope, loc)
		case errors.As(err, &ae):
			answered++
			c.Detail = "HighLevel answered " + ae.SafeReason()
			c.Fix = "retry later; if it persists, check HighLevel's status page"
		default:
			unreachable++
			reachErr = err
			c.Detail = "no answer: " + err.Error()
			c.Fix = "check the network, proxy and the HighLevel base URL"
		}
		lines = append(lines, c)
	}
	conn := DoctorCheck{Name: "highlevel connectivity"}
	switch {
	case answered == 0 && unreachable > 0:
		conn.Detail = "HighLevel could not be reached: " + reachErr.Error()
		conn.Fix = "check the network, proxy and the HighLevel base URL"
	case answered > 0 && refused == answered:
		conn.Detail = fmt.Sprintf("HighLevel refused the token on every read (%d)", refused)
		conn.Fix = fmt.Sprintf("check the token: it may be expired, revoked, or belong to another location than %s", loc)
	default:
		conn.OK = true
		conn.Detail = fmt.Sprintf("location %s answered %d of %d reads", loc, answered-refused, answered+unreachable)
	}
	d.r.add(conn)
	for _, c := range lines {
		d.r.add(c)
	}
}

// source reads the first record of each entity the map reads: a 401 is
// the token, a 403 the token's access to that entity.
func (d *doctor) source(ctx context.Context) {
	var entities []string
	for i := range d.in.Map.Objects {
		if s := d.in.Map.Objects[i].Source; s != "" && !slices.Contains(entities, s) {
			entities = append(entities, s)
		}
	}
	var fails []string
	var fix string
	for _, e := range entities {
		it, err := records(ctx, d.in.Source, e, pbn.ListOptions{PageSize: 1})
		if err == nil {
			for _, rerr := range it {
				if rerr != nil && !isRowError(rerr) {
					err = rerr
				}
				break
			}
		}
		if ctx.Err() != nil {
			return
		}
		var ae *pbn.APIError
		switch {
		case err == nil:
		case errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized:
			d.r.add(DoctorCheck{Name: "practice by numbers access", Detail: "Practice by Numbers refused the API token (401)",
				Fix: "check the practice's API token and that it belongs to this server"})
			return
		case errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden:
			fails = append(fails, e+" (HTTP 403)")
			fix = "give the API token read access to these entities in Practice by Numbers, or remove their objects from the map"
		case errors.As(err, &ae):
			fails = append(fails, fmt.Sprintf("%s (HTTP %d)", e, ae.StatusCode))
			if fix == "" {
				fix = "retry later; if it persists, check Practice by Numbers' status"
			}
		default:
			fails = append(fails, e+": "+err.Error())
			if fix == "" {
				fix = "check the export folder or the API URL and the network"
			}
		}
	}
	if len(fails) > 0 {
		d.r.add(DoctorCheck{Name: "practice by numbers access", Detail: "cannot read " + strings.Join(fails, "; "), Fix: fix})
		return
	}
	d.r.add(DoctorCheck{Name: "practice by numbers access", OK: true, Detail: fmt.Sprintf("read the first record of each of %d entities the map reads", len(entities))})
}

// location checks the location's timezone and the schema the map needs.
func (d *doctor) location(ctx context.Context) {
	loc, err := d.in.Client.Locations.Get(ctx, "")
	if err != nil {
		return // the scope line said why
	}
	tz := DoctorCheck{Name: "location timezone"}
	switch _, lerr := time.LoadLocation(loc.Timezone); {
	case loc.Timezone == "":
		tz.Detail = "the location has no timezone: appointment times and dates would be shown in HighLevel's default"
		tz.Fix = "set it in HighLevel under Settings → Business Profile → Time Zone to the practice's"
	case lerr != nil:
		tz.Detail = fmt.Sprintf("the location's timezone %q is not a known IANA zone here", loc.Timezone)
		tz.Fix = "set a standard zone in Settings → Business Profile, or install the system's tzdata"
	default:
		tz.OK, tz.Detail = true, loc.Timezone
	}
	d.r.add(tz)

	sc := DoctorCheck{Name: "location schema"}
	plan, err := mapping.DeriveSchema(d.in.Map)
	if err == nil {
		var diff *mapping.SchemaDiff
		if diff, err = plan.Diff(ctx, mapping.NewHighLevelSchema(d.in.Client)); err == nil {
			var bad []string
			for _, it := range diff.Items {
				switch it.Status {
				case mapping.Conflicts:
					bad = append(bad, fmt.Sprintf("%s %s conflicts: %s", it.Kind, it.Key, it.Detail))
				case mapping.ManualOnly:
					bad = append(bad, fmt.Sprintf("%s %s is missing and the API cannot create it", it.Kind, it.Key))
				}
			}
			missing := diff.Count(mapping.Missing)
			if len(bad) > 0 {
				sc.Detail = strings.Join(bad, "; ")
				sc.Fix = "change those elements in HighLevel (or the map) so they match; create the manual ones by hand, then run the schema phase"
			} else {
				sc.OK = true
				sc.Detail = fmt.Sprintf("%d of %d elements the map needs exist", diff.Count(mapping.Exists), len(diff.Items))
				if missing > 0 {
					sc.Detail += fmt.Sprintf("; %d missing, planned by the schema phase (ApplySchema, pbn2hl schema -apply)", missing)
				}
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		sc.Detail = "the schema could not be compared: " + err.Error()
		sc.Fix = "fix the map (pbn2hl review) or the token's objects/schema and customFields scopes"
	}
	d.r.add(sc)
}

// clock compares the local clock with a server's Date header, read from
// an unauthenticated GET of the base URL (any status will do).
func (d *doctor) clock(ctx context.Context, name, base string) {
	c := DoctorCheck{Name: name}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		c.Detail, c.Fix = "invalid URL", "check the base URL"
		d.r.add(c)
		return
	}
	sent := d.in.Now()
	resp, err := d.in.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		c.Detail, c.Fix = "no answer to read the time from", "check the network and the base URL"
		d.r.add(c)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	got := d.in.Now()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		c.Detail, c.Fix = "the server sent no usable Date header", "nothing to compare with: check the local clock by hand (NTP)"
		d.r.add(c)
		return
	}
	// The header has second resolution and was stamped between send and
	// receipt: compare with the middle, allowing the round trip.
	local := sent.Add(got.Sub(sent) / 2)
	skew := date.Sub(local)
	slack := got.Sub(sent)/2 + time.Second
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	ahead := "ahead of"
	if skew > 0 {
		ahead = "behind"
	}
	if abs <= d.in.MaxClockSkew+slack {
		c.OK = true
		c.Detail = fmt.Sprintf("local clock within %s of the server's", roundDuration(max(abs, time.Second)))
	} else {
		c.Detail = fmt.Sprintf("local clock is %s %s the server's (at most %s allowed)", roundDuration(abs), ahead, d.in.MaxClockSkew)
		c.Fix = "synchronise the local clock (NTP: timedatectl set-ntp true, or the OS's time settings)"
	}
	d.r.add(c)
}

// ledger checks the ledger's key, pending intents, location and disk.
func (d *doctor) ledger(ctx context.Context) {
	l := d.in.Ledger
	path := d.in.LedgerPath
	if l == nil && path == "" {
		d.r.add(DoctorCheck{Name: "ledger", Detail: "no ledger given", Fix: "name the ledger file (pbn2hl -ledger)"})
		return
	}
	var keyCheck *DoctorCheck
	if l == nil {
		var err error
		l, err = rollback.Open(ctx, path, rollback.Options{ReadOnly: true})
		if errors.Is(err, rollback.ErrKeyRequired) {
			// Encrypted, and readable only with its key.
			kc := DoctorCheck{Name: "ledger key"}
			var key []byte
			if d.in.LedgerKey == nil {
				kc.Detail = "the ledger is encrypted and no key is configured"
				kc.Fix = "give the key file (pbn2hl -ledger-key-file or $PBN2HL_LEDGER_KEY_FILE; Options.Key for rollback.Open)"
			} else if key, err = d.in.LedgerKey(); err != nil {
				kc.Detail = "the ledger is encrypted and its key cannot be read: " + err.Error()
				kc.Fix = "restore the key file from where it is kept (without it the journal's payloads cannot be read)"
			} else if l, err = rollback.Open(ctx, path, rollback.Options{ReadOnly: true, Key: key}); errors.Is(err, rollback.ErrWrongKey) {
				kc.Detail = "the configured key does not open the ledger"
				kc.Fix = "configure the key this ledger was created with"
			} else if err == nil {
				kc.OK, kc.Detail = true, "encrypted; the configured key opens it"
			}
			keyCheck = &kc
			if !kc.OK && kc.Detail != "" {
				d.r.add(DoctorCheck{Name: "ledger", OK: true, Detail: ledgerShown(path) + " (encrypted)"})
				d.r.add(kc)
				d.disk(path, 0)
				return
			}
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			d.r.add(DoctorCheck{Name: "ledger", OK: true, Detail: "no ledger yet at " + ledgerShown(path) + ": the first phase creates it"})
			d.disk(path, 0)
			return
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			d.r.add(DoctorCheck{Name: "ledger", Detail: "cannot open: " + err.Error(), Fix: "check the path and its permissions; a newer ledger needs a newer pbn2hl"})
			return
		}
		defer l.Close()
	}
	info, err := l.Info(ctx)
	if err != nil {
		d.r.add(DoctorCheck{Name: "ledger", Detail: "cannot read: " + err.Error(), Fix: "check the file; restore it from its backup if it is damaged"})
		return
	}
	if path == "" {
		path = info.Path
	}
	d.r.add(DoctorCheck{Name: "ledger", OK: true, Detail: fmt.Sprintf("%s (schema %d, encryption %s)", ledgerShown(path), info.SchemaVersion, info.Encryption)})
	if keyCheck != nil {
		d.r.add(*keyCheck)
	} else {
		d.ledgerKey(info)
	}

	pending := 0
	for _, err := range l.Pending(ctx, true) {
		if err != nil {
			d.r.add(DoctorCheck{Name: "ledger pending intents", Detail: "cannot list: " + err.Error(), Fix: "check the file"})
			pending = -1
			break
		}
		pending++
	}
	switch {
	case pending == 0:
		d.r.add(DoctorCheck{Name: "ledger pending intents", OK: true, Detail: "none: every journaled call has its outcome"})
	case pending > 0:
		d.r.add(DoctorCheck{Name: "ledger pending intents", Detail: fmt.Sprintf("%d calls were journaled without a known outcome (a phase was killed or lost answers)", pending),
			Fix: "run the interrupted phase again (it looks each one up before going on), or undo it"})
	}

	d.ledgerLocation(ctx, l)
	d.disk(path, 0)
}

// ledgerShown is the ledger's location as printed: a file's path, never a
// database URL.
func ledgerShown(loc string) string {
	if f, ok := ledgerFile(loc); ok {
		return f
	}
	return "the PostgreSQL ledger"
}

// ledgerFile is the ledger's local file, or ok false for a ledger in a
// database server (a postgres:// URL, which may hold a password: never
// printed).
func ledgerFile(loc string) (file string, ok bool) {
	lower := strings.ToLower(loc)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "", false
	case strings.HasPrefix(lower, "sqlite:"):
		return loc[len("sqlite:"):], true
	}
	return loc, true
}

// fileSize is the file's size, 0 when it cannot be read.
func fileSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// ledgerKey says what a ledger that opened without a key needs: one in
// clear needs none; an encrypted one was opened by the host with its key.
func (d *doctor) ledgerKey(info rollback.Info) {
	c := DoctorCheck{Name: "ledger key", OK: true}
	switch {
	case info.Encryption != "" && info.Encryption != "none":
		c.Detail = "encrypted; the open ledger holds its key"
	case d.in.LedgerKey != nil:
		c.Detail = "a key is configured; the ledger has no encrypted entries yet"
	default:
		c.Detail = "the ledger is stored in clear (no key needed)"
		if info.PlaintextEntries > 0 {
			c.Detail += fmt.Sprintf("; %d entries hold patient data in clear", info.PlaintextEntries)
		}
	}
	d.r.add(c)
}

// ledgerLocation: the ledger and the location name the same migration
// (the check every phase makes: identity.go).
func (d *doctor) ledgerLocation(ctx context.Context, l *rollback.Ledger) {
	m, err := New(Options{Source: d.in.Source, Client: d.in.Client, Map: d.in.Map, Ledger: l, CompanyID: d.in.CompanyID})
	if err != nil {
		return
	}
	c := DoctorCheck{Name: "ledger location"}
	b, err := m.ledgerBlocker(ctx)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return
		}
		c.Detail = "cannot compare the ledger with the location: " + err.Error()
		c.Fix = "see the scope lines above (the location's custom values and contacts are read)"
	case b != nil:
		c.Detail, c.Fix = b.Reason, b.Fix
	default:
		c.OK, c.Detail = true, "the ledger and location "+d.in.Client.LocationID()+" belong to the same migration"
	}
	d.r.add(c)
}

// disk checks the free space where the ledger's file lives (size: what
// it holds already, read here when 0).
func (d *doctor) disk(loc string, size int64) {
	c := DoctorCheck{Name: "ledger disk"}
	file, local := ledgerFile(loc)
	if !local {
		c.OK, c.Detail = true, "the ledger is in PostgreSQL: its disk is the database server's to watch"
		d.r.add(c)
		return
	}
	if size == 0 {
		size = fileSize(file)
	}
	dir := filepath.Dir(file)
	free, err := freeBytes(dir)
	if err != nil {
		c.Detail = "cannot read the free space of " + dir + ": " + err.Error()
		c.Fix = "check that the directory exists and is readable"
		d.r.add(c)
		return
	}
	need := max(d.in.MinFreeBytes, size)
	if free >= need {
		c.OK, c.Detail = true, fmt.Sprintf("%s free in %s", bytesText(free), dir)
	} else {
		c.Detail = fmt.Sprintf("%s free in %s, %s needed (the ledger is %s and grows with the run)", bytesText(free), dir, bytesText(need), bytesText(size))
		c.Fix = "free space there, or move the ledger (and its key) to a larger disk"
	}
	d.r.add(c)
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
