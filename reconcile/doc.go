// Package reconcile checks, after a migration run, that everything the
// ledger says was written is in HighLevel and is right (promise 8 of the
// migration spec), spending as few API reads as it can: HighLevel allows 100
// requests per 10 s per location, so every check is judged in reads per
// record.
//
// The verdict ([Report.Verdict]) compares source → ledger → HighLevel and
// says which pair agreed: "OK: source, ledger and HighLevel agree" only when
// nothing differs and no source record is missing; otherwise, e.g.
// "HighLevel matches the ledger; 7 source records are not in HighLevel
// (rejected 7, invalid 0)" — rejected are records HighLevel refused,
// invalid those never sent, both from the ledger's problems. [Report.OK]
// is that full agreement; [Report.LedgerMatches] is HighLevel against the
// ledger alone.
//
// The ledger is the reference. Its id map says which records exist and
// where; its journal holds, per record, the last body sent (the mapped
// body) and the links made (contact → business, record ↔ contact). Check
// compares that with HighLevel:
//
//   - Counts per object type: the source's valid records (given by the host
//     from the map's Validator, Options.Source), the id map and HighLevel's
//     totals (a search's total for contacts, custom object records and —
//     in a full check that is not Deep — opportunities; a listing for
//     businesses, and for opportunities otherwise). Count.HighLevelBy says
//     which ("search total" or "listing"). Contacts missing or extra are
//     named by source key through the full read or the bucketed diff, with no read per
//     record; custom records and opportunities by reading the type whole
//     when its count differs. A total of exactly 10,000 where the ledger
//     holds more may be Elasticsearch's "10,000 or more": it is not used
//     as a count (the type is listed instead).
//   - Field population rates per target field: the share of records whose
//     mapped body sets the field (its create's body as later updates
//     overrode it), against HighLevel's share. Where a check reads the
//     records anyway it measures them there, with no read of its own: a
//     full check's contacts when it reads them all (below), and its custom
//     object records over the records it compares — the random page of
//     each type ("random page read") unless Deep or the type's count
//     differs (then the whole scan, "every record read"). Population.Same
//     is then the mapped rate over those same records, the figure to
//     compare. Otherwise (a sample check; contacts too many to read whole)
//     contacts and custom object records by counted searches (a page of
//     one with an "exists" filter — properties.<key> for records, which
//     HighLevel accepts though its spec does not document record filters
//     —: its total); the fields every record's body sets are counted
//     together, one search with an "exists" filter on each, whose total
//     of every record stands for each of them (otherwise they are counted
//     one by one). Other objects over the records read. Population.StoredBy
//     says which. A custom object record's owner and followers (the
//     provider's and hygienist's users) are compared and populated like
//     fields, over the records read (no property to search by).
//   - Relationship integrity: contacts linked to their office's business
//     (one count call per business; a business whose count differs is
//     listed; a ledger business the count's listing lacks is an orphan
//     "missing", which repair creates again), custom records related to
//     their contact (one listing per contact, which holds all its records'
//     relations: for the sample, one contact per four sampled records; in
//     a full run a random sample of the related contacts, every one when
//     Deep) and opportunities on the right contact and
//     pipeline (one listing; in a full check that is not Deep, the random
//     page of 100 read with their count, "sampled N of M", unless the
//     count differs); orphans listed by source key.
//   - A field-level diff. For a sample (Options.Sample) every field of every
//     record is read back by id and compared with the mapped body, with
//     HighLevel's normalisations (highlevel.StoredEqual): e-mails without case, phones by their
//     E.164 digits, a date equal to the same day at midnight UTC, tags as a
//     case-insensitive set, custom fields by id, an emptied field equal to
//     an absent one. For a full run the contacts are read whole — search
//     pages of 500 over every contact carrying the external id field, each
//     compared field by field — when that costs no more reads than the
//     fingerprints below plus the population's counted searches it spares
//     (about 30 with the default map: up to some 15,000 contacts; a search
//     pages through at most 10,000). Otherwise they are compared in hashed
//     buckets, data-diff style: HighLevel computes no hash, so a bucket's
//     fingerprint on its side is what one search call with a page of one
//     tells — how many contacts have their external id in the bucket's
//     range and the newest dateUpdated among them. The ledger's fingerprint
//     is the count of its records in that range and the time of its last
//     write there. A bucket that agrees holds exactly the records written
//     and none was changed since; one that differs is halved and its halves
//     fingerprinted again, down to a leaf that is read in one search page
//     and compared field by field. A leaf is 500 contacts by default: one
//     search page reads it, so halving further would cost more calls than
//     it saves (bisection saves records read and compared, and calls once
//     the location is much larger than a page). Custom object records have
//     no range filter or sort in HighLevel's search, so a full run scans
//     them by pages of 100 instead, comparing every field — when Deep, or
//     for a type whose count differs from the ledger's. A full check that
//     is not Deep compares, per custom object whose count agrees, the
//     random search page of 100 read with the count (no call of its own;
//     Diff.Sampled of Diff.SampledOf, "sampled N of M records": a field
//     changed on a record outside the page is not seen). Diff.Calls and
//     Diff.RecordsRead say what each cost; BenchmarkBucketedDiff reports
//     calls and records read per contact. Measured on 1,929 contacts with
//     two damaged: leaf 500 spends 8 calls and reads 963 contacts; leaf 25
//     spends 28 calls and reads 30; a plain scan by pages of 500 would spend
//     4 calls and read all 1,929; reading by id, 1,929 calls. In calls a
//     scan is as cheap at this size: bisection pays off in what is read and
//     compared, and in calls once damage is rare in a large location.
//
// Duplicates: an external id HighLevel holds on more than one object of a
// type (a write applied twice — an answer lost and the create retried —
// or a copy made by hand) is listed in Report.Duplicates with every id
// holding it, the ledger's first, and the report is not OK. Identity is
// ours, so this costs no extra read where the check already reads: the
// full scan of custom object records groups every record by its external
// id property; the opportunity listing (made for the counts) groups every
// opportunity by its external id custom field (one read by id per
// opportunity the ledger does not know, when the listing omits custom
// fields); and for contacts, a copy carrying a migrated key sits in the same
// key range as the original, so its bucket's fingerprint differs and the
// leaf read holds both. Contacts and records are therefore checked in full
// runs only, opportunities always. In a full check that is not Deep a copy
// of a custom record or an opportunity raises its type's count, which
// makes the check read the type whole and group it; a copy offset by a
// deleted record of the same type leaves the count equal and is seen only
// on the sample page (Deep groups every one). The property or field holding the
// external id is given (Options.OpportunityExternalField,
// Options.RecordExternalFields) or told from the ledger's mapped bodies:
// the one field equal to the record's source key in every body (up to 25
// read); a type where that is ambiguous is listed in
// Report.DuplicatesUnchecked rather than guessed; Report.DuplicatesChecked
// names the types covered. A delete journaled by the
// migration's duplicate sweep (a copy, under the key of the record kept)
// does not hide the record kept.
//
// Contacts whose source keys are not all canonical integers (codes such as
// "A-17", or "0042", which a numeric range would mix with 42) have no range
// to bisect: they are compared in one leaf that pages through every contact
// carrying the external id (500 a page), up to 10,000; beyond that the step
// is unchecked with [ErrKeys].
//
// The bucket filter is a numeric range on the contact's external id custom
// field: the simulator supports it; whether HighLevel's search accepts a
// range on a TEXT custom field is unconfirmed (a refusal is reported as an
// error of the buckets step, and Full=false still reconciles the rest).
//
// Cost of a full check (BenchmarkFullReconcile, a clean migration, no
// sample diff). A full check that is not Deep spends reads that do not
// grow with the practice — two field listings, a count per object type
// (the custom objects' and opportunities' with their sample page), a
// count per business: 12 with the default map — plus every contact read
// 500 a page (or, past some 15,000 contacts, a bucket fingerprint per
// 1,000 and about 30 counted searches for the contacts' population) and a
// relation listing per 200 related contacts (RelationSample).
// Report.StepCalls says what each step spent. Measured (reads per
// contact): 290 contacts 0.0517 (15 reads: 12 fixed, 1 contact page, 2
// relation listings), 1,929 contacts 0.0135 (26 reads: 12 fixed, 4
// contact pages, 10 relation listings). Before the contacts were read
// whole and the records' population measured on their pages, 57 counted
// searches a check made it 0.241 at 290, 0.0425 at 1,929 and 0.0134 at
// 9,641; before that (every custom record scanned, every opportunity
// listed) 0.386 at 290 and 0.238 at 961; with every relation read too
// (Deep), 1.38 at 290. Deep stays exact record by record: every relation (one listing per
// related contact: about 1 read per contact), every custom record (0.01
// per record, about 16 per contact) and every opportunity. What a full
// check that is not Deep finds exactly: a deleted or changed contact
// (buckets), a contact unlinked from its business (the business counts),
// a deleted or extra custom record or opportunity (its count differs and
// the type is read whole); by sample: a changed custom record (on its
// type's page) and a removed relation (in the sampled contacts: a loss on
// a fraction p of the related contacts is missed with probability
// (1-p)^N, and a single one with probability 1-N/M). The report says
// what was sampled, and of how many (TestFullCheckFindsEachDamage).
// Options.Seed makes the samples repeatable. Options.Full=false checks
// the relations of the sample diff's contacts only. The sample diff
// (BenchmarkSampleDiff, 118 records) spends 1.042 reads per sampled
// record (was 1.64): a read by id each, and the relations of one related
// contact per four sampled records, listed once — its custom records are
// the ones sampled (topped up with every Sample-th other record when they
// hold too few), and every journaled relation of those contacts is
// checked. Estimate tells a check's reads from the ledger alone, before
// it runs.
//
// External id fields are given by key ("contact.pbn_patient_id", as the
// map names them) or by HighLevel id; a key is resolved from the custom
// field listing the check reads anyway to name fields.
//
// Faults: HighLevel failing a step beyond the client's retries (5xx, 429,
// a transport error) or an external id key the location lacks does not
// end the check: the step is listed in Report.Unchecked with a value-free
// reason, the next steps still run, the verdict starts "PARTIAL" and the
// report is not OK (Report.Complete). Ledger errors and cancellation end
// it. A location changed while the check runs shows as the differences it
// makes (a contact deleted between the counts and the buckets is named
// missing). pbnhl's Migration.Reconcile fills Options from a Migration
// and records the check as a ledger run (rollback.KindReconcile) with its
// calls.
//
// Not reconciled: notes and tasks (HighLevel lists them per contact only,
// one call per contact; the ledger's journal holds their outcomes).
//
// Counts after a delta: records the source deleted are either deleted in
// HighLevel by the delta (DeleteDeleted: the journal's deletes, the
// Deleted column with their keys) or kept there (the default policy:
// the ledger keeps no trace of a deletion it did not apply, so the host
// passes their keys as Options.Kept — the Kept column). A count is OK
// when source − rejected + kept = ledger = HighLevel; Count.Status says
// why in words ("ok: 3 kept after their source deletion", or the numbers
// that disagree), so a delta that kept deletions never reads as a bare
// "mismatch".
//
// A sample's field diff (sample_diff.go): DiffSample reads back by id every
// record the given sample runs wrote (one call each, plus two field
// listings to name custom fields) and compares it with compareBody, as
// Check's sample does, into a SampleDiff of matched / differed / missing per
// object type and field with the source keys; its values (PHI) only with
// SampleOptions.Values, for WriteSampleValuesHTML's page marked as patient
// data. pbnhl's Migration.Sample calls it (TestDiffSample).
//
// Reports are plain text, JSON and a self-contained HTML page meant as
// evidence a practice can keep: a header (practice — Options.Practice —,
// the HighLevel location, the map digest and the runs checked, read from
// the ledger's runs, the date, the verdict in one sentence), three charts
// drawn as inline SVG (records per object type: source / ledger /
// HighLevel; population rate per field: mapped bodies vs HighLevel;
// differences by object type and kind), then the tables: counts with
// rejected, kept and deleted columns, the source keys behind every
// difference, duplicates, integrity, the field diffs, population, runs.
// Inline CSS, no script, nothing fetched: it opens offline. Every
// rendering holds object types, field names, counts, source keys and
// HighLevel ids — never a field's value. TestHTMLReport holds its golden
// file; TestReportInABrowser loads it in headless Chromium (chromedp):
// no console error or exception, nothing fetched, every chart laid out
// with a size, and a PNG screenshot left in $PBNHL_ARTEFACTS (a temp dir
// when unset). It skips, saying why, when no chromium, chromium-browser
// or google-chrome is on PATH; .ci/run installs Debian's chromium.
//
// What the check does per object type — how HighLevel's total is read,
// how one object is read back, which types are scanned, sampled for
// relations, grouped for duplicates — is one table, kinds.go; the other
// files ask it (TestNoSwitchOnObjectTypes). Notes, tasks, calendar events,
// messages and media have no entry: HighLevel gives them no cheap total,
// so they are not counted.
//
// Runnable examples (example_test.go files; pkg.go.dev shows them):
// ExampleReport_WriteText.
package reconcile
