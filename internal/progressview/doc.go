// Package progressview shows a migration's progress events
// (pbnhl.Progress) to a person: on a terminal one live view drawn in place
// with github.com/vbauerster/mpb (a bar per object and an overall bar with
// its percentage, HighLevel call rate, ETA and the daily-quota position);
// off a terminal (a log file, a CI job, a pipe) one plain line every
// interval with the same figures and no escape codes.
//
// The figures are computed in one place (Summarize) so both modes say the
// same thing:
//
//   - The ETA follows HighLevel's pace, not bursts of records: the calls
//     still to make (each object's records left times the calls per record
//     it has shown so far, one when it has shown none) divided by the call
//     rate observed over a sliding window, capped by the configured rate
//     (the limiter will not go faster whatever the window saw).
//   - A total counted at the start of a phase that the run outgrows (the
//     practice kept working) is shown as such, "+8 new since start", and
//     the object's percentage never passes 100.
//   - The daily quota is HighLevel's own figure (X-RateLimit-Limit-Daily,
//     X-RateLimit-Daily-Remaining) read from the client's limiter.
//
// Events carry counts only; no record content (PHI) ever reaches the view.
//
// The package is internal: pbn2hl and the demo use it. A program that
// embeds the library receives the same pbnhl.Progress events through
// pbnhl.Options.Progress and usually has its own UI (a web page, a
// workflow's status); giving it a terminal renderer as a public API would
// freeze this package's look and its mpb dependency into the library's
// compatibility promise for little gain.
package progressview
