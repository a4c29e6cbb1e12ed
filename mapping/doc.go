// Package mapping holds the field map of a PbN → HighLevel migration and
// everything a record goes through before it is sent.
//
// # The map document
//
// A [Map] is a human-editable YAML document ([Load], [Parse], [Map.Save]).
// Per source entity an [Object] names its HighLevel target — contact,
// business, custom object, opportunity, note, task, a JSON contact field
// (contact_field), or users for owner resolution — the custom field that
// keeps the source id (external_id), field rules ([Field]: from / fallback /
// template / value → transform chain → value map → to, with a type when the
// target is a custom field; with related, from names another source record
// whose field is read instead — see Related rules below), lookups that link
// records ([Lookup]), filters,
// duplicate detection, an Expand that parses free text into rows, and the
// pipelines and stages of opportunities (with probability_field, the
// opportunity custom field that carries each record's stage probability:
// HighLevel's API cannot set one, so the schema plan lists the per-stage
// values as a manual step, [SchemaPlan].ManualSteps). A calendar_event
// object writes appointments as calendar events of their contact: it
// lists its calendars ([Calendar]: name, or an existing calendar's id,
// and the staff member owning it), its "calendar" rule picks one per
// record by name (a constant, or a value map from provider or office),
// and [Inputs.Event] builds the appointment with the source's start and
// end, toNotify false and the slot checks off; calendars are created or
// chosen by hand (the schema plan lists them, [KindCalendar]; a missing
// one blocks). A conversation_message object adds each record, with its
// original date, type (SMS, Email, Call…) and direction, to its contact's
// conversation ([Inputs.Message]; a provider rule gives the
// conversationProviderId a Custom type needs); which channels go there,
// to tasks (title from channel and direction, the original time as due
// date, completed) or to notes is the objects' filters, one object per
// choice. The user object may carry an owners table ([OwnerRule]).
// A media object (documents) uploads each record's file into the
// location's media library and links it to its contact by a note; its
// rules give the file's name, kind, date, size, content type and SHA-256
// (the root package streams the content); [DocumentsObject] builds one,
// [DocumentsIndexObject] its companion documents index (a contact_field,
// pbn_documents), and the proposer drafts both when the source has
// documents and a contact object, and says so.
// What each target kind allows — its ledger record type
// ([Object.RecordType]), standard fields ([StandardFields]), lookup links,
// custom fields, key, pipelines, owners table — is one entry of the kind
// table (kinds.go), which the checks, the schema plan, the review and the
// suggesters read; a new kind is an entry there and its Inputs method.
// Loading reports every problem at
// once with file:line:column, the rule's path and, for typos, a suggestion.
// Load → save → load is lossless and keeps the document's comments with the
// rules they describe. The document carries a format version.
//
// # Lifecycle
//
//  1. [Propose] drafts a map from a [SourceInventory] ([InventorySource] for
//     a live source, [InventoryDir] for a folder of reports, or built with
//     [SampleRecords], [SampleCSV]) and the destination's existing fields
//     ([DestinationFrom]), with a confidence
//     and a reason per rule: a synonym table, name similarity and type
//     sniffing from samples; a [Suggester] (an LLM) may add suggestions,
//     merged and labelled. [Default] is the ready map for Practice by
//     Numbers, embedded as default.yaml: besides the records it uploads
//     every document (media, with a note naming its media id and URL, and
//     the pbn_documents index), keeps original created/modified instants
//     to the second as *_time text beside the DATE fields, carries
//     appointment, procedure and plan notes as properties of their records
//     and the non-treatment lines of patient notes in pbn_notes. A Suggester sees headers, the sniffed type, the fill rate and value
//     shapes ([ShapeOf]: lengths, distinct count and patterns such as
//     "ddd-ddd-dddd", see [ValuePattern]), never values unless
//     ProposeOptions.ShareSamples; the source key and the fields lookups,
//     templates or skips consumed are not offered. Merging: a suggestion
//     that agrees with the heuristic rule raises its confidence (by half
//     of what an independent opinion would: both read the same header) and
//     adds the suggester to its origin; one that disagrees is a review item
//     with both reasons and replaces the rule only when it is more
//     confident; a suggested skip ([Suggestion].Skip) that wins moves the
//     field from its rule to the object's skip list, with both reasons. Package mapping/llm is a Suggester for any OpenAI-compatible
//     chat-completions endpoint (hosted, Ollama, llama.cpp, vLLM), with a
//     disk cache. The proposer never fails on an export's shape. Files are placed by
//     name and by their columns and values (a patients file is the one
//     with names, birth dates and phones, whatever it is called, with the
//     report names of Dentrix, Eaglesoft, Open Dental, Denticon and Curve
//     as synonyms); a file it cannot place is listed "not recognised — map
//     by hand" with its columns ([Proposal].Files), an entity without
//     records gets no object, a report without an id column is keyed by
//     the fewest columns unique together ([Object].SourceKey "A + B", read
//     by [Object.KeyOf]) or else a placeholder, for review (a record
//     repeating a report's key is invalid, [RuleRepeatedKey], not taken for
//     the first by a run), plans without a stage become a custom
//     object draft, and whatever the map check would refuse is dropped into
//     the review (propose_settle.go), so the draft always loads. Values
//     decide too: e-mails, phones, birth dates, ZIP codes, states, full
//     names and amounts are recognised without a hint from the name and
//     overrule a name they contradict, and the reason says which evidence
//     decided. Skipping is a decision ([Object].Skip, with a reason):
//     sensitive columns (national ids, card and bank numbers, passwords,
//     by name or by value) are skipped by default and marked; balances,
//     display settings and derived ages are skipped with why; a person
//     migrates one by moving it into a rule (a column both skipped and
//     mapped is refused). A typed rule whose sampled values would be
//     rejected says how many and why; when most would be, the column is
//     kept as text instead (two-digit years and day-first dates are read
//     with the date transform's arguments, for review; case statuses are
//     mapped to open/won/lost/abandoned by their words). Rows the source
//     reader rejected are counted by reason ([EntityInventory].Rejects).
//     [Proposal.WriteReview] opens with the files (rows, rejected rows,
//     what each became) and groups every column: needs a decision /
//     not migrated: sensitive / skipped / confident, each with its evidence
//     ([Proposal].Columns). Calibration is measured on labelled export
//     folders in testdata/exports (TestLabelledExports,
//     BenchmarkLabelledExports).
//  2. A person reads [Map.WriteReview] (or [Proposal.WriteReview]), edits the
//     YAML and approves it ([Map.Approve]): who, when, and a digest of the
//     normalised content. Comments and formatting do not change the digest;
//     any rule change does, and the map then fails [Map.Verify] and
//     [LoadApproved] with a [*DigestMismatchError]. [NewApplier] refuses an
//     unapproved map: it can be inspected, not run.
//  3. [DeriveSchema] lists the custom fields, custom objects, associations
//     and pipelines the map needs; [SchemaPlan.Diff] compares them with a
//     location through the small [SchemaAPI] interface (exists, missing,
//     conflicting), [SchemaPlan.Apply] creates what is missing — idempotent,
//     returning what it created so it can be undone — and
//     [SchemaPlan.WriteMarkdown] renders the plan for an admin.
//     [NewHighLevelSchema] is the SchemaAPI of a live location (or of
//     highlevel/hltest) over a *highlevel.Client.
//  4. [ResolveOwners] matches staff to HighLevel users: first by the map's
//     owners table (the user object's owners: staff key → user_id or email,
//     [OwnerRule]; a rule naming no active user is [ErrOwnerTable]), then by
//     email (trimmed, case-insensitive); it lists the unmatched with name
//     and role, counts the records each affects ([Owners.Affected]) and
//     requires a fallback user so no contact lands without an owner;
//     [HighLevelUsers] lists the users. A custom object record takes its
//     owner (`to: assignedTo`) and followers (`to: followers`,
//     [LinkFollowers]) from the same resolution but never the fallback: the
//     default map makes an appointment's provider its owner and its
//     hygienist a follower, a treatment row's provider its owner; a staff
//     member without a user leaves the record without one, with a warning
//     ([Owners.User], counted by [Owners.Unowned]) — the provider and
//     hygienist rules ([Map.NameStaff]) name the person on the record — and
//     a later update clears an owner the record no longer has
//     ([Payload.Unset]).
//  5. [Map.Order] gives the objects parents first, leaving out those the
//     map's history policy turns off ([HistoryPolicy], `history:` with
//     `kind: messages|procedures|appointments` and
//     `as: first-class|folded|both|by-age`: [Map.Off], [Map.WithHistory],
//     [Map.HistoryObjects]; the review says what folding costs,
//     [FoldingCost]). `by-age` folds every record into the contact's log
//     and writes as records of their own only those dated within the last
//     `first_class_months` (24 unless set) of the run ([Map.FirstClassSince],
//     [ApplierOptions.Now]). The default map folds messages (no note per
//     message: the log rides in the contact's own call) and writes
//     procedures and appointments first-class; their logs
//     (procedure_log, appointment_log) exist in the schema so any kind can be
//     switched without a new one ([Map.HistoryRefusal] says when the map's
//     lookups forbid a choice: procedures look up appointments, so
//     appointments cannot be folded while procedures are records). A
//     coverage names its carrier by a property (carrier_id), not by a
//     relation per coverage. An [Applier] turns each
//     source [Record] ([Struct] for typed models, [Row] for CSV rows) into a
//     [Payload]; a [Validator] adds duplicate (merge / keep / flag) and
//     reference checks; an [Aggregator] folds contact_field payloads into one
//     size-capped JSON value per contact — or, for a list object
//     ([Object.List], `list: true`), the distinct values of its one rule
//     less the contact's own business, written to a MULTIPLE_OPTIONS field
//     whose options are the rule's value table. [Map.CarryOffices] drafts
//     one (issue 16.5): HighLevel links a contact to one business, its
//     patient's own office; the other offices the patient had a completed
//     appointment at go in pbn_other_offices, by name ([OfficeName]), and
//     the review says so. A list is no history log: it is on under every
//     history policy. [DraftLinks] reads a PbN source's cohorts, staff and
//     offices and drafts all three links into a map ([Map.TagCohorts],
//     [Map.NameStaff], [Map.CarryOffices]; [Links.Notes] says what it
//     drafted): the one step pbn2hl propose, the demo and the fleet
//     example take. A [Report] tallies and renders the
//     invalid records and why, by frequency per object
//     ([Report.InvalidReasons], [Report.WriteReasons]; a source row that does
//     not parse counts as an invalid record, [Report.AddSourceError]); [Inputs] turns payloads into highlevel request bodies
//     with custom fields by id ([SchemaDiff.FieldIDs]).
//
// # Related rules
//
// A rule with related ([Related]) reads a field of another source record:
//
//	fields:
//	  - from: treatmentPlanId
//	    to: case_type
//	    label: Case type
//	    type: TEXT
//	    related: {object: treatment_plans, field: pipeline}
//
// takes the pipeline of the treatment_plans record whose source key is the
// row's treatmentPlanId (the default map's case type on treatment rows,
// issue 16.5). The value then goes through the rule's transforms, values,
// default and type check as a value of the record's own would. An empty id
// (or PbN's "0") gives no value and, on an update, clears the field; an id
// no record of the object has leaves the field out with a warning
// ([RuleRelated]; an invalid record when the rule is required); a value
// that is not one of an options field's options is left out as any other.
// The related record is any record of the object's source, whether its own
// filters keep it or not. The check refuses a related rule without from,
// an object the map does not have, an expanded object (its rows have no
// key of their own), and a field that is not a column of a Practice by
// Numbers entity (custom.<key> properties are). Values come from a
// [RelatedValues] index: [Map.RelatedReads] says which source to read
// once and which fields to keep, [RelatedValues.Add] keeps one string per
// record and field (equal values once, nothing of the rest of the record:
// about 56 heap bytes per plan, a lookup 80–120 ns; BenchmarkRelatedValues
// at 100,000 plans), and [ApplierOptions].Related or [Applier.WithRelated]
// hands it to the applier. The root package builds it once per preflight, sample, run,
// delta and dry run, so they all apply the same rule; an applier without
// it warns on every related rule rather than guessing. The default map's
// case type is TEXT, not options: a pipeline the practice adds later
// still arrives. A delta reads the plans as they are, and writes again the
// rows whose plan changed since its watermark though they did not (the
// root package reads the object whole then; a row whose content digest is
// unchanged is skipped as ever), so a plan moved to another pipeline moves
// its rows' case type.
//
// # Deltas
//
// [Payload.Digest] hashes what a payload writes; ignoring pbn_updated_at it
// tells real changes from spurious change stamps. [Payload.Empty] lists the
// fields the source emptied, and the update builders ([Inputs.ContactUpdate],
// [Inputs.BusinessUpdate], [Inputs.OpportunityUpdate], [Inputs.RecordUpdate])
// clear them, so a delta brings HighLevel to the source's final state.
// Contacts and opportunities clear custom fields with ""; records clear
// properties with null (typed properties refuse ""). HighLevel documents
// neither: both are what the simulator accepts, kept in one place here.
//
// # Invalid records and PHI
//
// A [Problem] names the object, source key, field, rule and a reason written
// without the value: values are protected health information and never
// appear in problems, errors or reports. A bad value in an optional field is
// left out with a warning (HighLevel would refuse the whole record for it);
// in a required field, or a missing required link, it makes the record
// invalid, and an invalid record is never sent.
//
// # Transforms
//
// Transforms are the pure functions of package transform, named in chains
// through a [Registry] ([DefaultRegistry]; [NewRegistry] to add your own).
// [Registry.Names] and [Registry.Help] list them: trim, collapse, upper,
// lower, title_name, date, timestamp, phone, email, money, number, bool, id,
// flatten, truncate, const_if_set, state, country, cdt, name; the row parser
// treatment_notes serves Expand.
//
// Throughput: the default map's transforms and validation run at roughly
// 150,000–300,000 records per second on one core with about 10–14
// allocations per record (BenchmarkDefaultMap, BenchmarkDefaultMapPBNTest).
//
// Runnable examples (example_test.go files; pkg.go.dev shows them): Example,
// ExampleDefault, ExampleDeriveSchema, ExampleMap_Verify,
// ExampleParse_errors, ExamplePropose, ExampleResolveOwners.
package mapping
