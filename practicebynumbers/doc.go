// Package practicebynumbers is the typed source connector for Practice by
// Numbers (PbN), the dental analytics and engagement platform that sits beside
// a practice-management system (Open Dental, Dentrix, Eaglesoft, ...).
//
// PbN publishes no API. This package therefore defines the contract it speaks
// (CONTRACT.md beside this file is normative) in two forms that carry the same
// records:
//
//   - a REST API: GET /v1/{entity} with limit/cursor pagination, an
//     updated_since filter for deltas, GET /v1/{entity}/{id}, a deletions feed
//     (/v1/deletions), document content streams
//     (/v1/documents/{id}/content) and an inventory (/v1/inventory); bearer
//     token auth, 429 + Retry-After, a JSON error body. [Client] speaks it.
//   - a folder of CSV exports, one file per entity ({entity}.csv), read by
//     [ExportReader] with tolerant header matching (case, spaces,
//     punctuation, Open Dental aliases like PatNum), CRLF, quoted multi-line
//     notes, and row-level errors naming file, line and column.
//
// Both yield the same typed records — [Office], [Staff], [Patient],
// [Appointment], [Procedure], [TreatmentPlan], [InsuranceCarrier],
// [Coverage], [Communication], [FormSubmission], [Document],
// [CustomPropertyDefinition], [KPIDefinition], [KPIValue], [Cohort],
// [Automation] — as iter.Seq2 streams, so memory does not grow with the size
// of the practice, and both satisfy [Source], which the migration runner
// consumes. [Records] reads any entity of a Source without naming its type
// (one loop over [Entities] instead of one per record type).
//
// Values: ids and references are [Key]s, opaque strings kept as written
// ("42", "0042", "DRE1", "A-17": leading zeros count; "" = none, and PbN's
// 0 reads as none) — PbN's numeric ids and a practice system's codes alike;
// money is [Cents]; instants are time.Time
// in UTC (the practice's zone is [Office.TimeZone]); calendar dates are
// [Date], whose zero value is the source's 0001-01-01 "no date"; statuses and
// channels are typed string enums with tolerant parsers ([ParsePatientStatus],
// ...). Phones are kept as written.
//
// The connector reads its wire format and nothing more: it parses the
// export's money and boolean cells itself (CONTRACT.md: rounding past the
// cent, Access's -1 for true), but normalising a value for HighLevel —
// phones to E.164, amounts, yes/no, dates, names — is
// github.com/pbnhl/pbnhl/mapping/transform's, in one place. (This package
// used to export ParsePhone, ParseMoney and ParseBool beside transform's;
// they are gone, and with them the phone-number library from the
// connector's imports.)
//
// # Deltas
//
// Every record carries UpdatedAt (the source's change stamp). A migration
// picks its watermarks like this:
//
//  1. Before a full scan, call Inventory and keep its ServerTime: the
//     source's own clock (REST: the answer's serverTime, else its HTTP Date
//     header; export folder: the manifest's exportedAt, else the newest
//     change stamp in the folder — see [ExportReader.Inventory]).
//  2. Scan. Store that ServerTime as the watermark only once the scan (and
//     its load) succeeded.
//  3. The next run lists with [ListOptions].UpdatedSince set to it
//     (inclusive, so nothing changed during the scan is lost; a record read
//     twice is harmless) and reads Deletions with the same filter, after
//     taking its own new watermark as in step 1.
//
// A zero ServerTime means the source did not say. Do not substitute the
// migration host's clock at read time: it may run ahead of the source's
// (clock skew) or, for an export, days after the export was taken; both
// lose changes. Use a time known to be at or before the snapshot (when the
// export was requested), or run a full scan again. Change stamps can be
// spurious (bulk PMS updates), so consumers compare content, not stamps
// alone. The ExportReader applies the same filter to an export folder.
//
// # CSV deltas
//
// A delta read from a second export folder detects:
//   - new records: ids the first export did not have (their updated_at is
//     after the first export's watermark);
//   - changed records: rows whose updated_at is at or after the watermark,
//     compared by content downstream (a stamp bumped without a change
//     writes nothing);
//   - deleted records: only the rows of the folder's deletions.csv
//     ([DeletionsFileName]: entity, id, deleted_at), as the REST deletions
//     feed.
//
// A record merely absent from a re-export is not a deletion, and
// pbnhl's delta never deletes it (removing three patients from a
// re-export gives "source deletions: 0"): an export can be partial — an
// office, a date range, a file cut short, a filtered report — and nothing
// in a folder today declares an entity's file complete. Deletion by
// absence would be sound only for an entity whose export is declared
// complete (a manifest naming the complete entities); no such
// declaration exists yet, so absence is reported by reconciliation, not
// acted on. pbnsim rehearses this: `pbnsim -export DIR -mutate N` writes
// the practice, then the same practice after N records were added,
// changed and deleted (DIR-mutated, with its deletions.csv, and the
// changed ids in DIR-mutated.changes.json).
//
// # Encodings of an export
//
// Text encodings are detected, never guessed: UTF-8 with or without a
// byte-order mark, and UTF-16 LE or BE announced by its mark, are read as
// such. Anything else must be named ([ExportOptions].Encoding:
// "windows-1252", also spelled "latin1" or "cp1252"; "utf-16le",
// "utf-16be"); a file without a mark that is not valid UTF-8 (or holds NUL
// bytes, as UTF-16 without a mark does) is refused whole — a *[FileError]
// wrapping an *[EncodingError] with the first offending line and byte —
// before any of its records is read. A mark that contradicts the named
// encoding is refused too. In a file declared UTF-8 (its mark, or the name
// "utf-8") a cell that is not valid UTF-8 is a row problem: a *[RowError]
// with file, line and column, whose field error matches [ErrEncoding]; the
// other rows are read. An unpaired UTF-16 surrogate is such a cell as well.
//
// # Cut files
//
// A file that ends inside a row — a quoted cell never closed (which would
// swallow every later row into one cell), or a last row with fewer cells
// than the header and no line break — yields one *[FileError] wrapping a
// *[TruncatedError] (errors.Is [ErrTruncated]) with the line where that
// row starts, after the rows before it; the cut row is not also reported
// as a *[RowError] or read as a record.
//
// # Excel workbooks
//
// An export folder may hold .xlsx workbooks too, read with excelize's
// streaming row iterator (worksheets and shared strings over 4 MiB are
// unpacked to temporary files, not memory). A workbook named after an
// entity ("Patients.xlsx") holds it in its first sheet; any other workbook
// holds, in each sheet named after an entity ("Patients", "Appointments"),
// that entity, and its other sheets are listed as unrecognised
// ("export.xlsx#Summary"). Rows read exactly like CSV rows — same header
// tolerance, same *[RowError]s with the sheet's row number, errors naming
// the file as "Patients.xlsx" or "export.xlsx#Patients" — and cells read as
// Excel displays them, except Excel's short date, read as 2006-01-02. A
// workbook that does not open is a *[FileError] (refused at opening when
// its sheets must be listed); a canonical {entity}.csv wins over a
// workbook, and two workbooks holding one entity are refused.
// [OpenWorkbook] reads any workbook's sheets the same way, for readers of
// reports that are not bound to an entity (mapping.InventoryDir).
//
// # Another system's reports
//
// A folder of a practice system's own reports (Dentrix "Patient List.csv",
// an Eaglesoft "Scheduled Appointments.csv", a workbook's sheet) is read
// as it is through the same ExportReader: an entity name that is a report
// file of the folder ([FileEntity]: "Patient List.csv", "book.xlsx",
// "book.xlsx#Patients") streams that file's rows as *[FileRow] values keyed
// by the header as written ([ExportReader.FileRows]; [Records] yields them
// too). Nothing is typed or renamed: the map's rules say what each column
// is (a map drafted by pbn2hl propose -files names its reports so). The
// encoding is detected or named as for the export's own files, the
// separator (comma, tab, semicolon) is taken from the header line, a bad
// row is a *[RowError] and the others are read, a name that is not one file
// of the folder is a *[FileError]. [ExportReader.Columns] gives a report's
// header, so a preflight can say which column a map needs is missing.
//
// # Errors
//
// [Client] errors are *[APIError] for non-2xx answers (errors.Is(err,
// [ErrNotFound]) for a 404; errors.Is(err, [ErrUnauthorized]) for a 401,
// whose text says the server refused the API token and to check it, never
// holding the token), or the shared transport's typed errors for rate
// limits, an open breaker, a refused redirect and transport failures. [ExportReader] yields
// *[RowError] for a bad row (file, line, record id, and per column the
// 1-based column number, header and a *[ValueError]) and goes on, and
// *[FileError] for a file it cannot read. Iterators never panic on bad
// input.
//
// # Resilience
//
// All REST operations are GETs: 429 (after Retry-After), 5xx and transport
// errors are retried with capped, jittered backoff; a per-tenant sliding-log
// limiter (Options.RateLimit per RateWindow) paces requests; a circuit
// breaker opens after consecutive server failures. Several Clients of one
// practice share both through [Options].Limiter (see [NewLimiter]).
// Document content is streamed, never buffered, through the same limiter,
// retries (before the first byte) and breaker — a download that breaks off
// counts as a failure — and is capped at Options.MaxDocumentBytes
// ([ErrTooLarge]).
//
// Every value in these records is protected health information: errors of
// this package name entities, ids, files, lines and columns, never values.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them):
// ExampleCSVRow, ExampleExportReader_Inventory, ExampleNewClient,
// ExampleNewLimiter, ExampleOpenExport, ExampleParseDate,
// ExampleParseTimestamp, ExampleRecords.
package practicebynumbers
