// Package transform holds the pure value transforms every migrated record
// goes through on its way from Practice by Numbers to HighLevel: white space
// and case, dates, phones, emails, US states and countries, money, pick-lists,
// multi-value flattening, size-capped JSON blobs for LARGE_TEXT fields, CDT
// procedure codes, personal names, free-text treatment notes, and CSV formula
// neutralisation.
//
// Every function here is pure (no I/O, no clock, no global state beyond
// read-only tables), safe for concurrent use, and never panics on any input.
// The map document's transform chains (package mapping) are built on them.
//
// Conventions shared by all transforms:
//
//   - Blank input is "no value", not an error: it returns the zero value and a
//     nil error. Whether a field is required is the validator's business.
//   - Failures are *Error values carrying the transform's name and a reason;
//     they wrap one of ErrInvalid, ErrOutOfRange, ErrUnknownValue or
//     ErrConfig for errors.Is. The message never contains the input value,
//     because values are protected health information and errors are logged.
//   - Money is integer cents; dates are time.Time, formatted for HighLevel as
//     YYYY-MM-DD (dateOfBirth, DATE fields) or RFC 3339 in UTC (timestamps).
//   - The hot transforms (Collapse, Date, ParsePhone, Email, ParseCents,
//     StateCode, CDTCode) do not allocate when the input is already in
//     canonical form, so a record that is already clean costs almost nothing.
package transform
