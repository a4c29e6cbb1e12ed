// Command demo runs a whole Practice by Numbers → HighLevel migration on the
// project's in-process simulators, and explains each step as it goes:
//
//	go run ./examples/demo                 # ~2,000 patients, compressed rate limit
//	go run ./examples/demo -patients 300   # quicker
//	go run ./examples/demo -real-limits    # HighLevel's real 100 requests / 10 s
//	go run ./examples/demo -h              # every flag
//
// The steps are those of a real migration (see the library's package pbnhl):
//
//  1. generate a messy practice (practicebynumbers/pbntest) and serve it over
//     PbN's REST contract on 127.0.0.1;
//  2. start HighLevel (highlevel/hltest) with a production and a staging
//     location, users for some of the staff, and the rate limit compressed by
//     -speedup (the simulator enforces it, the client's limiter paces under it);
//  3. sample the source and let mapping.Propose draft the field map, with
//     the links drafted from the practice's cohorts, staff and offices as
//     pbn2hl propose drafts them (mapping.DraftLinks: cohort tags, provider
//     and hygienist names, the other offices a patient was seen at); write
//     the draft and its Markdown review; choose the map to run (-map; the
//     default map gets the same links);
//  4. approve it automatically — a person does this in a real migration;
//  5. preflight (readiness, owners, validation, call estimate), apply the
//     schema plan, verify;
//  6. load a stratified sample into staging, show what the bodies carry,
//     read every sampled record back and diff it field by field
//     (Migration.Reconcile on the staging ledger), undo it there;
//  7. the full run in dependency order with live progress and calls per
//     record, then Migration.Reconcile: counts source / ledger / HighLevel
//     per object type, relationship integrity, every contact and record
//     compared with the body sent, duplicates — through HighLevel's API
//     only, as against a real location (the demo reads no simulator
//     internals for its counts);
//  8. change the practice (pbntest Mutate: updates, new patients, deletions,
//     stamps bumped without change, completed visits moved to another
//     office), pick the changes up with a delta, and reconcile again
//     (records the source deleted show as kept); read the links back
//     through the HighLevel client (contacts' cohort tags and other
//     offices, records' staff names);
//  9. undo every run and compare the location with its starting state.
//
// Its files (maps, reviews, problems.csv, audit.jsonl) go to a new private
// directory (os.MkdirTemp, 0700; -out DIR chooses one), each written 0600
// through a temporary file renamed into place, as a real migration's must
// be (internal/privatefile, shared with examples/pbn2hl); its ledgers live in another private temporary directory removed at
// exit (kept for inspection when the demo fails).
//
// It exits non-zero with the failing step when anything goes wrong, including
// a reconcile that finds HighLevel off the ledger or the source, or records
// left after the undo. Output holds object
// names, counts and ids only: never a field value.
package main
