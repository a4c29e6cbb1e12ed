package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping/transform"
)

// ErrNoFieldID says a payload writes a custom field whose HighLevel id is
// unknown: the schema plan was not applied (or not diffed) first. HighLevel
// silently ignores unknown fields, so this is an error, never a drop.
var ErrNoFieldID = errors.New("mapping: custom field has no HighLevel id")

// FieldIDs returns the HighLevel id of every existing custom field of the
// diff, by full field key (contact.pbn_created_at). Diff again after Apply
// to include what Apply created.
func (d *SchemaDiff) FieldIDs() map[string]string {
	out := map[string]string{}
	for _, it := range d.Items {
		if it.Kind == KindField && it.ID != "" && it.Status != Conflicts {
			out[it.Key] = it.ID
		}
	}
	return out
}

// AssociationIDs returns the HighLevel id of every existing association of
// the diff, by key, for relation creates (Link.Association).
func (d *SchemaDiff) AssociationIDs() map[string]string {
	out := map[string]string{}
	for _, it := range d.Items {
		if it.Kind == KindAssociation && it.ID != "" && it.Status == Exists {
			out[it.Key] = it.ID
		}
	}
	return out
}

// Inputs turns payloads into highlevel request bodies. Custom fields are
// sent by id (FieldIDs), never by key.
type Inputs struct {
	// FieldIDs maps full field keys to HighLevel ids: SchemaDiff.FieldIDs.
	FieldIDs map[string]string
	// Pipelines are the location's pipelines (Pipelines.List), to resolve
	// an opportunity's pipeline and stage names to ids.
	Pipelines []*highlevel.Pipeline
	// Calendars maps the map's calendar names to HighLevel calendar ids:
	// SchemaDiff.CalendarIDs.
	Calendars map[string]string
	// ConversationProvider is the conversationProviderId of a message
	// whose payload has no "provider" field (a migration's
	// Options.ConversationProvider).
	ConversationProvider string
}

func (in Inputs) customFields(model string, p *Payload) ([]highlevel.CustomFieldInput, error) {
	out := make([]highlevel.CustomFieldInput, 0, len(p.Custom))
	for _, v := range p.Custom {
		key := model + "." + v.Key
		id, ok := in.FieldIDs[key]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoFieldID, key)
		}
		fv, err := highlevel.ValueFor(highlevel.DataType(v.Type), v.JSON())
		if err != nil {
			return nil, fmt.Errorf("mapping: %s %s field %s: %w", p.Object, p.SourceKey, v.Key, err)
		}
		out = append(out, highlevel.CustomFieldInput{ID: id, Value: fv})
	}
	return out, nil
}

func wrongTarget(p *Payload, want TargetKind) error {
	return fmt.Errorf("mapping: %s payload is a %s, not a %s", p.Object, p.Target, want)
}

// Contact builds a contact create body. AssignedTo comes from the payload
// (owner resolution); the business link is a separate bulk call.
func (in Inputs) Contact(p *Payload) (highlevel.ContactInput, error) {
	var c highlevel.ContactInput
	if p.Target != TargetContact {
		return c, wrongTarget(p, TargetContact)
	}
	for _, v := range p.Fields {
		switch v.Key {
		case "firstName":
			c.FirstName = v.Text
		case "lastName":
			c.LastName = v.Text
		case "name":
			c.Name = v.Text
		case "email":
			c.Email = v.Text
		case "phone":
			c.Phone = v.Text
		case "gender":
			c.Gender = v.Text
		case "address1":
			c.Address1 = v.Text
		case "city":
			c.City = v.Text
		case "state":
			c.State = v.Text
		case "postalCode":
			c.PostalCode = v.Text
		case "country":
			c.Country = v.Text
		case "website":
			c.Website = v.Text
		case "timezone":
			c.Timezone = v.Text
		case "dnd":
			b := v.Text == "true" || strings.EqualFold(v.Text, "yes")
			c.DND = &b
		case "tags":
			c.Tags = splitList(v.Text)
			if len(c.Tags) == 1 {
				c.Tags = transform.Split(c.Tags[0], ",;")
			}
		case "source":
			c.Source = v.Text
		case "companyName":
			c.CompanyName = v.Text
		case "dateOfBirth":
			c.DateOfBirth = v.Text
		default:
			return c, fmt.Errorf("mapping: contact field %q has no place in a contact body", v.Key)
		}
	}
	var err error
	if c.CustomFields, err = in.customFields("contact", p); err != nil {
		return c, err
	}
	c.AssignedTo = p.AssignedTo
	return c, nil
}

