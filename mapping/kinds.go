package mapping

import "slices"

// TargetKind is what a source record becomes in HighLevel.
type TargetKind string

// Target kinds.
const (
	TargetContact      TargetKind = "contact"
	TargetBusiness     TargetKind = "business"
	TargetCustomObject TargetKind = "custom_object"
	TargetOpportunity  TargetKind = "opportunity"
	TargetNote         TargetKind = "note"
	TargetTask         TargetKind = "task"
	// TargetContactField folds the object's records, as JSON entries, into one
	// LARGE_TEXT custom field on the linked contact (communication logs, forms).
	TargetContactField TargetKind = "contact_field"
	// TargetUser resolves records to existing HighLevel users (staff → owner);
	// nothing is created.
	TargetUser TargetKind = "user"
	// TargetEvent writes each record as an appointment of its contact in
	// one of the object's Calendars, never notifying the contact.
	TargetEvent TargetKind = "calendar_event"
	// TargetMessage adds each record as a message, with its original date,
	// type and direction, to its contact's conversation (created once per
	// contact); nothing is sent.
	TargetMessage TargetKind = "conversation_message"
	// TargetMedia uploads each record's file (a source document) into the
	// location's media library and links it to its contact with a note.
	TargetMedia TargetKind = "media"
)

// kindSpec is everything this package knows about one target kind: the
// ledger record type its records journal under, the fields a rule may
// write, where lookups may put an id, what custom fields and keys mean for
// it, which settings apply to it, and how the review names it. The
// checks, the schema plan, the review and the suggesters read it instead
// of switching on the kind, so a new target kind is one entry in kinds
// (and its Inputs method), not an edit in each of them.
type kindSpec struct {
	kind TargetKind
	// scopes are the HighLevel read scopes the kind's records need beyond
	// the contact's (each stands for its read/write pair): what Doctor
	// probes when a map uses the kind.
	scopes []string
	// record is the ledger record type of the object's records (the
	// rollback.Type* spelling, kept as a literal so mapping does not
	// import the ledger; TestObjectRecordType pins them); "" when the
	// object writes no record of its own. recordIsKey: the object's key
	// is the record type (custom object records).
	record      string
	recordIsKey bool
	// creates: the kind creates records, which keep their source key in
	// an external-id custom field (required unless noExternalID says why
	// the kind cannot take one).
	creates      bool
	noExternalID string
	// noCustom is why a typed rule is refused on a kind without custom
	// fields; "" says so in general terms.
	noCustom string
	// standard lists the HighLevel fields a rule may write without
	// declaring a custom field type (StandardFields).
	standard []string
	// links lists where a lookup may put a resolved id.
	links []string
	// custom says what a rule's type (a custom field) means for the kind.
	custom customRules
	// model is the schema model the kind's custom fields and external id
	// are created on; "" means the object's key (custom objects).
	model string
	// key says what Object.Key means for the kind.
	key keyRule
	// associable: association lookups may link to objects of the kind.
	associable bool
	// pipelines: the object maps pipelines and stages (and needs them).
	pipelines bool
	// owners: the object may carry an owners table (staff → user).
	owners bool
	// calendars: the object's records go into calendars the location must
	// have (the schema plan and the cutover sheet name them).
	calendars bool
	// singular names one record in labels when the object gives none;
	// "" derives it from the object's name.
	singular string
	// title is how the review names the target (key: the object's key);
	// nil names the kind.
	title func(key string) string
}

// customRules is what a typed rule (a custom field) means for a kind.
type customRules int

const (
	// customNone: the kind has no custom fields; every rule writes a
	// standard field.
	customNone customRules = iota
	// customTyped: a typed rule creates a custom field; untyped rules
	// write standard fields.
	customTyped
	// customAll: every rule is a typed property of the kind's own schema
	// (custom objects).
	customAll
	// customFree: rules name keys of a JSON entry (contact fields), typed
	// or not; the kind's one custom field is its key, LARGE_TEXT.
	customFree
)

// keyRule is what an object's key means for its kind.
type keyRule int

const (
	keyNone   keyRule = iota // the kind takes no key
	keyObject                // custom_objects.<name>: the object's own schema
	keyField                 // the contact custom field the records fold into
)

