package rollback

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"
)

// ExportOptions select what an audit export contains.
type ExportOptions struct {
	// Runs to export; every run when empty.
	Runs []RunID
	// IncludePHI adds payloads and before-images, decrypted. Without it the
	// export carries ids, digests and outcomes only.
	IncludePHI bool
}

// AuditRecord is one line of the audit export: who did what, when, with
// what result.
type AuditRecord struct {
	Entry         int64           `json:"entry"`
	Run           RunID           `json:"run"`
	RunKind       RunKind         `json:"run_kind"`
	Actor         string          `json:"actor"`
	Location      string          `json:"location"`
	Seq           Seq             `json:"seq"`
	Op            string          `json:"op"`
	ObjectType    string          `json:"object_type"`
	Entity        string          `json:"entity"`
	SourceKey     string          `json:"source_key"`
	TargetID      string          `json:"target_id,omitempty"`
	RelatedID     string          `json:"related_id,omitempty"`
	HighLevelID   string          `json:"highlevel_id,omitempty"`
	PayloadDigest string          `json:"payload_digest,omitempty"`
	At            time.Time       `json:"at"`
	Outcome       string          `json:"outcome"`
	HTTPStatus    int             `json:"http_status,omitempty"`
	Reason        string          `json:"reason,omitempty"`
	OutcomeAt     *time.Time      `json:"outcome_at,omitempty"`
	Compensates   int64           `json:"compensates,omitempty"`
	Encrypted     bool            `json:"encrypted"`
	Payload       json.RawMessage `json:"payload,omitempty"`
	Before        json.RawMessage `json:"before,omitempty"`
}

var auditCSVHeader = []string{"entry", "run", "run_kind", "actor", "location", "seq", "op", "object_type",
	"entity", "source_key", "target_id", "related_id", "highlevel_id", "payload_digest", "at", "outcome",
	"http_status", "reason", "outcome_at", "compensates", "encrypted"}

