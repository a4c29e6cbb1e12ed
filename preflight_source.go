package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Kinds of [Blocker].
const (
	BlockMap           = "map"            // the map is not approved for its content
	BlockSchema        = "schema"         // the location lacks or conflicts with the schema
	BlockOwners        = "owners"         // no fallback owner
	BlockSourceFile    = "source file"    // a source file is unreadable, cut short or not in its encoding
	BlockMissingColumn = "missing column" // a column a required rule reads is not in the file
	BlockInvalidShare  = "invalid share"  // more of an object's records are invalid than allowed
	BlockLocation      = "location"       // a location setting the map depends on
)

// DefaultMaxInvalidShare is the share of an object's records that may be
// invalid before Preflight blocks, when Options.MaxInvalidShare is 0.
const DefaultMaxInvalidShare = 0.02

// Blocker is one thing that stops a run: what, where, and what to do. It
// names objects, files, lines, columns, fields and settings, never values.
type Blocker struct {
	Kind   string
	Object string // the map object concerned, when one
	File   string // the source file, when known
	Line   int    // 1-based line in File, when known
	Reason string
	Fix    string // what to do about it
}

// String renders the blocker on one line: "file:line: reason — fix".
func (b Blocker) String() string {
	var s strings.Builder
	if b.File != "" {
		s.WriteString(b.File)
		if b.Line > 0 {
			s.WriteString(":" + strconv.Itoa(b.Line))
		}
		s.WriteString(": ")
	}
	s.WriteString(b.Reason)
	if b.Fix != "" {
		s.WriteString(" — " + b.Fix)
	}
	return s.String()
}

func (r *PreflightReport) block(b Blocker) {
	r.Blockers = append(r.Blockers, b)
	r.Blocking = append(r.Blocking, b.String())
}

// maxInvalidShare is Options.MaxInvalidShare with its default.
func (m *Migration) maxInvalidShare() float64 {
	switch s := m.opts.MaxInvalidShare; {
	case s == 0:
		return DefaultMaxInvalidShare
	case s < 0:
		return 0
	default:
		return s
	}
}

// columnReader is a source that can say which record fields its files
// provide (the CSV export reader); a REST source always provides them all.
type columnReader interface {
	Columns(ctx context.Context, e pbn.Entity) (pbn.FileColumns, error)
}

// sourceCheck is what Preflight learnt about the source before reading
// records: the files that cannot be read (their entities are not read
// again) and the objects already blocked for a missing column.
type sourceCheck struct {
	badEntity  map[string]bool
	badFile    map[string]bool
	objBlocked map[string]bool
}

// fileBlocker turns a source file problem into a blocker, or reports false
// for any other error.
func fileBlocker(object string, err error) (Blocker, bool) {
	var fe *pbn.FileError
	if !errors.As(err, &fe) {
		return Blocker{}, false
	}
	b := Blocker{Kind: BlockSourceFile, Object: object, File: fe.File}
	var ee *pbn.EncodingError
	var te *pbn.TruncatedError
	switch {
	case errors.As(err, &te):
		b.Line = te.Line
		b.Reason = "the file ends inside a row: " + te.Reason
		b.Fix = "export the file again (a cut transfer), or close the stray quote on that line"
	case errors.As(err, &ee):
		b.Line = ee.Line
		b.Reason = "not readable as text in its encoding: " + ee.Error()
		b.Fix = "name the file's encoding (Encoding option, pbn2hl -encoding windows-1252) or export it as UTF-8"
	default:
		b.Reason = "cannot be read: " + fe.Err.Error()
		b.Fix = "check the file is the export of this entity and is readable, then run preflight again"
	}
	return b, true
}

