package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// One ledger per location: the location knows which migration loaded it.
//
// The ledger's migration id (rollback Info.MigrationID) is stored in the
// location as the custom value named CustomValueName, with the ledger's
// file name as a fingerprint people recognise ("<migration id> <file>";
// the file name only, never the directory, which often holds a user name).
// Before the first write of every mutating phase, checkLedger compares it
// with the ledger's, so a mistyped or lost ledger can never load a
// practice a second time.

// CustomValueName is the name of the location custom value that holds the
// id of the migration that loaded the location.
const CustomValueName = "pbnhl migration"

// TypeMigration is the id-map type under which a ledger records the
// migrations it continues: Adopt maps the location's migration id (the
// source key) to the custom value holding it, as adopted (never deleted).
const TypeMigration = "pbnhl.migration"

// identityValue is the custom value's text: the migration id and the
// ledger's file name.
func identityValue(mid, fingerprint string) string {
	if fingerprint == "" {
		return mid
	}
	return mid + " " + fingerprint
}

// parseIdentity splits a custom value's text into migration id and
// fingerprint.
func parseIdentity(v string) (mid, fingerprint string) {
	mid, fingerprint, _ = strings.Cut(strings.TrimSpace(v), " ")
	return mid, strings.TrimSpace(fingerprint)
}

// ledgerFingerprint is the ledger's file name (never its directory).
func (m *Migration) ledgerFingerprint(ctx context.Context) string {
	info, err := m.opts.Ledger.Info(ctx)
	if err != nil || info.Path == "" {
		return ""
	}
	return ledgerName(info.Path)
}

// ledgerName is a ledger location as people recognise it, with no
// directory, user, host or option in it: a file's name (sqlite: prefix
// dropped), or for a postgres:// or postgresql:// URL its database and
// the search_path schema when given ("pbnhl_prod.practice_a"; the last
// path element of a URL would be "pbnhl_prod?host=…&sslmode=…").
func ledgerName(loc string) string {
	lower := strings.ToLower(loc)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		if strings.HasPrefix(lower, "sqlite:") {
			loc = loc[len("sqlite:"):]
		}
		return strings.ReplaceAll(filepath.Base(loc), " ", "_")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "postgres"
	}
	q := u.Query()
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		db = q.Get("dbname")
	}
	if db == "" {
		db = "postgres"
	}
	if schema, _, _ := strings.Cut(q.Get("search_path"), ","); strings.TrimSpace(schema) != "" {
		db += "." + strings.TrimSpace(schema)
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r < 0x20 {
			return '_'
		}
		return r
	}, db)
}

// continued returns the migration ids this ledger continues (Adopt
// recorded them), besides its own.
func (m *Migration) continued(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	for mp, err := range m.opts.Ledger.IDMap(ctx, TypeMigration) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read the id map: %w", err)
		}
		out[mp.SourceKey] = true
	}
	return out, nil
}

// identityMode says what checkLedger may do.
type identityMode int

const (
	// claimLocation: a mutating phase; a location naming no migration is
	// claimed for this ledger's before the first write.
	claimLocation identityMode = iota
	// verifyOnly: refuse a mismatch, write nothing (dry runs, undo).
	verifyOnly
)