// Audit streams the audit trail: every run (op "run": actor, start, status
// and finish, the map digest as payload digest), every journal entry, then
// every invalid record (op "validate", outcome "invalid").
func (l *Ledger) Audit(ctx context.Context, opts ExportOptions) iter.Seq2[AuditRecord, error] {
	return func(yield func(AuditRecord, error) bool) {
		runs := map[RunID]RunInfo{}
		all, err := l.Runs(ctx)
		if err != nil {
			yield(AuditRecord{}, err)
			return
		}
		inScope := map[RunID]bool{}
		for _, id := range opts.Runs {
			inScope[id] = true
		}
		for _, r := range all {
			runs[r.ID] = r
			if len(opts.Runs) > 0 && !inScope[r.ID] {
				continue
			}
			// The run itself: who started it, when, and how it ended.
			rec := AuditRecord{Run: r.ID, RunKind: r.Kind, Actor: r.Actor, Location: r.Location, Op: "run",
				PayloadDigest: r.MapDigest, At: r.StartedAt, Outcome: string(r.Status)}
			if !r.FinishedAt.IsZero() {
				t := r.FinishedAt
				rec.OutcomeAt = &t
			}
			if !yield(rec, nil) {
				return
			}
		}
		for e, err := range l.Entries(ctx, EntryFilter{Runs: opts.Runs}) {
			if err != nil {
				yield(AuditRecord{}, err)
				return
			}
			ri := runs[e.Run]
			rec := AuditRecord{
				Entry: e.ID, Run: e.Run, RunKind: ri.Kind, Actor: ri.Actor, Location: ri.Location, Seq: e.Seq,
				Op: string(e.Op), ObjectType: e.ObjectType, Entity: e.Entity, SourceKey: e.SourceKey,
				TargetID: e.TargetID, RelatedID: e.RelatedID, HighLevelID: e.HighLevelID,
				PayloadDigest: e.PayloadDigest, At: e.IntentAt, Outcome: outcomeName(e.Outcome),
				HTTPStatus: e.HTTPStatus, Reason: e.Reason, Compensates: e.Compensates, Encrypted: e.KeyID != "",
			}
			if !e.OutcomeAt.IsZero() {
				t := e.OutcomeAt
				rec.OutcomeAt = &t
			}
			if opts.IncludePHI {
				p, err := l.Payload(ctx, e)
				if err != nil {
					yield(AuditRecord{}, err)
					return
				}
				b, err := l.Before(ctx, e)
				if err != nil {
					yield(AuditRecord{}, err)
					return
				}
				rec.Payload, rec.Before = rawJSON(p), rawJSON(b)
			}
			if !yield(rec, nil) {
				return
			}
		}
		for p, err := range l.Problems(ctx, opts.Runs...) {
			if err != nil {
				yield(AuditRecord{}, err)
				return
			}
			if p.Kind != ProblemInvalid {
				continue
			}
			ri := runs[p.Run]
			rec := AuditRecord{Run: p.Run, RunKind: ri.Kind, Actor: ri.Actor, Location: ri.Location,
				Op: "validate", Entity: p.Entity, SourceKey: p.SourceKey, At: p.At, Outcome: string(ProblemInvalid),
				Reason: strings.Join(p.Reasons, "; ")}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// rawJSON keeps valid JSON as is and quotes anything else.
func rawJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}

// WriteAuditJSONL writes the audit trail as JSON Lines.
func (l *Ledger) WriteAuditJSONL(ctx context.Context, w io.Writer, opts ExportOptions) error {
	enc := json.NewEncoder(w)
	for rec, err := range l.Audit(ctx, opts) {
		if err != nil {
			return err
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("rollback: audit export: %w", err)
		}
	}
	return nil
}

// WriteAuditCSV writes the audit trail as CSV, cells neutralised against
// formula injection. With IncludePHI, payload and before columns are added.
func (l *Ledger) WriteAuditCSV(ctx context.Context, w io.Writer, opts ExportOptions) error {
	cw := csv.NewWriter(w)
	header := auditCSVHeader
	if opts.IncludePHI {
		header = append(header[:len(header):len(header)], "payload", "before")
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("rollback: audit export: %w", err)
	}
	for r, err := range l.Audit(ctx, opts) {
		if err != nil {
			return err
		}
		outcomeAt := ""
		if r.OutcomeAt != nil {
			outcomeAt = r.OutcomeAt.Format(time.RFC3339Nano)
		}
		row := []string{itoa(r.Entry), r.Run.String(), cell(string(r.RunKind)), cell(r.Actor), cell(r.Location),
			itoa(int64(r.Seq)), cell(r.Op), cell(r.ObjectType), cell(r.Entity), cell(r.SourceKey), cell(r.TargetID),
			cell(r.RelatedID), cell(r.HighLevelID), cell(r.PayloadDigest), r.At.Format(time.RFC3339Nano),
			cell(r.Outcome), itoa(int64(r.HTTPStatus)), cell(r.Reason), outcomeAt, itoa(r.Compensates),
			strconv.FormatBool(r.Encrypted)}
		if opts.IncludePHI {
			row = append(row, cell(string(r.Payload)), cell(string(r.Before)))
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("rollback: audit export: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("rollback: audit export: %w", err)
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cell neutralises a CSV cell a spreadsheet would read as a formula
// (leading =, +, -, @, tab or carriage return) by prefixing a quote.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// ProblemKind tells invalid (our validation refused it) from rejected
// (HighLevel refused it).
type ProblemKind string

// Problem kinds.
const (
	ProblemInvalid  ProblemKind = "invalid"
	ProblemRejected ProblemKind = "rejected"
)

// Problem is a record that did not arrive, with its reasons.
type Problem struct {
	Kind           ProblemKind
	Run            RunID
	Entity         string
	ObjectType     string
	SourceKey      string
	SourceModified time.Time
	HTTPStatus     int
	Reasons        []string
	At             time.Time
}

// Problems streams invalid then rejected records of the given runs (all
// real runs when none are given: dry runs only when named), one row per
// record: its latest problem in those runs. A record is left out once it
// arrived — a done entry later than its problem, in any run — so a record
// found "not applied" after an interruption and then created, or fixed at
// the source and loaded by a later delta, is no problem to fix.
func (l *Ledger) Problems(ctx context.Context, runs ...RunID) iter.Seq2[Problem, error] {
	return func(yield func(Problem, error) bool) {
		if l.isClosed() {
			yield(Problem{}, ErrClosed)
			return
		}
		// in(col) restricts a run column to the selection; its arguments
		// are appended once per use, in query order.
		var args []any
		in := func(col string) string {
			if len(runs) == 0 {
				return col + " NOT IN (SELECT id FROM runs WHERE kind = '" + string(KindDryRun) + "')"
			}
			for _, r := range runs {
				args = append(args, int64(r))
			}
			return col + " IN (" + placeholders(len(runs)) + ")"
		}
		// Invalid rows: the latest run's row of each record (one sort,
		// not a lookup per row: the invalid table has no index by record
		// alone).
		q := `SELECT 'invalid', i.run, i.entity, '', i.source_key, i.source_modified, 0, i.reasons, i.at, i.id
			FROM (SELECT *, row_number() OVER (PARTITION BY entity, source_key, CASE WHEN source_key = '' THEN id END
				ORDER BY run DESC) AS latest FROM invalid WHERE ` + in("run") + `) i
			WHERE i.latest = 1
			AND (i.source_key = '' OR (NOT EXISTS (SELECT 1 FROM journal d INDEXED BY journal_record
				WHERE d.source_key = i.source_key AND d.entity = i.entity AND d.outcome = 'done' AND d.compensates IS NULL
				AND (d.run > i.run OR (d.run = i.run AND d.outcome_at >= i.at)))))
			UNION ALL
			SELECT 'rejected', j.run, j.entity, j.object_type, j.source_key, j.source_modified, j.http_status, j.reason, j.outcome_at, j.id
			FROM journal j WHERE j.outcome = 'rejected' AND j.compensates IS NULL AND ` + in("j.run") + `
			AND (j.source_key = '' OR NOT EXISTS (SELECT 1 FROM journal k
				WHERE k.source_key = j.source_key AND k.object_type = j.object_type AND k.id > j.id AND k.compensates IS NULL
				AND (k.outcome = 'done' OR (k.outcome = 'rejected' AND ` + in("k.run") + `))))
			ORDER BY 1, 2, 10`
		rows, err := l.read.QueryContext(ctx, q, args...)
		if err != nil {
			yield(Problem{}, fmt.Errorf("rollback: problems: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var (
				p            Problem
				reasons      string
				modified, at sql.NullInt64
				id           int64
			)
			if err := rows.Scan(&p.Kind, &p.Run, &p.Entity, &p.ObjectType, &p.SourceKey, &modified, &p.HTTPStatus, &reasons, &at, &id); err != nil {
				yield(Problem{}, fmt.Errorf("rollback: problems: %w", err))
				return
			}
			p.SourceModified, p.At = fromNanos(modified), fromNanos(at)
			if p.Kind == ProblemInvalid {
				if err := json.Unmarshal([]byte(reasons), &p.Reasons); err != nil {
					p.Reasons = []string{reasons}
				}
			} else if reasons != "" {
				p.Reasons = []string{reasons}
			}
			if !yield(p, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Problem{}, fmt.Errorf("rollback: problems: %w", err))
		}
	}
}

// WriteProblemsCSV writes invalid and rejected records for a person to
// read and fix, cells neutralised against formula injection.
func (l *Ledger) WriteProblemsCSV(ctx context.Context, w io.Writer, runs ...RunID) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"kind", "run", "entity", "object_type", "source_key", "source_modified", "http_status", "reasons", "at"}); err != nil {
		return fmt.Errorf("rollback: problems export: %w", err)
	}
	for p, err := range l.Problems(ctx, runs...) {
		if err != nil {
			return err
		}
		modified := ""
		if !p.SourceModified.IsZero() {
			modified = p.SourceModified.Format(time.RFC3339Nano)
		}
		status := ""
		if p.HTTPStatus != 0 {
			status = strconv.Itoa(p.HTTPStatus)
		}
		if err := cw.Write([]string{string(p.Kind), p.Run.String(), cell(p.Entity), cell(p.ObjectType), cell(p.SourceKey),
			modified, status, cell(strings.Join(p.Reasons, "; ")), p.At.Format(time.RFC3339Nano)}); err != nil {
			return fmt.Errorf("rollback: problems export: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("rollback: problems export: %w", err)
	}
	return nil
}
