package rollback

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] takes the schema from version i to version i+1. A migration
// is never edited once released: later changes are new entries, so a ledger
// written by any older version opens and is brought forward in place.
var migrations = []string{
	// 1: runs, the write-ahead journal and the id map.
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE runs (
		id          INTEGER PRIMARY KEY,
		kind        TEXT    NOT NULL,
		map_digest  TEXT    NOT NULL DEFAULT '',
		location    TEXT    NOT NULL DEFAULT '',
		started_at  INTEGER NOT NULL,
		finished_at INTEGER,
		status      TEXT    NOT NULL
	);
	CREATE TABLE journal (
		id             INTEGER PRIMARY KEY,
		run            INTEGER NOT NULL REFERENCES runs(id),
		seq            INTEGER NOT NULL,
		op             TEXT    NOT NULL,
		object_type    TEXT    NOT NULL,
		source_key     TEXT    NOT NULL DEFAULT '',
		target_id      TEXT    NOT NULL DEFAULT '',
		payload_digest TEXT    NOT NULL DEFAULT '',
		payload        BLOB,
		before         BLOB,
		key_id         TEXT    NOT NULL DEFAULT '',
		intent_at      INTEGER NOT NULL,
		outcome        TEXT,
		hl_id          TEXT    NOT NULL DEFAULT '',
		http_status    INTEGER NOT NULL DEFAULT 0,
		reason         TEXT    NOT NULL DEFAULT '',
		outcome_at     INTEGER,
		UNIQUE (run, seq)
	);
	CREATE TABLE idmap (
		object_type TEXT    NOT NULL,
		source_key  TEXT    NOT NULL,
		hl_id       TEXT    NOT NULL,
		digest      TEXT    NOT NULL DEFAULT '',
		run         INTEGER NOT NULL REFERENCES runs(id),
		updated_at  INTEGER NOT NULL,
		PRIMARY KEY (object_type, source_key)
	) WITHOUT ROWID;`,

	// 2: delta support — source entity and modified time on intents,
	// invalid records, and watermarks.
	`ALTER TABLE journal ADD COLUMN entity TEXT NOT NULL DEFAULT '';
	ALTER TABLE journal ADD COLUMN source_modified INTEGER;
	CREATE TABLE invalid (
		id              INTEGER PRIMARY KEY,
		run             INTEGER NOT NULL REFERENCES runs(id),
		entity          TEXT    NOT NULL,
		source_key      TEXT    NOT NULL,
		source_modified INTEGER,
		reasons         TEXT    NOT NULL,
		at              INTEGER NOT NULL
	);
	CREATE INDEX invalid_run ON invalid(run, entity);
	CREATE INDEX journal_unsettled ON journal(run, entity, source_modified)
		WHERE outcome IS NULL OR outcome IN ('rejected', 'unknown');
	CREATE TABLE watermarks (
		entity     TEXT PRIMARY KEY,
		at         INTEGER NOT NULL,
		run        INTEGER NOT NULL REFERENCES runs(id),
		updated_at INTEGER NOT NULL
	) WITHOUT ROWID;`,

	// 3: undo — who ran a run, relation endpoints, compensation links, and
	// the journal entry behind each id-map row (for the change check).
	`ALTER TABLE runs ADD COLUMN actor TEXT NOT NULL DEFAULT '';
	ALTER TABLE journal ADD COLUMN related_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE journal ADD COLUMN compensates INTEGER REFERENCES journal(id);
	ALTER TABLE idmap ADD COLUMN entry INTEGER;
	CREATE INDEX journal_compensates ON journal(compensates) WHERE compensates IS NOT NULL;`,

	// 4: id-map rows by HighLevel id. An undo (or a delete) removes or
	// clears the row of the record it acted on by its HighLevel id; without
	// this index each of those statements scanned every row of the object
	// type, so undoing n records cost O(n²) (an undo of 100,000 records
	// spent most of its time there). On hl_id alone: the index of a WITHOUT
	// ROWID table carries the primary key (object_type leads it), and SQLite's
	// planner, without statistics, prefers the primary key's object_type
	// prefix over an (object_type, hl_id) index.
	`CREATE INDEX idmap_hl_id ON idmap(hl_id);`,

	// 5 (journal and run records): the instant after which an intent's
	// request can no longer be in flight; whether a done entry and an id-map
	// row created the object or adopted one that existed (Undo never
	// deletes an adopted object); which undo run undid a run, and which
	// process holds a running run (so a later one can close it as
	// interrupted once that process is gone); one invalid row per record
	// and run (a resumed attempt updates it: older duplicates are dropped);
	// journal entries by record, so a rejection later settled as done
	// within the run is found without a scan.
	`ALTER TABLE journal ADD COLUMN inflight_until INTEGER;
	ALTER TABLE journal ADD COLUMN origin TEXT NOT NULL DEFAULT '';
	ALTER TABLE idmap ADD COLUMN origin TEXT NOT NULL DEFAULT 'created';
	ALTER TABLE runs ADD COLUMN undone_by INTEGER;
	ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
	DELETE FROM invalid WHERE source_key <> '' AND id NOT IN
		(SELECT max(id) FROM invalid WHERE source_key <> '' GROUP BY run, entity, source_key);
	CREATE UNIQUE INDEX invalid_record ON invalid(run, entity, source_key) WHERE source_key <> '';
	CREATE INDEX journal_record ON journal(source_key, object_type);`,
}

// SchemaVersion is the schema version this library writes (the number of
// migrations).
const SchemaVersion = 5

// migrate brings db forward to version target, one transaction per step.
// It returns the version found before migrating.
func migrate(ctx context.Context, db *sql.DB, target int) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("rollback: migrate: %w", err)
	}
	defer conn.Close()
	var from int
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&from); err != nil {
		return 0, fmt.Errorf("rollback: read schema version: %w", err)
	}
	if from > len(migrations) {
		return from, fmt.Errorf("%w: file has version %d, library knows %d", ErrSchemaTooNew, from, len(migrations))
	}
	for {
		done, err := migrateStep(ctx, conn, target)
		if err != nil || done {
			return from, err
		}
	}
}

// migrateStep applies the next migration under an immediate transaction,
// re-reading the version inside it so two processes opening the same file
// never apply a step twice.
func migrateStep(ctx context.Context, conn *sql.Conn, target int) (bool, error) {
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return false, fmt.Errorf("rollback: migrate: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	var v int
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return false, fmt.Errorf("rollback: read schema version: %w", err)
	}
	if v >= target {
		return true, nil
	}
	if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("rollback: migrate to version %d: %w", v+1, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
		return false, fmt.Errorf("rollback: set schema version %d: %w", v+1, err)
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return false, fmt.Errorf("rollback: commit migration %d: %w", v+1, err)
	}
	committed = true
	return v+1 >= target, nil
}