// checkSource reads the headers of the files the map's objects read and
// blocks on files that cannot be read and on columns a required rule,
// required lookup or source key needs that the file does not have (every
// record would be invalid or keyless).
func (m *Migration) checkSource(ctx context.Context, mp *mapping.Map, order []*mapping.Object, r *PreflightReport) (*sourceCheck, error) {
	sc := &sourceCheck{badEntity: map[string]bool{}, badFile: map[string]bool{}, objBlocked: map[string]bool{}}
	cr, ok := m.opts.Source.(columnReader)
	if !ok {
		return sc, nil
	}
	cols := map[string]pbn.FileColumns{}
	for _, o := range order {
		e := pbn.Entity(o.Source)
		c, seen := cols[o.Source]
		if !seen && !sc.badEntity[o.Source] {
			var err error
			c, err = cr.Columns(ctx, e)
			if err != nil {
				b, ok := fileBlocker(o.Name, err)
				if !ok {
					return nil, fmt.Errorf("pbnhl: read %s header: %w", o.Source, err)
				}
				sc.badEntity[o.Source] = true
				if !sc.badFile[b.File] {
					sc.badFile[b.File] = true
					r.block(b)
				}
				continue
			}
			cols[o.Source] = c
		}
		if c.File == "" || sc.badEntity[o.Source] {
			continue // no file: the entity has no records
		}
		for _, need := range requiredSources(o) {
			if slices.ContainsFunc(need.fields, func(f string) bool { return hasField(c, e, f) }) {
				continue
			}
			col, aliases := pbn.FieldColumn(e, need.fields[0])
			if col == "" {
				continue // a field the map computes (an expanded row's), not a column
			}
			also := ""
			if len(aliases) > 0 {
				also = " (or " + strings.Join(aliases[:min(3, len(aliases))], ", ") + ")"
			}
			sc.objBlocked[o.Name] = true
			r.block(Blocker{Kind: BlockMissingColumn, Object: o.Name, File: c.File, Line: 1,
				Reason: fmt.Sprintf("no %s column%s, which %s reads for %s: every %s record would be invalid",
					col, also, need.what, o.Name, o.Name),
				Fix: fmt.Sprintf("export %s with the %s column, or change the map's rule for %s", c.File, col, o.Name)})
		}
	}
	return sc, nil
}

// hasField reports whether the file provides field f. A field of the
// entity's own columns must have its column; any other field (a custom
// property "custom.x", or a field the map makes up) is not checked here.
func hasField(c pbn.FileColumns, e pbn.Entity, f string) bool {
	if c.Has(f) {
		return true
	}
	col, _ := pbn.FieldColumn(e, f)
	return col == ""
}

// need is one thing a record cannot do without: any of fields.
type need struct {
	fields []string
	what   string // "the required rule to lastName"
}

var placeholder = regexp.MustCompile(`\{([^{}]+)\}`)

// requiredSources lists the source fields without which every record of o
// is invalid: its source key, each required rule's sources (any one
// suffices: From, then its fallbacks, or a template's fields), each
// required lookup's field. An expanded object needs the field it parses.
func requiredSources(o *mapping.Object) []need {
	if o.Expand != nil {
		// The rules read the rows parsed out of one field; only that
		// field is a column.
		return []need{{[]string{o.Expand.From}, "the expansion"}}
	}
	var out []need
	if o.SourceKey != "" {
		out = append(out, need{[]string{o.SourceKey}, "the source key"})
	}
	for _, f := range o.Fields {
		if !f.Required {
			continue
		}
		var fs []string
		if f.From != "" {
			fs = append(fs, f.From)
		}
		fs = append(fs, f.Fallback...)
		for _, m := range placeholder.FindAllStringSubmatch(f.Template, -1) {
			fs = append(fs, strings.TrimSpace(m[1]))
		}
		if len(fs) > 0 {
			out = append(out, need{fs, "the required rule to " + f.To})
		}
	}
	for _, l := range o.Lookups {
		if l.Required && l.From != "" {
			out = append(out, need{[]string{l.From}, "the required link to " + l.Object})
		}
	}
	return out
}

