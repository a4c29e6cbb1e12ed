// Package pbnhl moves a dental practice from Practice by Numbers (PbN) to
// HighLevel.
//
// The module is a library of connectors and migration primitives that host
// programs compose:
//
//   - [github.com/pbnhl/pbnhl/highlevel]: a typed client for HighLevel API v2,
//     with [github.com/pbnhl/pbnhl/highlevel/hltest], a faithful in-process
//     simulator for tests and rehearsals.
//   - [github.com/pbnhl/pbnhl/practicebynumbers]: the typed source connector (a
//     REST client for the contract this project defines, and a reader of CSV
//     export folders), with practicebynumbers/pbntest, a generator of realistic,
//     messy practices and a simulator of the REST contract.
//   - mapping: the approved field map, transforms, validation, schema plan and
//     owner resolution.
//   - rollback: the SQLite run ledger (write-ahead journal, id map, watermarks,
//     audit trail) and Undo.
//
// # Migration
//
// [Migration] composes them into the phases of a real migration, each
// callable on its own and each recorded as a run in the ledger:
//
//   - [Migration.ApplySchema] creates the custom fields, custom objects,
//     associations and pipelines the approved map needs (journaled, so Undo
//     removes them) and verifies the location.
//   - [Migration.Preflight] writes nothing: the map's approval matches its
//     content, the schema exists, staff resolve to users (the unmatched
//     listed with the records each affects, a fallback set for contacts,
//     plans and notes; an appointment or treatment record is owned by its
//     provider's user and followed by its hygienist's, never by the
//     fallback), every record is transformed and validated,
//     and the API calls are estimated per object and in total, with the
//     duration at the burst limit and a plan by day ([Estimate].Plan):
//     the location's daily quota and what is left of it today (read from
//     HighLevel's X-RateLimit-Limit-Daily and -Daily-Remaining headers),
//     the client's rate, the schema and setup calls, laid over the days
//     in the run's load order (contacts, businesses and opportunities
//     before the history), with the cutover time. The estimate is what
//     [Migration.Load] then spends. It blocks what would
//     not migrate, each a [Blocker] with its reason, file and line when
//     known, and what to do: a source file unreadable, cut inside a row or
//     not in its encoding; a column the map's required rules, required
//     links or source keys read missing from an export's header; an object
//     whose records invalid for their own data (an unreadable row counts;
//     duplicates the map holds back and records whose parent is not
//     migrated are listed, not counted) exceed [Options].MaxInvalidShare
//     (default 2%; AcceptInvalid goes on knowingly and is reported); and
//     location settings the records contradict (contacts sharing an e-mail
//     or phone need Allow Duplicate Contact). Opportunities a location
//     without Allow Duplicate Opportunity would refuse are predicted, not
//     blocked: "N opportunities would duplicate a contact's pipeline", a
//     warning, counted invalid in the validation and left out of the
//     estimate, as the run holds them back (see below).
//     A full [Migration.Load] makes the same source checks before it writes
//     anything and refuses with a *[SourceNotReadyError] ([ErrSourceNotReady]).
//     Invalid reasons are listed by frequency per object, in the preflight
//     text and in every data phase's [Report].Invalid; a dry run records
//     its invalid records in a ledger run of kind dry-run, apart from the
//     real runs' problems. [Migration.SourceCounts] is the source half
//     alone: the records, valid, invalid and skipped per map object and
//     the source's blockers, without a HighLevel call or a ledger run.
//     Preflight, SourceCounts, reconcile's source scan and every data
//     phase (sample, load, delta, dry run) apply the map's related rules
//     (mapping.Related: a treatment row's case type is the pipeline of its
//     plan) from one index each builds the same way (related.go): one read
//     of the related source, keeping one value per record and field. A
//     delta also writes again the records whose related record changed
//     since its watermark (a plan moved to another pipeline: its treatment
//     rows), reading their object whole and skipping, by digest, those
//     whose content did not move.
//   - [Migration.Sample] loads a stratified slice (patients spread over
//     offices and statuses, each with all their appointments, procedures
//     and treatment plans, until the slice holds [SampleOptions].Records
//     source records: default 200, at most 1.5×), returns every body
//     written, then reads every record its sample runs wrote back by id
//     (about 1.01 reads per record; BenchmarkSampleDiff) and diffs it field
//     by field with reconcile's comparer: [Report].Sample, a
//     [SampleReport] of matched / differed / missing per object and field
//     with the source keys, and no value (both values, PHI, only with
//     SampleOptions.Values for reconcile.WriteSampleValuesHTML). A person
//     signs it off with [Migration.ApproveSample] in the ledger the full
//     run uses: actor, time, the report's digest and the map digest.
//     [Options].RequireSampleApproval makes [Migration.Load] refuse with
//     [ErrSampleNotApproved] unless the latest approval is of the current
//     map (a changed map invalidates it); [Options].SkipSample goes
//     without, journaled in the run. The library leaves the gate off by
//     default so embedding programs and tests keep their behaviour; the
//     pbn2hl CLI always turns it on (run -skip-sample is the explicit way
//     past it).
//   - [Migration.Load] is the full load in dependency order: businesses →
//     contacts (custom fields, tags, owner, external id and the folded JSON
//     fields — communication log, forms — in the one create call) → business
//     links through the bulk endpoint (one call per business and 100
//     contacts) → custom object records and their relations → opportunities
//     → notes, tasks and calendar events (a map's calendar_event objects:
//     appointments of their contact in the calendar the map picks per
//     provider or office, with the source's start and end, never notifying
//     the patient; identity by the marker line in the description, see
//     target_event.go), and conversation messages (a map's
//     conversation_message objects: communications added to their
//     contact's conversation — created once, journaled — with their
//     original date, type and direction, sending nothing; Undo deletes the
//     conversations it made, as HighLevel deletes no single message; see
//     target_message.go), and documents (a map's media objects,
//     mapping.DocumentsObject: each file streamed from the source into the
//     media library, at most 25 MB — larger ones invalid with the reason —
//     and linked to its contact by a note naming it with its URL; identity
//     by a tag in the file name; two calls per document; Progress.Bytes
//     and Estimate.Bytes count the bytes; see target_media.go). Calls run
//     concurrently under the client's one per-location limiter.
//     Opportunities a location would refuse are caught before sending: when
//     its "Allow Duplicate Opportunity" setting is off (read once in the
//     run's setup), a contact keeps one opportunity per pipeline — the one
//     already there (made by an earlier run, read from the ledger's
//     journal, or otherwise in the location), else the first in the
//     source's order — and each later treatment plan for
//     the same contact and pipeline ("same contact" after mapping: the
//     contact's HighLevel id) is an invalid record, rule duplicate, field
//     contactId+pipeline, its reason naming the plan that holds the
//     pipeline, in the problems CSV; no call is made for it. A map that
//     prefers current plans filters the others out (e.g. status ne
//     Inactive); turning the setting on migrates them all. An opportunity
//     already in one of the map's pipelines that the migration did not
//     make (by hand, another tool) holds its contact's pipeline too: the
//     run and preflight read those pipelines (one search per pipeline and
//     100 of its opportunities, only when the setting is off). Settings
//     that cannot be read leave the check to HighLevel, with a warning.
//   - [Migration.Delta] reads what changed since each entity's watermark
//     (minus an overlap), skips records whose content digest equals what
//     was last written, updates changed ones with their before-image
//     journaled, creates new ones and applies deletions per
//     [Options.Deletions]. An update costs two calls: the read of the
//     before-image and the update. Notes and tasks are updated in place
//     too (same id and date), so undoing a delta restores them rather than
//     leaving a deleted note behind; the journaled payload of an update is
//     the body sent, emptied fields included, so Undo restores those too.
//     A contact's update carries no tags: HighLevel's would replace every
//     tag of the contact, those staff or automations gave it included. The
//     map's tags are added instead (one more call when the record has
//     tags) and the map's own tags it no longer has — a cohort the patient
//     left, from the cohort table mapping.Map.TagCohorts drafts (pbn2hl
//     propose does) — removed (one more when there are any); a tag the map
//     does not own is never removed. A dry run of the delta (pbn2hl delta
//     -dry-run) is its estimate and counts the same calls: per updated
//     record the read and the update, per updated contact its tag calls
//     besides, per new record its create; the delta then spends that, per
//     object, unless a call is retried after a lost answer or settled by
//     a lookup (each adds its calls) or refused.
//   - [Migration.Undo] reverses runs through rollback.Undo. Undoing a
//     delta puts a contact's tags back as they were before it: each tag
//     call is journaled on its own ([rollback.TypeContactTagsAdded],
//     [rollback.TypeContactTagsRemoved]: the body sent and, from the
//     update's before-image, the tags of its list the contact had; no
//     extra call), before the update it belongs to, so Undo removes the
//     tags the delta gave a contact that lacked them and gives back the
//     cohort tags it took off, and changes no other tag — one staff gave
//     or took off since stays as they left it. Both calls are idempotent:
//     an unknown outcome is settled by reading the contact's tags, in a
//     resumed delta and in an Undo interrupted and run again alike
//     (TestUndoDeltaRestoresCohortTags). A contact staff changed after
//     the migration wrote it — a cohort tag taken off included — is, as
//     ever, refused by an Undo of the whole migration unless
//     [UndoOptions].Force.
//
// [Doctor] comes before all of them and writes nothing: one
// [DoctorCheck] (name, ok, detail, fix) per line for connectivity and token
// scope on both sides (one cheap read per scope the map needs: a 401 or
// 403 names the missing scope), the location's timezone and schema (present
// or planned by the schema phase), clock skew against each server's Date
// header, the ledger (pending intents, its key when it is encrypted, that
// it belongs to the location) and free disk for it. It needs no Migration,
// so it also runs when one could not be built; pbn2hl doctor prints it.
//
// Calls per record are the design minimum: one per contact, business,
// opportunity and note, two per custom record with its relation (three for
// a record related to two parents); no lookup on the happy path
// (BenchmarkRun): lookups, waits and the duplicate sweep run only after
// an interruption or an unknown outcome.
//
// # Crashes, unknown outcomes and resumption: exactly once
//
// Every mutating call is journaled before it is made and its outcome after.
// A create whose answer was lost (a timeout, a 5xx, a reset connection) has
// an unknown outcome and is settled by a lookup before any retry. Running a
// phase again after a crash, Ctrl-C or SIGKILL first settles every intent
// left pending that way, then skips what the id map holds. Rejections
// (4xx) are recorded and never retried in a loop; invalid records are
// recorded and never sent. When the daily quota is spent a phase pauses
// until it resets, or stops with a [*DailyLimitError] saying when to run it
// again ([Options.DailyLimit]). What makes "nothing duplicated, nothing
// lost" hold:
//
//   - In-flight horizon. Every write is cut off at [Options.RequestTimeout]
//     (default: the client's request timeout), and its intent is journaled
//     with the instant after which it can no longer be in flight: intent
//     time + request timeout + [Options.SearchLag] (0 is [DefaultSearchLag];
//     [NoSearchLag] is none, for a simulator). A lookup that finds the
//     write proves it landed; one that finds nothing before that instant
//     proves nothing — HighLevel can still apply the write. So a live
//     call's unknown outcome is looked up once search can see what landed
//     (the search lag after the answer was lost): an answer lost after
//     HighLevel applied the write is found then and the worker goes on;
//     only a write not found waits for its horizon and is looked up again
//     before it is sent again. A resumed phase settles the old pending
//     intents at once and waits for the young ones. Every wait is logged
//     at warn level (how many, how long) and counted in
//     [Progress.Waiting]; a resume's settling is progress object
//     "pending_intents" of [PhaseResolve].
//   - Identity, never content. Contacts and custom object records are
//     looked up by the external-id field, opportunities by theirs under
//     their contact; businesses, notes and tasks carry a last line
//     "pbnhl-id <migration id>/<type>/<source key>" (the migration id the
//     location's custom value holds, see One ledger per location), and are looked up by it (a ledger written before the marker
//     existed: the next delta rewrites its businesses, notes and tasks
//     once, adding it). No lookup adopts a candidate HighLevel
//     created before the intent was journaled (less a few seconds of clock
//     slack): a look-alike left by someone else, or by another migration,
//     is never taken for ours, so Undo never deletes it. A lookup that
//     keeps failing stops the phase rather than write again what may exist.
//   - Links and schema settle like records. A relation left pending is
//     settled by lookup and recorded with its id, and not made again; a
//     relation HighLevel reports as already existing is found and recorded
//     as adopted ([rollback.Adopted]). [Migration.ApplySchema] waits out the
//     horizon of creations a killed run left pending, re-reads the location
//     only once its own unknown outcomes can no longer land, and settles
//     both: one re-run after a kill finishes.
//   - No success with an intent left open. Before a phase may succeed it
//     settles, by the same lookups, every intent of its run still pending
//     or unknown (a write whose lookup kept failing, business links whose
//     attempts ran out); one it cannot settle, or a write it finds not
//     applied, fails the phase with its run left running, and running the
//     phase again settles or makes it. A lookup after an unknown outcome
//     is repeated for longer than HighLevel's client keeps its circuit
//     breaker open, and a write the client refuses before sending (breaker
//     open, rate limited) is waited for, never dropped — repeated when the
//     client says it lets calls through again (highlevel.RetryAt: the
//     transport's policy decides every wait, this package adds none of its
//     own): past two minutes of refusals the phase stops, to be run again.
//   - Duplicate sweep. A write HighLevel applies later than its horizon
//     would leave two objects for one source record. After a phase that
//     settled anything by lookup, every key so settled is searched by its
//     identity, and an object that carries it, is not the one the ledger
//     keeps and was created no earlier than the key's first intent is
//     deleted (journaled with its before-image); [Report.Swept] counts
//     them. The happy path settles nothing by lookup and sweeps nothing.
//
// The kill tests hold it with a child process killed by SIGKILL: mid-run
// on the default map (TestResumeAfterKill), and while conversation
// messages or calendar events are being written, writes HighLevel made
// left unknown to the journal (TestMessagesSurviveKill,
// TestEventsSurviveKill): the resumed run leaves each source record once,
// with the source's date to the second, and Undo removes them all.
//
// # One ledger per location
//
// A ledger belongs to one location and one migration, and the location
// knows it: the first write of a migration (its schema apply, usually)
// creates the location custom value named [CustomValueName] ("pbnhl
// migration"), holding the ledger's migration id and its file name (the
// name only: a directory often holds a user name). Before the first write
// of every mutating phase — ApplySchema, Sample, Load, Delta, Undo — the
// ledger is checked against the location, in at most two calls: the
// custom values, and, only when the location names no migration, one
// contact search for any value of the external-id field (a location loaded
// before the custom value existed; a schema apply, which has not read the
// location's fields yet, first reads them to know the field's id). A ledger the location does not name,
// or one that knows none of the migrated contacts the search finds, or
// whose runs were recorded in another location, is refused with a
// [*LedgerMismatchError] (errors.Is [ErrLedgerMismatch]) naming the
// migration and ledger that own the location, before anything is written:
// a mistyped or new ledger can never load a practice twice. A dry run is
// checked the same way and never writes the custom value; Preflight
// reports the refusal as a [Blocker] of kind [BlockLedger].
//
// [Migration.Adopt] recovers a lost ledger without writing anything to
// HighLevel: it rebuilds the id map by identity (contacts by the
// external-id field, custom object records by their external-id property,
// opportunities by theirs, businesses, notes and tasks by their identity
// line), journaled in a run of kind [rollback.KindAdopt], and records that
// the ledger continues the migration the location names: from then on the
// ledger writes under that migration's id (identity lines included), so
// the location, its records and every ledger keep naming one migration.
// The next Load creates only what is missing, then a Delta works from its
// watermarks.
// The rule for Undo: when the location's custom value names the migration,
// the records carrying its identity are that migration's (no other ledger
// could have written there), so they are recorded as created and Undo
// deletes them as the lost ledger would have; when the location names
// none, nothing proves whose they are, so they are recorded as adopted
// ([rollback.Adopted]) and Undo leaves them in place. An Adopt interrupted
// before it settled what it found blocks the other phases
// ([ErrAdoptInterrupted]) until it runs again. The custom value stays
// after an Undo (the location was loaded by that migration): a new ledger
// adopts it, or a person deletes the value in the location's settings.
//
// Families share e-mails and phones: a location that refuses duplicate
// contacts rejects all but one member of a household (reported as
// rejected). Allow duplicates in the location's settings before a dental
// migration; identity does not depend on it.
//
// # Verification: Reconcile and Repair
//
// [Migration.Reconcile] checks HighLevel against the ledger and the source
// after a run or a delta (package reconcile: counts per object type,
// population, integrity, duplicates, a field-level diff of a sample or of
// every contact and record). It takes the external-id fields from the
// prepared location, the source's valid records from one scan through the
// map (preflight's, nothing else of a preflight) and counts ledger keys the
// source no longer has as kept; it refuses another location's ledger and
// intents left pending ([ErrPendingIntents]: settle them by running the
// phase again), records the check as a run of kind
// [rollback.KindReconcile] with its calls, and returns a partial report
// (reconcile.Report.Unchecked) when HighLevel fails a step.
// [Migration.ReconcileEstimate] tells the reads beforehand.
// [Migration.Repair] re-sends what a report lists missing or different
// from the journaled bodies, in a run of kind [rollback.KindRepair] that
// Undo reverses, refusing records someone changed in HighLevel since the
// migration wrote them unless [RepairOptions].Force
// ([*RepairIncompleteError] lists what it left). ExampleMigration_Reconcile
// shows the round trip.
//
// # Names: Load, Check and the ledger's Run
//
// "Run" names one thing across the module: the ledger's record of one
// phase, [rollback.Run] (its id is what Report.Run, Undo's run ids and the
// journal's entries carry). The full load is [Migration.Load] and one
// reconciliation of a ledger with HighLevel is reconcile.Check (what
// [Migration.Reconcile] calls). Until issue 12 they were Migration.Run and
// reconcile.Run; the old names were removed, not kept as deprecated
// wrappers: the module has published no release or tag, so no user's
// build depends on them, and a wrapper would keep the ambiguity for every
// reader. The phase name in the ledger and the reports ([PhaseRun],
// "run") and the pbn2hl command "run" are unchanged: they are stored data
// and a person's command, not Go names.
//
// # Where a change goes
//
// Inside this package, one kind of change has one place:
//
//	change                                  where
//	a phase (order, resumption, reports)    migration.go, run.go, phase.go, delta.go, undo.go, adopt.go;
//	                                        the schema phase schema.go, preflight preflight*.go
//	reading PbN records for a phase         source.go, refold.go, spool.go (folded contact fields)
//	a HighLevel target (contact, note, …)   target_<kind>.go, registered in target.go's targets;
//	                                        target.go also holds the shared helpers (inputUnderContact, markedBody)
//	what a target reads from the location   its prepare hook (prepare.go runs every target's)
//	what a target costs in the estimate     its tally and bulkCalls hooks (preflight.go adds them up)
//	a target kind's map rules               mapping/kinds.go (one entry per kind: record type, fields,
//	                                        links, custom fields, key) and its mapping.Inputs method
//	a field's transform or validation       mapping, mapping/transform (the approved map)
//	a HighLevel or PbN call                 highlevel, practicebynumbers (one file per API area)
//	a link between two records (relation,   target_link.go: one linkKind each in linkKinds (its lookup after
//	a contact's business)                   an unknown outcome, the reconcile finding it repairs, its remake)
//	journaling a write, settling by lookup  journaled_call.go, lookup.go, sweep.go, index.go (id map);
//	                                        the identity searches themselves: rollback/find.go (Find*),
//	                                        shared with Undo's settle after a kill
//	the ledger, and undoing a record type   rollback (the ledger; the undo of the first record types in
//	                                        rollback/kinds.go, whose targets read and delete through it:
//	                                        builtInWriter, rollback.BuiltIn); a newer target's undo in its
//	                                        target file (undoKind), handed to rollback by UndoKinds / UndoTarget
//	counting and comparing after a run      reconcile.go; reconcile (per object type: reconcile/kinds.go)
//	repairing what reconcile found          repair.go, through each target's resend and current hooks and
//	                                        each link kind's remake
//	progress while a phase runs             progress.go (an undo's: undo.go, UndoProgress); drawn for a
//	                                        person by internal/progressview (pbn2hl, the demo)
//	the success file (source key → id)      success.go (Successes, WriteSuccessCSV)
//	an error callers test for               errors.go
//
// Adding a HighLevel target (calendar events, media…) is one file plus one
// line: a type embedding writer (one call per record, unless it tallies
// its own; noTarget for a target that writes nothing) that implements what
// the target does — its load group, write (input from mapping.Inputs, then
// phase.put with its create, identity lookup and update; a record under a
// contact opens with inputUnderContact and markedBody), tally and
// bulkCalls (calls per record, and together), prepare (what it reads from
// the location once), need (location settings it depends on),
// externalField, adopt, and for the ledger record type it owns: read and
// remove, settle (the lookup after an unknown outcome), matches (the
// duplicate sweep), sweepScope, resend and current (repair: re-create
// from the journaled body — a record under a contact under
// resendScope.parentID, the contact's new id when the repair re-created
// it, with resent.target naming that contact for Undo — and read, given
// its parent contact, with HighLevel's time of the last change, through
// readUpdated when the read carries it; a zero time, when HighLevel tells
// none, refuses any difference as someone's edit unless Force; noTarget's
// say "not repaired"), and undoKind (its undo for rollback: a
// rollback.RecordKind whose Delete and Read are the target's remove and
// read, with Restore, Exists or Digest as its records allow) — and its
// entry in targets (target.go). The first targets (contact, business,
// opportunity, note, task, custom record) embed builtInWriter in place of
// writer and have no read, remove or undoKind of their own: their undo is
// rollback's built-in kind (rollback.BuiltIn), written once. UndoKinds collects the
// undo kinds, and UndoTarget (rollback's HighLevelTarget with them) is
// what Migration.Undo, Migration.Repair and the commands pass to
// rollback.Undo. One other package knows the kind, in one table:
// mapping's kinds (its map rules and record type; with the mapping.Inputs
// method that builds its input); rollback holds only the ledger type's
// name. Nothing else switches on it: TestTargetFootprint lists, for
// events, messages and media, every file that names the kind, fails on
// any other and on an undo written in rollback. The ledger record type comes
// from mapping.Object.RecordType, so reconcile counts it without a change.
// The body a target journals is the one highlevel sends, taken from the
// input itself (ContactInput, BusinessInput, RecordInput,
// OpportunityInput, RelationInput and the update types' Body; NoteInput's
// and TaskInput's MarshalJSON, as they have a Body field; creates add only
// the location id in front): journal, digest and request are one
// encoding.
//
// # Memory
//
// What a run holds does not grow with the practice (issue 17.4): the id
// map is read from the ledger through one bounded cache (10,000 rows,
// parents and history alike; its hits and misses are logged when a phase
// ends), whether a relation or a contact's business link is made is one
// indexed read of the journal, the contact_field payloads wait in an
// encrypted on-disk spool, and the success file is streamed from the
// ledger. What still grows is small: the validator's 64-bit hashes of the
// parents' keys and of duplicate keys, the contacts waiting for their
// business link, the problem lists (capped at 10,000). A dry run keeps its
// invented ids in memory. BenchmarkRunRSS (opt-in: PBNHL_RSS_PATIENTS)
// measures pbn2hl run's max RSS as its own process against pbnsim and
// hlsim: 72 MB at 2,000 patients, 81 MB at 10,000, 88 MB at 20,000 and
// 109 MB at 50,000 (1.48× the 73.6 MB at 2,000 of the same commit; it was
// 101 and 308 MB, 3.04× at 10,000, when the id map, the relations done
// and the success file were held in memory).
// BenchmarkRunHeap breaks the live heap down.
//
// # Logging
//
// Nothing is logged unless the host passes a logger: [Options].Logger
// here, rollback.Options.Logger for the ledger, highlevel.Options.Logger
// for the client; each defaults to discarding. Records name objects,
// counts, ids, fields and reasons, never values.
//
// # Rules and examples
//
// The layers, the packages and the rules every package follows are in
// docs/ARCHITECTURE.md of this repository: API calls are the cost,
// identity is ours (an id map plus an external-id field or identity line
// on every record), every mutating call is journaled before and after so
// that a crash never duplicates or loses a record, invalid records
// (refused by us) are kept apart from rejected ones (refused by
// HighLevel), and PHI and tokens never reach logs or error strings.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them):
// Example (a whole migration rehearsed on the two simulators: schema,
// preflight, run, undo), ExampleMigration_Adopt,
// ExampleMigration_Reconcile.
package pbnhl
