// Package soak holds the kill -9 harness of the exactly-once promise, checked
// from outside as a user would meet it: the simulators (examples/hlsim,
// examples/pbnsim) and the migration (examples/pbn2hl) are built and run as
// separate processes, HighLevel answers with faults (5xx, dropped
// connections, latency spikes, "applied, answer lost", writes applied after
// the client gave up), the location already holds objects that look exactly
// like what the migration will create, and pbn2hl is killed with SIGKILL at
// random moments of every phase and run again until it exits 0.
//
// The harness then checks what a practice cares about:
//
//   - no duplicate: every source identity is held by exactly one HighLevel
//     object;
//   - nothing lost: the location equals, record by record, what an
//     uninterrupted run of the same practice left (the pre-existing objects
//     aside);
//   - nothing else harmed: every pre-existing object is intact after the
//     run and after undo, and undo leaves only them.
//
// `go test ./internal/soak` runs one seed by default: 12 patients and 3 kills
// per phase, or 8 patients and 2 kills under -short (about a minute). The
// longer soak is opt-in: PBNHL_SOAK_SEEDS=20 PBNHL_SOAK_PATIENTS=40 go test
// -run Soak -timeout 2h ./internal/soak prints, as its last line,
//
//	soak: seeds N, kills K, duplicates D, lost L, pre-existing damaged P
//
// PBNHL_SOAK_KEEP=dir copies a failed seed's folder (ledgers, map) there
// before it is removed, for a person to read with pbn2hl status or sqlite3.
package soak