// checkLedger refuses a ledger that does not belong to the location: the
// location's custom values (one List call) and, only when the location
// names no migration, one contact search for any external id. field
// returns the contact external-id field's id ("" when the location has
// none: then nothing carries one, and no search is needed); nil skips the
// search. In claimLocation mode a location that names no migration is
// claimed: the custom value is created with this ledger's migration id.
func (m *Migration) checkLedger(ctx context.Context, field func(context.Context) (string, error), mode identityMode) error {
	mid, err := m.migrationID(ctx)
	if err != nil {
		if mode == verifyOnly {
			mid = "" // an old ledger read-only, with no id yet: it owns nothing
		} else {
			return err
		}
	}
	fp := m.ledgerFingerprint(ctx)
	mismatch := &LedgerMismatchError{Location: m.location(), MigrationID: mid, Ledger: fp}
	if other, err := m.otherLocation(ctx); err != nil {
		return err
	} else if other != "" {
		mismatch.OtherLocation = other
		return mismatch
	}
	if err := m.interruptedAdopt(ctx); err != nil {
		return err
	}
	cv, err := m.opts.Client.CustomValues.Find(ctx, CustomValueName)
	if err != nil {
		return fmt.Errorf("pbnhl: read the location's migration id (custom value %q): %w", CustomValueName, err)
	}
	if cv != nil {
		owner, ofp := parseIdentity(cv.Value)
		if owner != "" && owner == mid {
			return nil
		}
		cont, err := m.continued(ctx)
		if err != nil {
			return err
		}
		if owner != "" && cont[owner] {
			return nil
		}
		mismatch.OwnerMigrationID, mismatch.OwnerLedger = owner, ofp
		if owner == "" {
			mismatch.OwnerMigrationID = "(unreadable: custom value " + cv.ID + ")"
		}
		return mismatch
	}
	// The location names no migration: it was never loaded, or loaded
	// before the custom value existed. One search tells.
	contactField := ""
	if field != nil {
		if contactField, err = field(ctx); err != nil {
			return err
		}
	}
	if contactField != "" {
		found, err := m.anyMigratedContact(ctx, contactField)
		if err != nil {
			return err
		}
		if found != nil {
			mp, ok, err := m.opts.Ledger.Lookup(ctx, rollback.TypeContact, found.key)
			if err != nil {
				return fmt.Errorf("pbnhl: read the id map: %w", err)
			}
			if !ok || mp.HighLevelID != found.id {
				mismatch.Unknown = true
				return mismatch
			}
		}
	}
	if mode != claimLocation || m.opts.DryRun || mid == "" {
		return nil
	}
	return m.claimLocation(ctx, mid, fp)
}

// claimLocation creates the custom value naming this ledger's migration.
// It is not journaled as a record (Undo leaves it: a location once loaded
// keeps saying by which migration, so a new ledger must Adopt it). An
// unknown outcome is settled by reading the values again.
func (m *Migration) claimLocation(ctx context.Context, mid, fp string) error {
	in := highlevel.CustomValueInput{Name: CustomValueName, Value: identityValue(mid, fp)}
	_, err := m.opts.Client.CustomValues.Create(ctx, in)
	if err == nil {
		m.log.LogAttrs(ctx, levelInfo, "location claimed for this migration (custom value "+CustomValueName+")")
		return nil
	}
	// A lost answer, or another process claimed it first: read again.
	cv, ferr := m.opts.Client.CustomValues.Find(ctx, CustomValueName)
	if ferr != nil || cv == nil {
		return fmt.Errorf("pbnhl: write the location's migration id (custom value %q): %w", CustomValueName, err)
	}
	if owner, ofp := parseIdentity(cv.Value); owner != mid {
		return &LedgerMismatchError{Location: m.location(), MigrationID: mid, Ledger: fp, OwnerMigrationID: owner, OwnerLedger: ofp}
	}
	return nil
}

type migratedContact struct{ id, key string }

// anyMigratedContact returns one contact carrying a value in the
// external-id field, or nil: one search call.
func (m *Migration) anyMigratedContact(ctx context.Context, fieldID string) (*migratedContact, error) {
	q := highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "customFields." + fieldID, Operator: "exists"}}, PageLimit: 1}
	for c, err := range m.opts.Client.Contacts.Search(ctx, q) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: search the location for migrated contacts: %w", err)
		}
		v, ok := c.CustomField(fieldID)
		if !ok {
			continue
		}
		key, _ := v.Text()
		if key == "" {
			continue
		}
		return &migratedContact{id: c.ID, key: key}, nil
	}
	return nil, nil
}

// otherLocation returns the location of this ledger's runs when it is not
// the client's (a ledger belongs to one location).
func (m *Migration) otherLocation(ctx context.Context) (string, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return "", fmt.Errorf("pbnhl: list runs: %w", err)
	}
	for _, r := range runs {
		if r.Location != "" && r.Location != m.location() {
			return r.Location, nil
		}
	}
	return "", nil
}

