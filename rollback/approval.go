package rollback

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SampleApproval is a person's sign-off of a sample: who approved it, when,
// the digest of the sample report they reviewed and the digest of the field
// map the sample ran with. A full run checks MapDigest against its own map:
// a map changed after the approval is not approved.
type SampleApproval struct {
	Actor        string    `json:"actor"`
	MapDigest    string    `json:"mapDigest"`
	ReportDigest string    `json:"reportDigest"`
	At           time.Time `json:"at"`
}

// sampleApprovalPrefix keys the approvals in the meta table, one row per
// approval (never overwritten: the history is the audit trail), numbered
// so the latest sorts last.
const sampleApprovalPrefix = "sample_approval/"

// sampleApprovalEnd bounds the approvals' keys from above: the prefix
// with its last byte plus one ('/' + 1 = '0'), valid text in both backends
// (PostgreSQL's UTF-8 text has no "\xff"); keys compare bytewise (BINARY
// in SQLite, COLLATE "C" in PostgreSQL).
const sampleApprovalEnd = "sample_approval0"

func sampleApprovalAAD(key string) string { return "meta/" + key }

// sealedMeta is a meta value sealed like the journal's payloads: with the
// ledger's current key when it has one (KeyID names it), in clear otherwise.
type sealedMeta struct {
	KeyID string `json:"keyId,omitempty"`
	Blob  string `json:"blob"`
}

// ApproveSample records a sample sign-off. Actor, MapDigest and
// ReportDigest are required; At defaults to the ledger's clock. The
// record is sealed with the ledger's key (the actor names a person) and
// kept beside the earlier approvals, which stay as the audit trail
// (SampleApprovals); SampleApproval returns the latest.
func (l *Ledger) ApproveSample(ctx context.Context, a SampleApproval) error {
	if l.isClosed() {
		return ErrClosed
	}
	if l.opts.ReadOnly {
		return ErrReadOnly
	}
	switch {
	case strings.TrimSpace(a.Actor) == "":
		return invalidArg("actor", "empty: say who approves the sample")
	case a.MapDigest == "":
		return invalidArg("map digest", "empty")
	case a.ReportDigest == "":
		return invalidArg("report digest", "empty")
	}
	if a.At.IsZero() {
		a.At = l.now()
	}
	a.At = a.At.UTC()
	plain, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("rollback: sample approval: %w", err)
	}
	return l.w.submit(ctx, func(t *wtx) error {
		// A fixed-width sequence number keeps the rows in the order they
		// were approved (the writer serialises requests, so the count
		// cannot race).
		var n int
		if err := t.w.conn.QueryRowContext(t.ctx, `SELECT count(*) FROM meta WHERE key >= ? AND key < ?`,
			sampleApprovalPrefix, sampleApprovalEnd).Scan(&n); err != nil {
			return fmt.Errorf("rollback: sample approval: %w", err)
		}
		key := fmt.Sprintf("%s%08d", sampleApprovalPrefix, n+1)
		blob, keyID, err := l.seal.seal(plain, sampleApprovalAAD(key))
		if err != nil {
			return err
		}
		v, err := json.Marshal(sealedMeta{KeyID: keyID, Blob: hex.EncodeToString(blob)})
		if err != nil {
			return err
		}
		_, err = t.execSQL(`INSERT INTO meta(key, value) VALUES(?, ?)`, key, string(v))
		return err
	})
}

// SampleApproval returns the latest sample sign-off, or nil when the
// ledger holds none.
func (l *Ledger) SampleApproval(ctx context.Context) (*SampleApproval, error) {
	all, err := l.SampleApprovals(ctx)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return &all[len(all)-1], nil
}

// SampleApprovals returns every sample sign-off, oldest first.
func (l *Ledger) SampleApprovals(ctx context.Context) ([]SampleApproval, error) {
	if l.isClosed() {
		return nil, ErrClosed
	}
	rows, err := l.read.QueryContext(ctx, `SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key`,
		sampleApprovalPrefix, sampleApprovalEnd)
	if err != nil {
		return nil, fmt.Errorf("rollback: sample approvals: %w", err)
	}
	type row struct{ key, value string }
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.value); err != nil {
			rows.Close()
			return nil, fmt.Errorf("rollback: sample approvals: %w", err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rollback: sample approvals: %w", err)
	}
	out := make([]SampleApproval, 0, len(rs))
	for _, r := range rs {
		var sm sealedMeta
		if err := json.Unmarshal([]byte(r.value), &sm); err != nil {
			return nil, fmt.Errorf("rollback: sample approval %s: %w", r.key, err)
		}
		blob, err := hex.DecodeString(sm.Blob)
		if err != nil {
			return nil, fmt.Errorf("rollback: sample approval %s: %w", r.key, err)
		}
		plain, err := l.seal.open(ctx, blob, sm.KeyID, sampleApprovalAAD(r.key))
		if err != nil {
			return nil, err
		}
		var a SampleApproval
		if err := json.Unmarshal(plain, &a); err != nil {
			return nil, fmt.Errorf("rollback: sample approval %s: %w", r.key, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// sampleSkippedKey marks a run started without an approved sample.
func sampleSkippedKey(id RunID) string { return "sample_skipped/" + id.String() }

// SkipSample journals that the run was started without an approved sample,
// knowingly (the host's -skip-sample), so the audit trail says so.
func (r *Run) SkipSample(ctx context.Context) error {
	return r.l.w.submit(ctx, func(t *wtx) error {
		_, err := t.execSQL(`INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING`,
			sampleSkippedKey(r.id), r.l.now().UTC().Format(time.RFC3339Nano))
		return err
	})
}

// SampleSkipped reports whether the run was started without an approved
// sample (Run.SkipSample).
func (l *Ledger) SampleSkipped(ctx context.Context, id RunID) (bool, error) {
	if l.isClosed() {
		return false, ErrClosed
	}
	var n int
	if err := l.read.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key = ?`, sampleSkippedKey(id)).Scan(&n); err != nil {
		return false, fmt.Errorf("rollback: sample skipped: %w", err)
	}
	return n > 0, nil
}