// Business builds a business create body.
func (in Inputs) Business(p *Payload) (highlevel.BusinessInput, error) {
	var b highlevel.BusinessInput
	if p.Target != TargetBusiness {
		return b, wrongTarget(p, TargetBusiness)
	}
	for _, v := range p.Fields {
		switch v.Key {
		case "name":
			b.Name = v.Text
		case "phone":
			b.Phone = v.Text
		case "email":
			b.Email = v.Text
		case "website":
			b.Website = v.Text
		case "address":
			b.Address = v.Text
		case "city":
			b.City = v.Text
		case "postalCode":
			b.PostalCode = v.Text
		case "state":
			b.State = v.Text
		case "country":
			b.Country = v.Text
		case "description":
			b.Description = v.Text
		default:
			return b, fmt.Errorf("mapping: business field %q has no place in a business body", v.Key)
		}
	}
	if len(p.Custom) > 0 {
		return b, errors.New("mapping: businesses take no custom fields on create")
	}
	return b, nil
}

// Opportunity builds an opportunity create body for the resolved contact,
// finding the pipeline and stage ids by name.
func (in Inputs) Opportunity(p *Payload, contactID string) (highlevel.OpportunityInput, error) {
	var o highlevel.OpportunityInput
	if p.Target != TargetOpportunity {
		return o, wrongTarget(p, TargetOpportunity)
	}
	var pl *highlevel.Pipeline
	for _, x := range in.Pipelines {
		if strings.EqualFold(strings.TrimSpace(x.Name), strings.TrimSpace(p.Pipeline)) {
			pl = x
			break
		}
	}
	if pl == nil {
		return o, fmt.Errorf("mapping: pipeline %q does not exist in the location (apply the schema plan)", p.Pipeline)
	}
	st, ok := pl.Stage(p.Stage)
	if !ok {
		return o, fmt.Errorf("mapping: pipeline %q has no stage %q (apply the schema plan)", p.Pipeline, p.Stage)
	}
	o.PipelineID, o.PipelineStageID, o.ContactID, o.AssignedTo = pl.ID, st.ID, contactID, p.AssignedTo
	o.Status = highlevel.StatusOpen
	for _, v := range p.Fields {
		switch v.Key {
		case "name":
			o.Name = v.Text
		case "status":
			o.Status = highlevel.OpportunityStatus(v.Text)
		case "monetaryValue":
			c, ok, err := transform.ParseCents(v.Text)
			if err != nil {
				return o, fmt.Errorf("mapping: %s %s monetaryValue: %w", p.Object, p.SourceKey, err)
			}
			if ok {
				cents := highlevel.Cents(c)
				o.MonetaryValue = &cents
			}
		case "source":
		default:
			return o, fmt.Errorf("mapping: opportunity field %q has no place in an opportunity body", v.Key)
		}
	}
	var err error
	if o.CustomFields, err = in.customFields("opportunity", p); err != nil {
		return o, err
	}
	return o, nil
}

// Record builds a custom object record body: properties by their short key
// in the form records take (Value.RecordJSON), the owner when resolved.
func (in Inputs) Record(p *Payload) (highlevel.RecordInput, error) {
	var r highlevel.RecordInput
	if p.Target != TargetCustomObject {
		return r, wrongTarget(p, TargetCustomObject)
	}
	r.Properties = make(map[string]highlevel.FieldValue, len(p.Custom))
	for _, v := range p.Custom {
		var fv highlevel.FieldValue
		switch x := v.RecordJSON().(type) {
		case map[string]any: // money
			c, _, err := transform.ParseCents(v.Text)
			if err != nil {
				return r, fmt.Errorf("mapping: %s %s field %s: %w", p.Object, p.SourceKey, v.Key, err)
			}
			fv = highlevel.RecordMoneyValue(highlevel.Cents(c))
		case []string:
			fv = highlevel.OptionsValue(x...)
		case float64:
			fv = highlevel.NumberValue(x)
		case string:
			fv = highlevel.TextValue(x)
		}
		r.Properties[v.Key] = fv
	}
	if p.AssignedTo != "" {
		r.Owner = []string{p.AssignedTo}
	}
	if len(p.Followers) > 0 {
		r.Followers = slices.Clone(p.Followers)
	}
	return r, nil
}

