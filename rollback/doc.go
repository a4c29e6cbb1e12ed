// Package rollback is the run ledger of a Practice by Numbers → HighLevel
// migration and its Undo: every mutating call is journaled before it is
// made and its outcome after, so a run is auditable, resumable after a
// crash, and reversible — including the records it updated.
//
// # The ledger
//
// One SQLite file per migration project (modernc.org/sqlite, pure Go), in
// WAL mode with a busy timeout and foreign keys on, with a versioned schema
// that Open migrates forward in place. It records:
//
//   - runs (schema, sample, full, delta, undo) with map digest, location,
//     actor, start and finish, status and counters (Ledger.Runs, Ledger.Run);
//   - sample sign-offs (approval.go): Ledger.ApproveSample keeps each
//     approval (actor, time, report digest, map digest) in meta, sealed
//     with the ledger's key, never overwritten; Ledger.SampleApproval is
//     the latest, Ledger.SampleApprovals all; Run.SkipSample marks a run
//     started without one (Ledger.SampleSkipped);
//   - the write-ahead journal: Run.Intent before each call (operation,
//     object type, source key, payload digest and payload, before-image of
//     an update), Run.Outcome after it (done with the HighLevel id, rejected
//     with status and reason, or unknown). Ledger.Pending lists intents a
//     crash left without outcome, for the runner to resolve by looking the
//     record up by its external id before any retry;
//   - the id map (Ledger.Lookup, Ledger.IDMap): (object type, source key) →
//     HighLevel id, digest of what was written, and the run that wrote it;
//     it follows the last write, so a done delete removes the record's row;
//   - watermarks per source entity (Run.Advance, Ledger.Watermark) that
//     never move past a record that failed;
//   - invalid records (Run.Invalid) and rejected ones, exportable for a
//     person (Ledger.WriteProblemsCSV) and an audit trail of every entry
//     (Ledger.WriteAuditJSONL, Ledger.WriteAuditCSV) without PHI unless asked.
//
// Usage by a migration runner:
//
//	l, err := rollback.Open(ctx, "practice.ledger", rollback.Options{Key: key})
//	run, err := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, Location: loc})
//	seq, err := run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: "contact",
//		SourceKey: patient.ID, Payload: body})
//	contact, err := hl.Contacts.Create(ctx, ...)   // only after Intent returned
//	err = run.Outcome(ctx, seq, rollback.Done(contact.ID))
//
// # Backends
//
// Open takes a ledger location. A file path, or "sqlite:" followed by one,
// opens the SQLite ledger above. A postgres:// or postgresql:// URL opens
// the ledger on PostgreSQL (pgx's database/sql driver), behind the same
// API and with the same semantics: the write-ahead journal, id map,
// watermarks, problems, audit exports, encryption and Undo, and the same
// test suite (every ledger test runs on both backends: eachBackend in
// backends_test.go).
//
//   - Layout: one ledger per database, or per schema when the URL sets
//     search_path (postgres://host/db?search_path=practice_a) — the
//     counterpart of one ledger per SQLite file, so tables keep their names
//     and no statement needs a migration_id column. The database (and the
//     schema) must exist; Open creates and migrates the ledger's tables in
//     it (schema version in the one-row table pbnhl_schema_version, each
//     step in one transaction under a transaction-level advisory lock, so
//     processes opening one new ledger at once apply each step once). The
//     DDL is derived from the SQLite migrations (pgDDL: identity row ids,
//     BIGINT, BYTEA, text columns COLLATE "C" so that they compare and sort
//     bytewise like SQLite's BINARY whatever the database's locale).
//   - Statements: the package's SQL is written in the form both dialects
//     run; the driver connection rewrites each one on its way (pgSQL: ?
//     placeholders become $n, SQLite's INDEXED BY hints go), and
//     TestPostgresStorageStatements prepares every SQL literal of the
//     package on a real server, so a SQLite-only statement fails the suite.
//     The batched intent inserts take their ids from RETURNING (matched by
//     run and sequence), as BeginRun does.
//   - One writer per ledger: the writer's connection holds a session
//     advisory lock keyed by the migration id for the ledger's life. A
//     second writable Open — another process, or another handle of this
//     one — fails with ErrLedgerLocked (a *LockedError naming the holding
//     session: backend pid, application name "pbnhl ledger (pid N on
//     HOST)", client, connected since); the lock is freed when the holder
//     closes the ledger (Close releases it before the session goes) or its
//     session ends (a killed process's session ends with it, and the next
//     Open then closes its runs as interrupted). The server ends a dead
//     client's session asynchronously: a lock held by a ledger process of
//     this host that has exited is waited for, up to 5 s; any other
//     holder is reported at once.
//     A ReadOnly Open works meanwhile. (SQLite lets several processes open
//     one file; only one may journal into a given run.) Should the server
//     end the writer's session (a restart, pg_terminate_backend), the lock
//     goes with it and every later write of that handle fails — none goes
//     through another session without the lock — until the ledger is
//     opened again (TestPostgresWriterSessionLost).
//   - Transactions: the group-commit writer's batch is one BEGIN … COMMIT,
//     as SQLite's BEGIN IMMEDIATE is. DurabilityFull leaves the server's
//     synchronous_commit as configured (on by default: a commit returns
//     once the server's WAL is flushed); DurabilityNormal sets it off for
//     the ledger's sessions (a server crash can lose the last commits),
//     unless the URL sets it.
//   - Connections: an open ledger uses at most 9 server sessions (the
//     writer's and up to 8 readers, which an idle ledger gives back after
//     30 s): size max_connections for the ledgers open at once; a pooler in
//     front must run in session mode (the writer lock is a session lock).
//   - Read-only: ReadOnly and MustExist create nothing (a database without
//     a ledger, or no database, is ErrNoLedger, matching fs.ErrNotExist);
//     ReadOnly's connections run with default_transaction_read_only.
//   - Purge: after dropping the payloads and before-images, VACUUM FULL
//     rewrites the journal and meta into new files (no dead tuple keeps a
//     dropped value) and a CHECKPOINT lets the server unlink the old files
//     and recycle its WAL; a role that may not CHECKPOINT (it needs
//     superuser or pg_checkpoint) gets a warning in the log and the server
//     does it at its next checkpoint. The server's WAL archive and backups
//     are the operator's: what they keep is outside the ledger's reach, as
//     a copy of a SQLite file is. TestPurgeLeavesNoPHIInTheFile reads the
//     database's files on the test cluster after a purge.
//   - Encryption at rest is unchanged: payloads and before-images are
//     sealed before they reach either backend.
//
// Errors and logs carry a database location only through RedactDSN,
// which replaces the URL's password and any password= parameter with
// "xxxxx" (Info.Path is the redacted location). The tests' PostgreSQL
// (postgres_harness_test.go): PBNHL_POSTGRES_URL when set, else one
// throwaway cluster per test binary from Debian's postgresql binaries
// (initdb in a temp dir, unix socket only, fsync off except under -bench;
// as root it runs as the postgres user, since initdb refuses root); the
// PostgreSQL subtests skip with a message only when neither is available;
// .ci/run installs the package when missing.
//
// # Encryption at rest
//
// With Options.Key (32 bytes) or Options.KeyProvider, payloads and
// before-images — the only columns holding field values — are sealed with
// AES-256-GCM under a random nonce, bound to their row and column, with the
// key id stored beside them. Opening with the wrong key fails with
// ErrWrongKey (checked on Open against a sealed check value, and again on
// every decryption); opening an encrypted ledger without a key fails with
// ErrKeyRequired. Storing them in clear is never a default: a writable
// Open with neither a key nor Options.Plaintext fails with ErrNoKey (its
// message says how to choose). With Plaintext the ledger says so:
// Info.Encryption is "none", Info.PlaintextEntries counts them, and Open
// logs it to Options.Logger (a ledger opened without one logs nothing).
// Ids, digests, object types and reasons are not encrypted;
// reasons must name fields, never values.
//
// # Security and retention
//
// What the file holds, and for how long:
//
//   - Field values (patient data) live only in payloads and before-images,
//     sealed with the key (above). Before-images keep only what Undo needs:
//     an update's image is cut down, at Run.Intent, to the fields its
//     payload writes (custom fields by id, properties by name), the record's
//     id and, for a note, its body (a note restore must send it); a
//     delete's image to the id. A field absent from the cut image was empty
//     before and is cleared by Undo. Restoring a record several updates
//     wrote, Undo takes each field from the image of the first update that
//     wrote it.
//   - Owner-only files whatever the umask: Open creates a new ledger itself
//     (O_EXCL, 0600) before SQLite opens it, and SQLite gives its -wal,
//     -shm and -journal files the ledger's mode. An existing ledger (or
//     sidecar) that others can read or write is tightened to 0600 by a
//     writable Open, which fails if it cannot (a file owned by someone
//     else); a ReadOnly Open leaves modes alone.
//   - Nothing is created by accident: Options.MustExist refuses a missing
//     file (ErrNoLedger, matching fs.ErrNotExist) and creates nothing, and
//     Options.ReadOnly implies it, writes nothing (ErrReadOnly), migrates
//     nothing (an older schema is refused) and removes the -wal and -shm
//     SQLite creates even for a read-only connection, unless another
//     connection still uses them.
//   - Info.MigrationID names the migration the ledger records: 128 random
//     bits in hex, made when the file is created (on the first writable
//     Open of a ledger older than ids) and never changed.
//   - Retention: after sign-off, Ledger.Purge drops the payloads and
//     before-images of the runs named (finished, with every outcome
//     settled, undos of them included), then VACUUMs the file and truncates its WAL so that no
//     dropped value stays in free pages or old WAL frames. Ids, digests,
//     outcomes, reasons, the id map, watermarks, invalid records and the
//     runs stay (the audit trail; resume and delta work as before); meta
//     records each purge. PurgeReport counts what was dropped and the
//     updates Undo can no longer restore. Undo of a purged run still
//     deletes and unlinks what it created, but refuses an unforced delete
//     it can no longer change-check, and reports every update it can no
//     longer restore as irreversible with a reason starting "purged: "
//     (UndoReport.Purged counts both; Ledger.PurgedAt says when a run was
//     purged). The compensations an Undo journaled for a purged run's
//     entries (a restore carries a before-image as its payload) are
//     purged with it.
//
// # Throughput and what a power loss can lose
//
// All writes go through one writer goroutine that takes everything queued
// into a single transaction and commit (group commit): callers of Intent
// and Outcome wait until their entry is committed, and concurrent callers
// share one fsync. BenchmarkJournal measures intent+outcome pairs per
// second and per CPU-second: on a 2-core machine shared with other builds
// (load average 5–18), 11,000–39,000 pairs/s with 256 concurrent callers
// and 14,000–44,000 with 1,024, steadily 35,000–48,000 pairs per
// CPU-second; a single caller waits for two fsyncs per pair. A migration makes at most 10 HighLevel calls a
// second per location, so journaling never paces it.
//
// On PostgreSQL (BenchmarkJournal/backend=postgres: the local test
// cluster, same machine, fsync on, unix socket; run of 2026-12-05 beside
// SQLite on the same load): 51–98 pairs/s with one caller (SQLite 316–326)
// and 2,000–3,300 with 256 (SQLite 10,200–10,700), 13,500–13,600 pairs
// per CPU-second of this process (SQLite 30,300–30,800; the server's CPU
// is not counted). A round trip per statement and the server's WAL flush
// per commit cost a single caller most; group commit recovers much of it
// under load (144–148 entries per commit). Both are far above the 10
// calls a second a location allows.
//
// With DurabilityFull (the default, SQLite synchronous=FULL in WAL mode)
// every commit fsyncs the WAL before any waiting caller returns. A power
// loss therefore loses only entries whose Intent or Outcome call had not
// yet returned:
//
//   - a lost intent: its caller never got a sequence number, so the call
//     was never made — nothing happened at HighLevel;
//   - a lost outcome: the call may have been applied, but its intent is
//     durable and shows in Pending, so the runner looks the record up by its
//     external id and records what it finds before any retry.
//
// No call can reach HighLevel without a durable intent before it: that
// write-ahead order, not the outcome, is what prevents duplicates. (This
// assumes the disk honours fsync, as SQLite does; a drive whose write cache
// lies can lose more.)
//
// DurabilityNormal (synchronous=NORMAL) skips the fsync per commit: a
// process crash still loses nothing, but a power loss can lose the last
// commits since a WAL checkpoint — intents included, so a call made just
// before the power loss might have no intent. Use it only with a runner
// that looks every record up by external id before creating it.
//
// A cancelled context may return before a queued write commits; the write
// may still commit. An intent written whose call was then not made reads as
// pending and resolves to "not found" by lookup: harmless.
//
// # Undo
//
// Undo replays compensations against a Target — delete what a run created,
// restore from the before-image what it updated (exactly the fields it
// wrote, clearing those that were empty before), unlink what it linked,
// delete schema elements it created — in reverse journal order, so
// children go before parents and links before the records they join. Several
// writes of one record collapse into one compensation (a record created and
// then updated is only deleted; two updates restore the first
// before-image). Undo is:
//
//   - previewable: DryRun returns the exact compensation list, change checks
//     included (reads only);
//   - scoped to one or several runs and optionally some object types;
//   - recorded as a run of kind undo whose entries point at the entries
//     they compensate;
//   - idempotent: what an earlier Undo completed is skipped, and a delete or
//     unlink that finds nothing (404) counts as done;
//   - resumable: a crashed Undo's pending compensations are re-executed
//     (every compensation is idempotent) and then closed as superseded;
//   - careful: before deleting or restoring a record it asks the Target for
//     the digest of the record's current state over the fields we last
//     wrote and compares it with Digest of what we wrote; a record changed
//     since, or written again by a run the Undo does not cover, is refused
//     and reported unless UndoOptions.Force is set.
//
// Against HighLevel an Undo costs two calls per compensation (the read of
// the change check and the compensating call; a restore that must clear
// tags one more), or one with Force, which skips the read: at 100 calls per
// 10 s that is 5 or 10 records a second (BenchmarkUndoHighLevel).
//
// Deletes and unlinks made by a run cannot be reversed (HighLevel deletes
// are final); Undo reports them as irreversible. Entries whose outcome is
// unknown or pending (a run killed mid-write) are first settled by lookup
// when the Target is also a [Settler] (HighLevel is): after each one's
// in-flight horizon, creates are looked up by their identity (external id,
// identity marker line; never a candidate created before the intent or one
// the ledger knows as another intent's; of several, the one created last),
// links by their two records, updates by the state they wrote, and the
// outcome found is journaled, so they are undone like the rest. Those a
// lookup cannot settle are reported as unresolved, and the next Undo tries
// again. The create lookups are [FindContact], [FindRecord],
// [FindOpportunity], [FindBusiness], [FindNote] and [FindTask] (find.go):
// pbnhl's load settles its own unknown outcomes with the same functions,
// so a record is found by one search whether a resume or an Undo asks.
//
// A link journaled with a before-image (a contact moved from its business
// to ours) is restored rather than removed. A contact's tag calls are such
// links ([TypeContactTagsAdded], [TypeContactTagsRemoved]: the body sent,
// and as before-image the tags of its list the contact had): the restore
// removes the tags an add gave the contact, gives back those a removal
// took off, and touches no other tag, so its change check only asks that
// the contact exists; [TagsApplied] settles an unknown outcome, in a
// resumed run (pbnhl's) and in Undo alike.
//
// HighLevelTarget (NewHighLevelTarget) is the Target on top of the highlevel client.
// Each record type it undoes is one recordKind (delete, read, restore,
// change check) beside its code, registered with one line in kinds.go;
// its methods look the kind up rather than switch on the type. A caller
// that writes a record type of its own supplies its undo instead
// (HighLevelTarget.WithKinds with a RecordKind: Delete, and what its
// records allow of Read, Restore, Exists, Digest); a supplied kind is
// looked up ahead of a built-in one of the same type, so the package
// that writes a type can keep its one delete and read. Events,
// conversations and messages, and media have no built-in kind: pbnhl's
// targets supply theirs (pbnhl.UndoKinds, pbnhl.UndoTarget), and a
// target without them reports those records as irreversible.
//
// # Run records: in-flight horizon
//
// An intent carries Intent.InflightUntil, the instant after which its
// request can no longer be in flight (intent time + the transport's
// request timeout + HighLevel's search lag), journaled with it and
// returned on Entry.InflightUntil by Pending and Entries. A write still in
// flight when the process died can be applied after a lookup that found
// nothing, so a resume settles a pending intent by lookup only once that
// instant has passed (or waits for it); zero means the runner did not
// bound its requests.
//
// # Run records: adopted objects
//
// Adopted(id) is the done outcome of an intent whose object the call did
// not create: it existed before this ledger's intent, or was matched by
// identity rather than created (a relation HighLevel reports as existing,
// a record the ledger learns from the location). Entry.Origin and
// IDMapEntry.Origin say "adopted" (an id-map row first written by an update
// is adopted too: the ledger did not know the record); anything else a
// done create, schema change or link wrote is "created". Undo deletes,
// unlinks or drops only what was created: an adopted object the runs also
// updated is restored from the first update's before-image, and one they
// did not change is reported as StateLeftInPlace and never called — with
// Force too, which overrides change checks, never origins.
//
// # Run records: dry runs
//
// A dry run that wants its findings kept begins a run of kind
// RunKindDryRun and records its invalid records there (Run.Invalid). It
// journals no calls (Intent refuses), moves no watermark (Advance
// refuses), and stays out of the real totals: Problems and
// WriteProblemsCSV without run ids leave dry runs out, and naming the dry
// run's id lists its problems alone.
//
// # Run records: adopt runs
//
// A run of kind KindAdopt (pbnhl's Migration.Adopt) rebuilds a lost id
// map from the destination: each object found by identity is journaled as
// a create intent settled at once, with no payload, as Done when the
// location proves the objects are the migration's (Undo deletes them,
// unchecked: there is no payload to compare) or Adopted when nothing does
// (Undo leaves them in place). It makes no call that writes.
//
// # Run records: interrupted runs
//
// A run records which process holds it (host, pid, the pid's start time
// where the platform tells it, and the Ledger handle). BeginRun and
// ResumeRun first close as StatusInterrupted every running run whose
// holder is known to be gone — a process killed mid-run, or in this
// process a Ledger handle closed without finishing its run — so killed
// runs do not stay running forever. A run whose holder is alive, on
// another host, or cannot be probed (a run written before holders were
// recorded, a platform without a process probe) is left alone. ResumeRun
// takes up an interrupted run again (its pending intents are still
// there), and refuses with ErrRunHeld a run another live process on this
// host is journaling into.
//
// # Run records: what Undo leaves behind
//
// An Undo that reversed everything reversible succeeds
// (UndoReport.Reversed): compensations nothing can make through the API —
// a pipeline or custom object schema HighLevel cannot delete (known to the
// HighLevel target before any call, through Irreversibility, so no intent
// is journaled and nothing counts as rejected), a delete the run made —
// are listed by UndoReport.ManualSteps for a person to do in the app.
// Once an Undo over whole runs (no ObjectTypes filter) succeeds, each run
// reads StatusUndone with RunInfo.UndoneBy naming the undo run. An Undo
// that finds nothing left to do (every compensation already done, left in
// place or a manual step) reports NothingToUndo and records no run, so a
// repeated undo is never a failed run.
//
// # Run records: one outcome per record and run
//
// A run resumed after interruptions journals several attempts of some
// records; its record still has one outcome. Counters count records for
// Rejected and Invalid: a rejection (such as "not applied: not found by
// lookup after an interruption") followed by a done entry of the same
// record (object type and source key) in the run is no rejection, a record
// refused by several attempts counts once, and the entries that are not a
// record's outcome are Counters.Retried. Run.Invalid keeps one row per
// record and run, updated by later attempts, and a record done after it in
// the run is not invalid. Problems (and WriteProblemsCSV) list one row per
// record — its latest problem in the runs selected — and leave out records
// that a later done entry, in any run, shows arrived. Advance is not held
// back by a failure a later attempt of the run made good. After any number
// of interruptions the counters and the problems export equal those of the
// same run done in one go (TestResumedRunCountsLikeUninterrupted). The
// index that finds a record's entries (journal by source key and object
// type) costs journaling some CPU: BenchmarkJournal with 256 callers on
// the shared 2-core machine measured 17,500–23,700 pairs per CPU-second
// with it and 21,500–28,100 without, far above what 10 HighLevel calls a
// second need.
//
// # Run records: unknown outcomes in Undo
//
// A compensating call whose answer is lost (a 5xx or 429 after the
// client's retries, a reset, a timeout: ErrOutcomeUnknown, which the
// HighLevel target reports for every failure but HighLevel's final 4xx
// refusals) is settled within the same undo run: its unknown outcome is
// journaled, then Undo looks — a Prober (the HighLevel target reads the
// record, the contact's business, the relation among its record's
// relations, the custom field) says the thing is gone, so the delete or
// unlink is done; a restore is done when the record visibly holds the
// before-image of every field it sets — and otherwise makes the
// idempotent compensation again (a delete already applied answers not
// found), up to a few times with doubling waits. One re-run after a kill
// therefore finishes the undo (TestUndoAfterKillFinishesInOneRerun).
//
// # Concurrency
//
// A Ledger is safe for many goroutines of one process. Several processes
// may open the same SQLite file (SQLite locking with the busy timeout), but
// only one may journal into a given run: sequence numbers are allocated in
// memory. A PostgreSQL ledger has one writable handle at a time
// (ErrLedgerLocked; see Backends).
//
// Runnable examples (example_test.go files; pkg.go.dev shows them): Example,
// ExampleNewHighLevelTarget, ExampleUndo, ExampleUndoOptions_concurrency.
package rollback