// kinds is the table: one entry per target kind, in the order the
// package lists them (unknown-target messages).
var kinds = []kindSpec{
	{kind: TargetContact, record: "contact", creates: true, custom: customTyped, model: "contact",
		standard: []string{"firstName", "lastName", "name", "email", "phone", "gender", "address1",
			"city", "state", "postalCode", "country", "website", "timezone", "dnd", "tags",
			"source", "companyName", "dateOfBirth"},
		links: []string{LinkBusiness, LinkOwner}, associable: true, singular: "Contact"},
	{kind: TargetBusiness, record: "business", scopes: []string{"businesses.readonly"}, creates: true, model: "business",
		noExternalID: "HighLevel businesses take no custom fields on create: drop external_id and keep the source id in description",
		noCustom:     "HighLevel businesses have no custom fields",
		standard: []string{"name", "phone", "email", "website", "address", "city", "postalCode",
			"state", "country", "description"},
		links: []string{}, associable: true, singular: "Business"},
	{kind: TargetCustomObject, scopes: []string{"objects/schema.readonly", "associations.readonly"}, recordIsKey: true, creates: true, custom: customAll, key: keyObject,
		links: []string{LinkAssociation, LinkOwner, LinkFollowers}, associable: true,
		title: func(key string) string { return "custom object `" + key + "`" }},
	{kind: TargetOpportunity, record: "opportunity", scopes: []string{"opportunities.readonly"}, creates: true, custom: customTyped, model: "opportunity",
		standard: []string{"name", "status", "monetaryValue", "source"},
		links:    []string{LinkContact, LinkOwner}, pipelines: true},
	{kind: TargetNote, record: "note", standard: []string{"body"}, links: []string{LinkContact, LinkOwner}},
	{kind: TargetTask, record: "task", standard: []string{"title", "body", "dueDate", "completed"},
		links: []string{LinkContact, LinkOwner}},
	{kind: TargetContactField, custom: customFree, model: "contact", key: keyField, links: []string{LinkContact},
		title: func(key string) string { return "JSON in contact field `" + key + "`" }},
	{kind: TargetUser, scopes: []string{"users.readonly"}, standard: []string{"email", "name"}, links: []string{}, owners: true,
		title: func(string) string { return "HighLevel users (owner resolution)" }},
	{kind: TargetEvent, record: "calendar_event", scopes: []string{"calendars.readonly"}, calendars: true,
		standard: []string{"calendar", "title", "startTime", "endTime", "durationMinutes", "appointmentStatus",
			"description", "address"},
		links: []string{LinkContact, LinkOwner}},
	{kind: TargetMessage, record: "conversation_message",
		standard: []string{"type", "direction", "date", "message", "subject", "provider"},
		links:    []string{LinkContact, LinkOwner}},
	{kind: TargetMedia, record: "media", scopes: []string{"medias.readonly"}, standard: []string{"name", "kind", "date", "size", "contentType", "sha256"},
		links: []string{LinkContact, LinkOwner}},
}

// LinkFollowers is a lookup destination of custom object records (beside
// LinkContact, LinkBusiness, LinkOwner and LinkAssociation): the staff
// member's HighLevel user among the record's followers (at most 10), as
// LinkOwner makes one its owner (at most 1). Neither ever takes the
// fallback user: a staff member without a user leaves the record without
// that owner or follower, with a warning; the record's own fields say who.
const LinkFollowers = "followers"

// maxFollowers is how many followers HighLevel keeps on a record.
const maxFollowers = 10

// linkKinds is the kind of object a lookup's link must refer to.
var linkKinds = map[string]TargetKind{LinkContact: TargetContact, LinkBusiness: TargetBusiness, LinkOwner: TargetUser,
	LinkFollowers: TargetUser}

var targetKinds = func() []TargetKind {
	ks := make([]TargetKind, len(kinds))
	for i, s := range kinds {
		ks[i] = s.kind
	}
	return ks
}()

// specOf is k's entry; the zero spec (no record, no fields, no links) for
// a kind the table does not hold.
func specOf(k TargetKind) *kindSpec {
	if i := slices.IndexFunc(kinds, func(s kindSpec) bool { return s.kind == k }); i >= 0 {
		return &kinds[i]
	}
	return &kindSpec{kind: k}
}

// FoldedField is the contact custom field o's records fold into, as JSON
// entries sent in the contact's own call; "" when o writes records of its
// own.
func (o Object) FoldedField() string {
	if specOf(o.Target).key == keyField {
		return o.Key
	}
	return ""
}

// UsesCalendars reports whether o's records go into the location's
// calendars, which must exist before the run.
func (o Object) UsesCalendars() bool { return specOf(o.Target).calendars }

// createsRecords reports whether the target creates HighLevel records, which
// therefore need an external id.
// Scopes returns the HighLevel read scopes a map using the kind needs
// beyond the contact's (locations, contacts, custom fields and values):
// each stands for its read/write pair.
func (k TargetKind) Scopes() []string { return slices.Clone(specOf(k).scopes) }

func (k TargetKind) createsRecords() bool { return specOf(k).creates }

// customFields reports whether a typed rule may create a custom field on
// the kind's records.
func (s *kindSpec) customFields() bool { return s.custom != customNone }

// TypedRules reports whether a rule for the kind's records may be typed:
// a new custom field of the kind (contacts, opportunities) or a property
// of the object's own schema (custom objects). Kinds without custom
// fields, and contact fields (whose rules name keys of a JSON entry), take
// no typed rule. Suggesters read it instead of listing the kinds.
func (k TargetKind) TypedRules() bool {
	c := specOf(k).custom
	return c == customTyped || c == customAll
}

// CustomFieldModel is the HighLevel custom-field model whose existing
// fields a rule for the kind may write by key ("contact", "opportunity");
// "" when the kind has none to pick from: custom objects (their model is
// each object's key), contact fields (rules name JSON keys) and kinds
// without custom fields.
func (k TargetKind) CustomFieldModel() string {
	if s := specOf(k); s.custom == customTyped {
		return s.model
	}
	return ""
}

// schemaModel is the model o's custom fields and external id are created
// on.
func (s *kindSpec) schemaModel(o *Object) string {
	if s.model != "" {
		return s.model
	}
	return o.Key
}

// standardFields and lookupTargets are the table's standard fields and
// link targets by kind, for the proposer and Inputs, which look them up
// by kind.
var standardFields, lookupTargets = func() (std, links map[TargetKind][]string) {
	std, links = map[TargetKind][]string{}, map[TargetKind][]string{}
	for _, s := range kinds {
		if s.standard != nil {
			std[s.kind] = s.standard
		}
		links[s.kind] = s.links
	}
	return std, links
}()