// rowProblem is a value-free description of a source row that does not
// parse, and the column at fault ("" for the row's shape).
func rowProblem(err error) (key, field, reason string) {
	var re *pbn.RowError
	if !errors.As(err, &re) {
		return "", "", "unreadable source record"
	}
	if re.ID != pbn.NoKey {
		key = string(re.ID)
	}
	if len(re.Fields) > 0 {
		field = re.Fields[0].Header
	}
	return key, field, re.Error() // file, line, id, columns and kinds of problem: no values
}

// ownInvalid reports whether an invalid payload is invalid for its own
// data — not only because the map holds it back as a duplicate for review
// (a policy the approved map chose; the record is listed) or because a
// record it refers to is not migrated (that record's problem, counted
// there).
func ownInvalid(p *mapping.Payload) bool {
	for _, pr := range p.Problems {
		if pr.Severity == mapping.Invalid && pr.Rule != mapping.RuleDuplicate && pr.Rule != mapping.RuleReference {
			return true
		}
	}
	return false
}

// scanHooks let a caller of scanSource see the records as they pass.
type scanHooks struct {
	object func(o *mapping.Object) error               // before o's records; an error ends the scan
	check  func(o *mapping.Object, p *mapping.Payload) // each payload after the validator, before it is counted
	valid  func(o *mapping.Object, p *mapping.Payload) // each valid payload
	done   func(o *mapping.Object)                     // after o's records
}

// scanSource reads, transforms and validates every record of order's
// objects into r.Validation: a row the source cannot give counts as an
// invalid record with its reason, a file that cannot be read is blocked
// (once) and its entity not read further. It returns, per object, the
// records invalid for their own data (see ownInvalid; an unreadable row
// counts once, for the first object reading its file).
func (m *Migration) scanSource(ctx context.Context, applier *mapping.Applier, val *mapping.Validator, order []*mapping.Object,
	r *PreflightReport, sc *sourceCheck, h scanHooks) (map[string]int, error) {
	own := map[string]int{}
	rowSeen := map[string]bool{}
	for _, o := range order {
		if sc.badEntity[o.Source] {
			continue // its file is refused (blocked already): nothing to count
		}
		if h.object != nil {
			if err := h.object(o); err != nil {
				return nil, err
			}
		}
		it, err := records(ctx, m.opts.Source, o.Source, pbn.ListOptions{})
		if err != nil {
			return nil, err
		}
		for rec, err := range it {
			if err != nil {
				if isRowError(err) {
					// A row the source cannot give is a record that will
					// not migrate: counted as invalid, with its reason.
					key, field, reason := rowProblem(err)
					r.Validation.AddSourceError(o.Name, key, field, reason)
					if at := rowAt(err); !rowSeen[at] {
						rowSeen[at] = true
						own[o.Name]++
					}
					continue
				}
				if b, ok := fileBlocker(o.Name, err); ok {
					sc.badEntity[o.Source] = true
					if !sc.badFile[b.File] {
						sc.badFile[b.File] = true
						r.block(b)
					}
					break
				}
				return nil, fmt.Errorf("pbnhl: read %s: %w", o.Source, err)
			}
			pls, err := applier.Apply(o.Name, rec.rec)
			if err != nil {
				return nil, fmt.Errorf("pbnhl: %s: %w", o.Name, err)
			}
			for i := range pls {
				p := &pls[i]
				if p.Skipped == "" {
					val.Check(p)
					if h.check != nil {
						h.check(o, p)
					}
				}
				r.Validation.Add(p)
				if p.Skipped != "" || !p.Valid() {
					if p.Skipped == "" && ownInvalid(p) {
						own[o.Name]++
					}
					continue
				}
				if h.valid != nil {
					h.valid(o, p)
				}
			}
		}
		if h.done != nil {
			h.done(o)
		}
	}
	return own, nil
}

// rowAt is where an unreadable row is ("file:line").
func rowAt(err error) string {
	var re *pbn.RowError
	if !errors.As(err, &re) {
		return ""
	}
	return re.File + ":" + strconv.Itoa(re.Line)
}

