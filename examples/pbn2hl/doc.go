// Command pbn2hl is the command-line migration tool a practice's engineer
// runs to move a dental practice from Practice by Numbers to HighLevel, one
// phase at a time, with every write journaled in a ledger so that any run
// can be resumed, audited and undone.
//
//	go run ./examples/pbn2hl <command> [flags]
//
// Commands: init (write a profile), oauth, propose, approve, schema, preflight, sample,
// approve-sample, run, delta, reconcile, repair, handover (the handover pack: KPIs, cohorts, the workflow rebuild guide, the cutover sheet), undo, status, audit, adopt (recover a lost ledger from the location,
// writing nothing there), purge (after sign-off: drop the runs' patient
// data from the ledger, keep the audit trail). Run a command with -h for its
// flags; README.md walks through a whole session against the local
// simulators.
//
// The command line is spf13/cobra over spf13/pflag (tree.go): the tree is
// built per call of run (the testable entry), each command with only the
// shared flags it reads (the groups of the command type in main.go; their
// lists are pinned by TestFlagsOnlyWhereTheyApply) and its own. Help is
// per command (-h, -help, --help, help CMD), and pbn2hl completion
// bash|zsh|fish|powershell prints a completion script. Flags take one dash
// or two: normaliseArgs turns the single-dash long flags of the README and
// of scripts (-ledger x, -hl-rate=100/10s) into pflag's --name before
// parsing, leaving one-letter flags (-v, -o, -h), every flag's value and
// anything after -- untouched; a flag the command does not have is refused
// as typed, with the nearest one it has (exit 2).
//
// doctor (doctor.go) prints pbnhl.Doctor's checks, one line each with the
// fix under a failed one (-json: the same as data): connectivity and token
// scopes on both sides, the location's timezone and schema, clock skew, the
// ledger (pending intents, its key, its location) and free disk. It writes
// nothing; exit 0 when every check passes, 1 otherwise.
//
// init, -profile and -json (profile.go): init writes a profile, a YAML
// file of the connection flags every command repeats, keyed by the flags'
// names (never a token: a credential-like key or token-like value is
// refused, as is an unknown key); -profile NAME or PATH.yaml on any command
// fills the flags it takes that the command line did not set. -json on
// status, preflight, sample, run, delta and undo writes the library's JSON
// form of the result (pbnhl.PreflightJSON, ReportJSON, LedgerStatus,
// rollback.UndoSummary) alone on stdout, the text and progress on stderr.
//
// -ledger is a SQLite file (a path, or sqlite:PATH) or a PostgreSQL
// database (postgres://HOST/DB or postgresql://…, optionally
// ?search_path=SCHEMA to keep several practices' ledgers in one
// database); a password never goes in the URL (it is refused: a command
// line is visible to every user of the machine) but in $PGPASSWORD or
// ~/.pgpass.
//
// Side files (sidefiles.go) — run's and delta's success CSV (source
// entity, source key, HighLevel type and id, action) and problems CSV
// (the run's invalid and rejected records with reasons, as audit
// -problems -runs N), sample's report — are named after the ledger and go beside a ledger file
// (smile.ledger-run3-success.csv, smile.ledger.sample-report.json); a
// postgres:// ledger has no folder, so they go beside -map, named after
// the database and schema (pbnhl_prod.practice_a-run3-success.csv).
// -out-dir DIR on run, delta and sample puts them in DIR instead (created
// owner-only). They are owner-only files holding keys, ids and reasons,
// no record content; the CSVs can be written again from the ledger.
//
// Messages written into HighLevel Conversations (a map object with target
// conversation_message, issue 16.2) carry the map's "provider" field or,
// without one, -conversation-provider ID (run, delta, sample, repair; a
// profile key too): the conversationProviderId HighLevel requires for
// Custom messages and checks against the providers installed in the
// location (a message naming another is refused with 400, a rejected
// record listed by audit -problems).
//
// With -v, sample, run and delta also print where the phase's time went
// (timing.go): each object's time, calls and call rate in load order, and
// the time outside the objects (source reads for the logs folded into
// contacts, resolving, settling, the duplicate sweep, the watermark).
//
// A ledger is never created unasked: commands that only read refuse a
// missing -ledger and create no file; commands that write create one only
// with -new-ledger. An empty ledger opened by mistake would not know what
// was already migrated and would write the practice a second time.
//
// Commands that write to the ledger need its key (-ledger-key-file, or the
// file named by $PBN2HL_LEDGER_KEY_FILE) or an explicit -plaintext-ledger,
// which is warned about on stderr every time.
//
// Tokens come from the environment (HL_TOKEN, PBN_TOKEN), never from flags,
// so that they land neither in shell history nor in the process list.
// Progress goes to stderr and results to stdout; neither ever carries a
// token or a field value (PHI): only object names, ids, counts and field
// names. Files that may hold patient data (maps with sampled pick-list
// values, reviews, audit and problems exports, sample bodies) are written
// owner-only through internal/privatefile, shared with examples/demo.
//
// propose drafts from what a program using the library would call:
// mapping.InventorySource over the source and mapping.DestinationFrom over
// the location; with -files (and -export) it reads the folder's reports as
// they are, whatever system wrote them, through mapping.InventoryDir, and
// each object's source is the report file it reads (practicebynumbers
// FileEntity), so schema, preflight and run take such a map as it is. Rows
// the reader rejected are printed per file with their reasons, and files
// the PbN reader does not know are named with a pointer to -files. With
// -ai-endpoint and -ai-model (suggest.go) a mapping/llm Suggester reviews
// the draft through an OpenAI-compatible API; its key is read from
// $PBN2HL_AI_KEY only, and it is sent value shapes, not values, unless
// -ai-samples. Reading a PbN source (not -files), propose also drafts
// tables a person reviews in the map (issue 16.5): cohort membership as
// contact tags (mapping.Map.TagCohorts: the patients' tags rule, cohort id
// → "pbn: <cohort name>"), which handover's cohorts.csv then counts in
// HighLevel, and providers and hygienists as people
// (mapping.Map.NameStaff: a "provider"/"hygienist" field beside each id,
// staff id → name). For a practice of several offices it drafts a third
// (mapping.Map.CarryOffices): a contact's business is its own office, and
// the other offices the patient was seen at go in the MULTIPLE_OPTIONS
// contact field pbn_other_offices, office id → name. A cohort, staff
// member or office added in PbN after the draft is left out with a
// warning on the record; redrafting keeps renamed tags, corrected names
// and renamed offices. The three are one step, mapping.DraftLinks, which
// the demo and the fleet example take too.
//
// sample (sample.go) loads a slice of -records source records (default
// 200) into a staging location, reads it back and prints the field diff
// (per object and field: matched, differed, missing, with source keys; no
// value), writes it as JSON to -report FILE (default
// LEDGER.sample-report.json where the side files go: beside the ledger
// file, in -out-dir, or beside the map for a postgres:// ledger)
// and, with -values FILE, both values side by side as an HTML page marked
// as patient data (mode 0600, never logged). approve-sample -report FILE
// stamps the reviewed report (who: -actor, default $USER; when; its
// digest; the map digest) into the ledger given, the production one. run
// refuses without an approved sample of its map; run -skip-sample goes
// without, printed and journaled in the run.
//
// reconcile (reconcile.go) calls pbnhl's Migration.Reconcile: before the
// check it prints on stderr the HighLevel reads it will spend on a location
// that agrees (Migration.ReconcileEstimate), after it the reads spent; the
// report goes to stdout as text, or JSON with -json, and -html FILE also
// writes the self-contained HTML page. By default every contact and record
// is compared, with random samples of the relations, custom records and
// opportunities whose counts agree; -deep reads every one of them
// (pbnhl.ReconcileOptions.Deep), -sample reads a sample per object type. The check is a
// run of kind reconcile in the ledger. repair calls Migration.Repair with
// a fresh full reconcile (-deep as for reconcile; or -report FILE, a
// reconcile -json report),
// prints what it re-sent and what it did not (records someone changed in
// HighLevel since the run are refused unless -force), then reconciles
// again; undo reverses a repair like any run.
//
// Exit codes: 0 done (for reconcile and repair: nothing differs — records
// HighLevel refused or validation left out are accounted for by the
// ledger and listed by the problems report), 1 failed (or interrupted: run
// the same command again to resume; for reconcile also a partial report,
// when HighLevel failed a step beyond the retries), 2 usage error, 3
// stopped at HighLevel's daily limit with -on-daily-limit stop (run the same
// command again after the time it prints; by default a command pauses
// there instead, printing when it tries again, and goes on), 4 reconcile or repair found differences between
// HighLevel, the ledger and the source.
package main