// Note builds a note body.
func (in Inputs) Note(p *Payload) (highlevel.NoteInput, error) {
	var n highlevel.NoteInput
	if p.Target != TargetNote {
		return n, wrongTarget(p, TargetNote)
	}
	for _, v := range p.Fields {
		if v.Key == "body" {
			n.Body = v.Text
		}
	}
	n.UserID = p.AssignedTo
	return n, nil
}

// Task builds a task body. The due date is RFC 3339 or a plain date
// (midnight UTC); a task's completed flag is "true" or "Yes". The error of
// an unreadable due date names the field, never its value.
func (in Inputs) Task(p *Payload) (highlevel.TaskInput, error) {
	t := highlevel.TaskInput{AssignedTo: p.AssignedTo}
	if p.Target != TargetTask {
		return t, wrongTarget(p, TargetTask)
	}
	for _, v := range p.Fields {
		switch v.Key {
		case "title":
			t.Title = v.Text
		case "body":
			t.Body = v.Text
		case "completed":
			t.Completed = v.Text == "true" || v.Text == "Yes"
		case "dueDate":
			d, err := time.Parse(time.RFC3339, v.Text)
			if err != nil {
				if d, err = time.Parse(time.DateOnly, v.Text); err != nil {
					return t, errors.New("dueDate is not a date")
				}
			}
			t.DueDate = d
		}
	}
	return t, nil
}

// ContactField builds the custom field value that writes an aggregated JSON
// value onto its contact (in a contact update).
func (in Inputs) ContactField(v ContactFieldValue) (highlevel.CustomFieldInput, error) {
	key := "contact." + v.FieldKey
	id, ok := in.FieldIDs[key]
	if !ok {
		return highlevel.CustomFieldInput{}, fmt.Errorf("%w: %s", ErrNoFieldID, key)
	}
	if v.IsList {
		return highlevel.CustomFieldInput{ID: id, Value: highlevel.OptionsValue(v.List...)}, nil
	}
	return highlevel.CustomFieldInput{ID: id, Value: highlevel.TextValue(v.JSON)}, nil
}

// ContactUpdate builds the update that brings an existing contact to the
// payload's state: every mapped value is sent, and fields the source
// emptied (Payload.Empty) are cleared with "". HighLevel's update refuses
// gender and companyName, so those are left as they are.
func (in Inputs) ContactUpdate(p *Payload) (highlevel.ContactUpdate, error) {
	var u highlevel.ContactUpdate
	ci, err := in.Contact(p)
	if err != nil {
		return u, err
	}
	ptrs := map[string]**string{
		"firstName": &u.FirstName, "lastName": &u.LastName, "name": &u.Name, "email": &u.Email, "phone": &u.Phone,
		"address1": &u.Address1, "city": &u.City, "state": &u.State, "postalCode": &u.PostalCode, "country": &u.Country,
		"website": &u.Website, "timezone": &u.Timezone, "source": &u.Source, "dateOfBirth": &u.DateOfBirth,
	}
	for _, v := range p.Fields {
		if dst, ok := ptrs[v.Key]; ok {
			*dst = &v.Text
		}
	}
	// No tags: HighLevel's update replaces every tag of the contact, those
	// staff and automations gave it since the first run included. The
	// caller adds and removes the map's own (ContactTags).
	u.DND, u.CustomFields = ci.DND, ci.CustomFields
	if p.AssignedTo != "" {
		u.AssignedTo = &p.AssignedTo
	}
	for _, k := range p.Empty {
		if dst, ok := ptrs[k]; ok {
			*dst = new(string)
		}
	}
	clear, err := in.clearedFields("contact", p)
	if err != nil {
		return u, err
	}
	u.CustomFields = append(u.CustomFields, clear...)
	return u, nil
}