// checkInvalidShare blocks (or, with AcceptInvalid, accepts) every object
// whose records invalid for their own data (see ownInvalid; unreadable
// source rows count) exceed the allowed share of its records.
func (m *Migration) checkInvalidShare(r *PreflightReport, order []*mapping.Object, sc *sourceCheck, own map[string]int) {
	limit := m.maxInvalidShare()
	r.MaxInvalidShare = limit
	tallies := r.Validation.Objects()
	for _, o := range order {
		t, ok := tallies[o.Name]
		if !ok || own[o.Name] == 0 || sc.objBlocked[o.Name] || sc.badEntity[o.Source] {
			continue // nothing invalid of its own, or already blocked for its cause
		}
		considered := t.Records - t.Skipped
		share := float64(own[o.Name]) / float64(considered)
		if share <= limit {
			continue
		}
		top := ""
		for _, rc := range r.Validation.InvalidReasons(o.Name) {
			if rc.Rule != mapping.RuleDuplicate && rc.Rule != mapping.RuleReference {
				top = "; most frequent: " + rc.String()
				break
			}
		}
		b := Blocker{Kind: BlockInvalidShare, Object: o.Name,
			Reason: fmt.Sprintf("%s: %d of %d records invalid (%s), more than the %s allowed%s",
				o.Name, own[o.Name], considered, percent(share), percent(limit), top),
			Fix: "fix the source or the map and run preflight again; or accept it knowingly (AcceptInvalid, pbn2hl -accept-invalid): the invalid records are then left out and listed in the problems report"}
		if m.opts.AcceptInvalid {
			r.Accepted = append(r.Accepted, b)
			continue
		}
		r.block(b)
	}
}

func percent(f float64) string {
	p := f * 100
	if p == math.Trunc(p) || p >= 10 {
		return strconv.FormatFloat(math.Round(p), 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// checkDocumentFiles warns when the source lists documents whose files it
// does not hold (an export folder written without its documents): those
// records are invalid at run time, never uploaded, so the estimate drops
// their calls and bytes and the person reading preflight learns it now,
// not from the problems report after the run.
func (m *Migration) checkDocumentFiles(ctx context.Context, r *PreflightReport) error {
	df, ok := m.opts.Source.(pbn.DocumentFiles)
	if !ok || r.Estimate.Bytes == 0 {
		return nil // nothing uploads, or the source serves every file it lists
	}
	var listed, missing, missingBytes int64
	for d, err := range m.opts.Source.Documents(ctx, pbn.ListOptions{}) {
		if err != nil {
			var re *pbn.RowError
			if errors.As(err, &re) {
				continue // counted by the scan as an invalid row
			}
			return fmt.Errorf("pbnhl: read documents: %w", err)
		}
		listed++
		there, err := df.HasDocumentFile(ctx, d.ID)
		if err != nil {
			return fmt.Errorf("pbnhl: %w", err)
		}
		if !there {
			missing++
			if d.Size > 0 && d.Size <= highlevel.MaxUploadBytes {
				missingBytes += d.Size
			}
		}
	}
	if missing == 0 {
		return nil
	}
	for i := range r.Estimate.Objects {
		e := &r.Estimate.Objects[i]
		if e.Bytes == 0 || e.Records == 0 {
			continue
		}
		n := min(missing, e.Records)
		calls := e.Calls * n / e.Records
		e.Calls -= calls
		e.Records -= n
		e.Bytes = max(0, e.Bytes-missingBytes)
		r.Estimate.Calls -= calls
		break
	}
	r.Estimate.Bytes = max(0, r.Estimate.Bytes-missingBytes)
	r.Warnings = append(r.Warnings, fmt.Sprintf("documents: %d of %d have no file in the export folder: they are listed as invalid and not uploaded (the estimate leaves them out); copy the files into its documents folder and run again", missing, listed))
	return nil
}
