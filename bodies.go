package pbnhl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/mapping/transform"
)

// errNoFieldID says a payload writes a custom field whose HighLevel id is
// unknown: the schema plan was not applied (or not diffed) first. HighLevel
// silently ignores unknown fields, so this is an error, never a drop.
var errNoFieldID = errors.New("pbnhl: custom field has no HighLevel id")

// fieldIDs returns the HighLevel id of every existing custom field of the
// diff, by full field key (contact.pbn_created_at). Diff again after Apply
// to include what Apply created.
func fieldIDs(d *mapping.SchemaDiff) map[string]string {
	out := map[string]string{}
	for _, it := range d.Items {
		if it.Kind == mapping.KindField && it.ID != "" && it.Status != mapping.Conflicts {
			out[it.Key] = it.ID
		}
	}
	return out
}

// inputs turns payloads into highlevel request bodies. Custom fields are
// sent by id (FieldIDs), never by key.
type inputs struct {
	// FieldIDs maps full field keys to HighLevel ids: mapping.SchemaDiff.FieldIDs.
	FieldIDs map[string]string
	// Pipelines are the location's pipelines (Pipelines.List), to resolve
	// an opportunity's pipeline and stage names to ids.
	Pipelines []*highlevel.Pipeline
}

func (in inputs) customFields(model string, p *mapping.Payload) ([]highlevel.CustomFieldInput, error) {
	out := make([]highlevel.CustomFieldInput, 0, len(p.Custom))
	for _, v := range p.Custom {
		key := model + "." + v.Key
		id, ok := in.FieldIDs[key]
		if !ok {
			return nil, fmt.Errorf("%w: %s", errNoFieldID, key)
		}
		fv, err := highlevel.ValueFor(highlevel.DataType(v.Type), v.JSON())
		if err != nil {
			return nil, fmt.Errorf("pbnhl: %s %s field %s: %w", p.Object, p.SourceKey, v.Key, err)
		}
		out = append(out, highlevel.CustomFieldInput{ID: id, Value: fv})
	}
	return out, nil
}

func wrongTarget(p *mapping.Payload, want mapping.TargetKind) error {
	return fmt.Errorf("pbnhl: %s payload is a %s, not a %s", p.Object, p.Target, want)
}

// Contact builds a contact create body. AssignedTo comes from the payload
// (owner resolution); the business link is a separate bulk call.
func (in inputs) Contact(p *mapping.Payload) (highlevel.ContactInput, error) {
	var c highlevel.ContactInput
	if p.Target != mapping.TargetContact {
		return c, wrongTarget(p, mapping.TargetContact)
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
			c.Tags = append(c.Tags, v.List...)
			if len(v.List) == 0 && v.Text != "" {
				c.Tags = append(c.Tags, transform.Split(v.Text, ",;")...)
			}
		case "source":
			c.Source = v.Text
		case "companyName":
			c.CompanyName = v.Text
		case "dateOfBirth":
			c.DateOfBirth = v.Text
		default:
			return c, fmt.Errorf("pbnhl: contact field %q has no place in a contact body", v.Key)
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
func (in inputs) Business(p *mapping.Payload) (highlevel.BusinessInput, error) {
	var b highlevel.BusinessInput
	if p.Target != mapping.TargetBusiness {
		return b, wrongTarget(p, mapping.TargetBusiness)
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
			return b, fmt.Errorf("pbnhl: business field %q has no place in a business body", v.Key)
		}
	}
	if len(p.Custom) > 0 {
		return b, errors.New("pbnhl: businesses take no custom fields on create")
	}
	return b, nil
}

// Opportunity builds an opportunity create body for the resolved contact,
// finding the pipeline and stage ids by name.
func (in inputs) Opportunity(p *mapping.Payload, contactID string) (highlevel.OpportunityInput, error) {
	var o highlevel.OpportunityInput
	if p.Target != mapping.TargetOpportunity {
		return o, wrongTarget(p, mapping.TargetOpportunity)
	}
	var pl *highlevel.Pipeline
	for _, x := range in.Pipelines {
		if strings.EqualFold(strings.TrimSpace(x.Name), strings.TrimSpace(p.Pipeline)) {
			pl = x
			break
		}
	}
	if pl == nil {
		return o, fmt.Errorf("pbnhl: pipeline %q does not exist in the location (apply the schema plan)", p.Pipeline)
	}
	st, ok := pl.Stage(p.Stage)
	if !ok {
		return o, fmt.Errorf("pbnhl: pipeline %q has no stage %q (apply the schema plan)", p.Pipeline, p.Stage)
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
				return o, fmt.Errorf("pbnhl: %s %s monetaryValue: %w", p.Object, p.SourceKey, err)
			}
			if ok {
				cents := highlevel.Cents(c)
				o.MonetaryValue = &cents
			}
		case "source":
		default:
			return o, fmt.Errorf("pbnhl: opportunity field %q has no place in an opportunity body", v.Key)
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
func (in inputs) Record(p *mapping.Payload) (highlevel.RecordInput, error) {
	var r highlevel.RecordInput
	if p.Target != mapping.TargetCustomObject {
		return r, wrongTarget(p, mapping.TargetCustomObject)
	}
	r.Properties = make(map[string]highlevel.FieldValue, len(p.Custom))
	for _, v := range p.Custom {
		var fv highlevel.FieldValue
		switch x := v.RecordJSON().(type) {
		case map[string]any: // money
			c, _, err := transform.ParseCents(v.Text)
			if err != nil {
				return r, fmt.Errorf("pbnhl: %s %s field %s: %w", p.Object, p.SourceKey, v.Key, err)
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
	return r, nil
}

// Note builds a note body.
func (in inputs) Note(p *mapping.Payload) (highlevel.NoteInput, error) {
	var n highlevel.NoteInput
	if p.Target != mapping.TargetNote {
		return n, wrongTarget(p, mapping.TargetNote)
	}
	for _, v := range p.Fields {
		if v.Key == "body" {
			n.Body = v.Text
		}
	}
	n.UserID = p.AssignedTo
	return n, nil
}

// ContactField builds the custom field value that writes an aggregated JSON
// value onto its contact (in a contact update).
func (in inputs) ContactField(v mapping.ContactFieldValue) (highlevel.CustomFieldInput, error) {
	key := "contact." + v.FieldKey
	id, ok := in.FieldIDs[key]
	if !ok {
		return highlevel.CustomFieldInput{}, fmt.Errorf("%w: %s", errNoFieldID, key)
	}
	return highlevel.CustomFieldInput{ID: id, Value: highlevel.TextValue(v.JSON)}, nil
}
