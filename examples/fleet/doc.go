// Package fleet runs pbnhl migrations of many practices as Temporal
// workflows, in a module of its own so that the library's go.mod carries
// no Temporal dependency.
//
// MigrateLocation migrates one practice into one HighLevel location:
// preflight → the map approval (signal SignalApproveMap) → schema →
// sample → the sample approval (SignalApproveSample) → a gate preflight →
// the full run → deltas every DeltaEvery through the CutoverWindow →
// reconcile → done, and open for an undo (update UpdateUndo) for
// KeepOpen; an undo at any wait or phase cancels what runs and reverses
// what was written. Fleet starts a MigrateLocation child per location,
// at most an agency's cap at once, and tracks them.
//
// The long phases are activities that heartbeat their progress (Live):
// when a worker dies, Temporal gives the phase to another worker after
// the heartbeat timeout and the library resumes it from the ledger, which
// settles what the dead worker left in flight — nothing is written twice.
// Workers on one machine share the SQLite ledger files; across machines
// every worker must reach the same ledger (the PostgreSQL ledger URL where
// the library supports one).
//
// HighLevel's daily limit stops a phase with ErrTypeDailyLimit (the
// library's StopOnDailyLimit); the workflow sleeps on a durable timer
// until the reset (at most DailyLimitRecheck at a time, since HighLevel
// does not document when its day starts) and runs the phase again.
//
// Nothing about a patient enters Temporal: the workflow input is the
// LocationSpec (addresses, ids, paths, and the NAMES of the environment
// variables holding tokens and keys), activities return counts and
// digests, and the map and sample report stay in the location's work dir.
// Error strings come from the library, which keeps values out of them.
//
// Progress is queryable per location (QueryProgress; Status adds the
// running phase's last heartbeat): phase, percent, calls today, ETA, and
// the quota day against the preflight's estimate of days.
//
// The command is cmd/fleet: fleet worker | start | approve | status | undo.
package fleet
