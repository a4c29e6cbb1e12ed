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
// The rules every package follows are in ARCHITECTURE.md of the project: API
// calls are the cost, identity is ours (an id map plus an external-id field on
// every record), every mutating call is journaled before and after so that a
// crash never duplicates or loses a record, invalid records (refused by us)
// are kept apart from rejected ones (refused by HighLevel), and PHI and tokens
// never reach logs or error strings.
package pbnhl