// ContactTags are the tag changes of a contact update (ContactUpdate
// sends none): add, the payload's tags; remove, the tags of the object's
// cohort table (a tags rule's value map: tags the map owns) the payload no
// longer has — a patient who left a cohort loses its tag, a tag the map
// does not own is never removed.
func (in Inputs) ContactTags(m *Map, p *Payload) (add, remove []string, err error) {
	ci, err := in.Contact(p)
	if err != nil {
		return nil, nil, err
	}
	add = ci.Tags
	var o *Object
	if m != nil {
		o = m.Object(p.Object)
	}
	if o == nil {
		return add, nil, nil
	}
	has := make(map[string]bool, len(add))
	for _, t := range add {
		has[strings.ToLower(strings.TrimSpace(t))] = true
	}
	for _, f := range o.Fields {
		if f.To != "tags" || f.Type != "" {
			continue
		}
		for _, v := range f.Values {
			t := strings.ToLower(strings.TrimSpace(v.To))
			if t != "" && !has[t] && !slices.Contains(remove, t) {
				remove = append(remove, t)
			}
		}
	}
	return add, remove, nil
}

// clearedFields are the custom fields of p.Empty, cleared.
func (in Inputs) clearedFields(model string, p *Payload) ([]highlevel.CustomFieldInput, error) {
	var out []highlevel.CustomFieldInput
	for _, k := range p.Empty {
		if slices.Contains(standardFields[p.Target], k) {
			continue
		}
		id, ok := in.FieldIDs[model+"."+k]
		if !ok {
			return nil, fmt.Errorf("%w: %s.%s", ErrNoFieldID, model, k)
		}
		out = append(out, highlevel.CustomFieldInput{ID: id, Value: highlevel.TextValue("")})
	}
	return out, nil
}

// BusinessUpdate builds the update that brings a business to the payload's
// state, clearing the fields the source emptied.
func (in Inputs) BusinessUpdate(p *Payload) (highlevel.BusinessUpdate, error) {
	var u highlevel.BusinessUpdate
	if _, err := in.Business(p); err != nil {
		return u, err
	}
	ptrs := map[string]**string{
		"name": &u.Name, "phone": &u.Phone, "email": &u.Email, "website": &u.Website, "address": &u.Address,
		"city": &u.City, "postalCode": &u.PostalCode, "state": &u.State, "country": &u.Country, "description": &u.Description,
	}
	for _, v := range p.Fields {
		if dst, ok := ptrs[v.Key]; ok {
			*dst = &v.Text
		}
	}
	for _, k := range p.Empty {
		if dst, ok := ptrs[k]; ok {
			*dst = new(string)
		}
	}
	return u, nil
}

// OpportunityUpdate builds the update that moves an opportunity to the
// payload's pipeline, stage, status, value and custom fields.
func (in Inputs) OpportunityUpdate(p *Payload) (highlevel.OpportunityUpdate, error) {
	var u highlevel.OpportunityUpdate
	oi, err := in.Opportunity(p, "")
	if err != nil {
		return u, err
	}
	u.PipelineID, u.PipelineStageID, u.Status = &oi.PipelineID, &oi.PipelineStageID, &oi.Status
	if oi.Name != "" {
		u.Name = &oi.Name
	}
	u.MonetaryValue = oi.MonetaryValue
	if slices.Contains(p.Empty, "monetaryValue") {
		u.MonetaryValue = new(highlevel.Cents)
	}
	if oi.AssignedTo != "" {
		u.AssignedTo = &oi.AssignedTo
	}
	clear, err := in.clearedFields("opportunity", p)
	if err != nil {
		return u, err
	}
	u.CustomFields = append(oi.CustomFields, clear...)
	return u, nil
}

// RecordUpdate builds the update of a custom object record: its properties
// (emptied ones cleared with null, which typed properties accept where ""
// is refused), owner and followers. An owner (followers) lookup that
// resolved no user (Payload.Unset) clears the record's owner (followers)
// with []; without such a lookup the record's owner and followers are
// left as they are.
func (in Inputs) RecordUpdate(p *Payload) (highlevel.RecordUpdate, error) {
	ri, err := in.Record(p)
	if err != nil {
		return highlevel.RecordUpdate{}, err
	}
	u := highlevel.RecordUpdate{Properties: ri.Properties, Owner: ri.Owner, Followers: ri.Followers}
	for _, k := range p.Empty {
		u.Properties[k] = highlevel.FieldValue{} // JSON null
	}
	for _, k := range p.Unset {
		switch k {
		case LinkOwner:
			u.Owner = []string{}
		case LinkFollowers:
			u.Followers = []string{}
		}
	}
	return u, nil
}
