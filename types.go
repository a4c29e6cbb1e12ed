package pbnhl

// Ledger object types. They are the strings rollback's HighLevel Undo
// target understands: journal with them so Undo can reverse every write.
const (
	typeContact     = "contact"
	typeBusiness    = "business"
	typeOpportunity = "opportunity"
	typeNote        = "note" // TargetID is the contact
	typeTask        = "task" // TargetID is the contact
	// recordTypePrefix starts custom object record types, which are the
	// schema key ("custom_objects.pbn_appointment").
	recordTypePrefix = "custom_objects."
	// typeContactBusiness is a bulk business link: TargetID the contact,
	// RelatedID the business.
	typeContactBusiness = "contact.business"
	// typeRelation is an association relation; the outcome id is the relation.
	typeRelation = "relation"

	typeCustomField  = "custom_field"
	typeObjectField  = "object_field"
	typeAssociation  = "association"
	typeCustomObject = "custom_object"
	typePipeline     = "pipeline"
)
