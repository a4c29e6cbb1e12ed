// Package handover writes the handover pack: the files a practice manager
// and the agency's HighLevel admin work from after cutover, useful without
// this tool. [Write] reads the source (and optionally the approved map, the
// run ledger and a HighLevel client) and writes into one folder:
//
//   - kpis.csv, kpis.json: each Practice by Numbers KPI's key, name, unit,
//     period, formula in words and in source fields, the HighLevel custom
//     field an input went to, and how to rebuild it in HighLevel — or
//     "not computable in HighLevel: keep exported" ([NotComputable]).
//   - kpi_values.csv: the history per KPI, office and period, in the KPI's
//     unit (dollars, percent, count, minutes), so trend lines survive.
//   - cohorts.csv: name, description, criteria, PbN's size, the HighLevel
//     tag ([CohortTag]) and whether the map applied it, a smart-list filter,
//     and the count HighLevel has with the tag: one contact search (a page
//     of one) per tagged cohort when a client is given, "not checked"
//     otherwise.
//   - guide.md, guide.html (one self-contained page: inline CSS, no script,
//     nothing fetched), guide.json: per automation, campaign and template
//     the trigger, conditions, steps, channel, active or not, the suggested
//     Workflow Builder trigger and action per step, and the message texts
//     with PbN merge fields ({{first_name}}, {office}) translated to
//     HighLevel custom values ({{contact.first_name}}, {{location.name}},
//     {{contact.<custom field key>}} for fields the map created); a merge
//     field with no equivalent is left as written and flagged. The checklist
//     puts recall, then reminder flows first: they drive revenue.
//   - cutover.md: counts per object from the ledger's id map, what is folded
//     into contact fields or skipped and where it is, the manual steps left,
//     the delta window (watermarks) with how to run the last delta, and how
//     to undo.
//
// # No patient data
//
// The pack holds definitions, aggregates and templates only. Before
// anything is written, every definition, criterion and template text is
// checked: an e-mail address, a phone number, or the full name of one of
// the source's patients (streamed once for the check, nothing kept) refuses
// the pack with [ErrPatientData], naming the record (e.g. "automation 7"),
// never the value. Because of that the files are written 0644 (shared
// with the team), unlike the ledger and the reports that carry values.
//
// # Determinism
//
// Everything is sorted (KPIs, cohorts and automations by id, values by
// KPI, office and period; the checklist by rank then id) and no file holds
// the time it was written: the same inputs give the same bytes, which the
// golden tests under testdata/pack pin. Files are replaced atomically.
//
// The command pbn2hl handover -out DIR writes the pack; the demo writes one
// after its delta. Runnable examples (example_test.go files; pkg.go.dev
// shows them): ExampleWrite.
package handover