// interruptedAdopt refuses when an adopt run left an intent unsettled.
func (m *Migration) interruptedAdopt(ctx context.Context) error {
	adopt, err := m.adoptRuns(ctx)
	if err != nil || len(adopt) == 0 {
		return err
	}
	for e, err := range m.opts.Ledger.Pending(ctx, true) {
		if err != nil {
			return fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if adopt[e.Run] {
			return ErrAdoptInterrupted
		}
	}
	return nil
}

func (m *Migration) adoptRuns(ctx context.Context) (map[rollback.RunID]bool, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	out := map[rollback.RunID]bool{}
	for _, r := range runs {
		if r.Kind == rollback.KindAdopt {
			out[r.ID] = true
		}
	}
	return out, nil
}

// contactExternalField returns the id of the contact external-id field the
// map names, reading the location's contact fields (one call); "" when the
// map has none or the location lacks it (nothing can carry it yet).
func (m *Migration) contactExternalField(ctx context.Context) (string, error) {
	key := ""
	for _, o := range m.opts.Map.Objects {
		if o.RecordType() == rollback.TypeContact && o.ExternalID != "" {
			key = "contact." + o.ExternalID
			break
		}
	}
	if key == "" {
		return "", nil
	}
	fields, err := m.opts.Client.CustomFields.List(ctx, highlevel.FieldModelContact)
	if err != nil {
		return "", fmt.Errorf("pbnhl: read the contact fields: %w", err)
	}
	for _, f := range fields {
		if f.FieldKey == key {
			return f.ID, nil
		}
	}
	return "", nil
}

// checkLedgerPrepared is checkLedger for a data phase: the location is
// prepared, so the field is known without a call (at most two calls).
func (m *Migration) checkLedgerPrepared(ctx context.Context, p *prepared) error {
	mode := claimLocation
	if m.opts.DryRun {
		mode = verifyOnly
	}
	return m.checkLedger(ctx, func(context.Context) (string, error) { return p.extField[rollback.TypeContact], nil }, mode)
}

// continuedID returns the migration this ledger continues when Adopt took
// over a location another ledger loaded: its id, not the ledger's own, is
// then the migration id of every later write (identity lines included),
// so the location, its records and the ledger keep naming one migration
// and a later Adopt finds everything. A ledger takes over one location,
// whose custom value names one migration; should it hold several, the
// first by id is taken, deterministically.
func (m *Migration) continuedID(ctx context.Context) (string, bool, error) {
	ids, err := m.continued(ctx)
	if err != nil || len(ids) == 0 {
		return "", false, err
	}
	first := ""
	for id := range ids {
		if first == "" || id < first {
			first = id
		}
	}
	return first, true, nil
}

// BlockLedger is the Blocker kind of a ledger that does not belong to the
// location (Preflight reads what the mutating phases would refuse).
const BlockLedger = "ledger"

// ledgerBlocker is the ownership check as Preflight reports it: nil when
// the ledger belongs to the location (or the location names nothing and
// holds nothing migrated), a Blocker when a mutating phase would refuse
// it. It writes nothing.
func (m *Migration) ledgerBlocker(ctx context.Context) (*Blocker, error) {
	err := m.checkLedger(ctx, m.contactExternalField, verifyOnly)
	var lm *LedgerMismatchError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &lm):
		return &Blocker{Kind: BlockLedger, Reason: strings.TrimPrefix(lm.Error(), "pbnhl: "),
			Fix: "run with the ledger that loaded the location, or rebuild this ledger from the location with Adopt (pbn2hl adopt), which writes nothing"}, nil
	case errors.Is(err, ErrAdoptInterrupted):
		return &Blocker{Kind: BlockLedger, Reason: "an Adopt was interrupted before it settled what it found", Fix: "run Adopt again"}, nil
	}
	return nil, err
}
