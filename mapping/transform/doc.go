// Package transform holds the pure value transforms every migrated record
// goes through on its way from Practice by Numbers to HighLevel.
//
//   - Text: Trim, Collapse, Upper, Lower, TitleName, TruncateUTF8.
//   - Dates: ParseTime reads ISO, Open Dental, RFC 3339, compact, US and
//     month-name forms with or without zone; Date gives HighLevel's
//     YYYY-MM-DD (dateOfBirth, DATE fields), Timestamp RFC 3339 in UTC.
//     PMS null dates (0001-01-01, 0000-00-00) are "no date", not errors.
//   - Contact data: ParsePhone (E.164 via github.com/nyaruka/phonenumbers,
//     extension kept apart, a NANP fast path), Email, IsPlaceholderEmail,
//     StateCode / StateName (US, territories, Canadian provinces),
//     CountryCode (ISO 3166-1 alpha-2 from codes or names).
//   - Numbers: ParseCents / FormatCents / CentsToFloat / FloatToCents (money
//     as integer cents, no float drift), Number (exact decimal for
//     NUMERICAL fields), ParseBool.
//   - Values: PickList with an UnknownPolicy (error, pass-through, default,
//     drop); Join, First, JSONArray, Values, Split for multi-value fields.
//   - Blobs: JSONBlob / JSONBlobOf build a JSON array for a LARGE_TEXT field
//     under a byte cap, never splitting a UTF-8 character, and report what
//     they dropped or shortened.
//   - Dental: CDTCode (d1110, D 1110, 1110 → D1110; custom codes flagged),
//     SplitName, IsPlaceholderName, ParseTreatmentNotes (free-text history →
//     rows of date, code, tooth, surface, description, fee; the rest kept).
//   - Export safety: NeutralizeFormula for values written to CSV.
//
// Every function is pure (no I/O, no clock, no state beyond read-only
// tables), safe for concurrent use, and never panics: each parser has a
// fuzz target that checks its invariants (round trips, idempotence, error
// shape). The map document's transform chains (package mapping) are built
// on these functions.
//
// Conventions shared by all transforms:
//
//   - Blank input is "no value", not an error: it returns the zero value and a
//     nil error. Whether a field is required is the validator's business.
//   - Failures are *Error values carrying the transform's name and a reason;
//     they wrap one of ErrInvalid, ErrOutOfRange, ErrUnknownValue or
//     ErrConfig for errors.Is. The message never contains the input value,
//     because values are protected health information and errors are logged.
//   - Input already in canonical form is returned as is: Collapse, Date,
//     Email, StateCode, CDTCode and an exact PickList hit do not allocate
//     for it, and a NANP phone costs one 12-byte allocation, so clean
//     records cost almost nothing.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them):
// ExampleCDTCode, ExampleDate, ExampleEmail, ExampleJSONBlob, ExampleJoin,
// ExampleNeutralizeFormula, ExampleParseCents, ExampleParsePhone,
// ExampleParseTreatmentNotes, ExamplePickList, ExampleSplitName,
// ExampleStateCode, ExampleTimestamp, ExampleTitleName.
package transform
