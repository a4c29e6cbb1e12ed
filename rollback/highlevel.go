package rollback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
)

// Object types the HighLevel target understands. Journal intents with
// these so that Undo can reverse them.
const (
	TypeContact     = "contact"
	TypeBusiness    = "business"
	TypeOpportunity = "opportunity"
	// TypeNote and TypeTask: on a create Intent.TargetID is the contact and
	// the outcome id the note or task; on an update or a delete
	// Intent.TargetID is the note or task and Intent.RelatedID its contact
	// (a delete journaled with the contact as target and the note as
	// outcome id is read too).
	// Payloads are the bodies sent (NoteInput's JSON; a task as
	// {"title","body","dueDate","completed","assignedTo"}), before-images
	// the highlevel.Note or highlevel.Task read before the write.
	TypeNote = "note"
	TypeTask = "task"
	// Custom object records use their schema key as object type
	// ("custom_objects.appointment").
	RecordTypePrefix = "custom_objects."

	// TypeContactBusiness is a link made with the bulk business endpoint:
	// Intent.TargetID is the contact, Intent.RelatedID the business. Journal
	// one intent per contact (a bulk call links many). When the contact had
	// a business before, give Payload {"businessId": new} and Before
	// {"businessId": previous}: Undo then re-links the previous business
	// instead of leaving the contact without one.
	TypeContactBusiness = "contact.business"
	// TypeRelation is an association relation; the outcome id is the relation id.
	TypeRelation = "relation"
	// TypeContactTagsAdded and TypeContactTagsRemoved are tag calls on a
	// contact (POST and DELETE /contacts/{id}/tags), journaled as links
	// (Op link): Intent.TargetID is the contact, the outcome id the
	// contact too, Payload the body sent ({"tags": [...]}) and Before
	// {"had": [...]}, the tags of that list the contact had before the
	// call. Undo puts back only what the call changed: it removes the tags
	// an add gave the contact that it lacked and adds back the tags a
	// removal took off, leaving alone the tags the call did not change
	// (so a tag staff gave since, or took off since, stays as they left
	// it). Both are idempotent, so an undo interrupted midway and run
	// again ends the same.
	TypeContactTagsAdded   = "contact.tags_added"
	TypeContactTagsRemoved = "contact.tags_removed"

	// Schema elements (Op schema; the outcome id is the element's id).
	TypeCustomField  = "custom_field"  // location custom field (contact, opportunity)
	TypeObjectField  = "object_field"  // Custom Fields V2 field (custom objects, business)
	TypeFieldFolder  = "field_folder"  // Custom Fields V2 folder
	TypeAssociation  = "association"   // association definition
	TypeCustomObject = "custom_object" // custom object schema: no delete in the API
	TypePipeline     = "pipeline"      // pipeline: no delete in the API
)

// HighLevelTarget is the Undo Target for one HighLevel location, on top of the
// highlevel client (which paces, retries and breaks circuits).
//
// It expects journaled payloads in HighLevel's wire form (the JSON body
// sent, field names as HighLevel spells them, custom fields by id) and
// before-images as the JSON of the record read before the update (the
// highlevel types marshal to it). Restores send one update per record;
// clearing tags a contact had none of before costs one more call.
//
// Notes and tasks are restored in place (same id and date) with one update
// each; a task whose written payload lacks some of its fields costs one
// more call, to read them.
//
// Limits: undoing a contact→business link journaled without a before-image
// leaves the contact without a business; a note's title, color or author
// and a task's assignee that the before-image lacks cannot be cleared
// (HighLevel's update takes no empty value for them: reported as
// irreversible, before any call); custom
// object schemas and pipelines cannot be deleted through HighLevel's API
// (reported as irreversible); deletes made by a run are final.
//
// Each record type's undo (delete, read, restore) is one recordKind,
// written beside what it needs and registered in recordKinds (kinds.go),
// and each link's (unlink, existence, settle; read and restore for a
// contact's business) one linkKind in linkKinds: its methods look the kind
// up and never switch on a record or link type; schema elements are the
// one case they handle themselves.
//
// A caller may supply the undo of its own record types (WithKinds): they
// are looked up ahead of the built-in kinds.
type HighLevelTarget struct {
	c     *highlevel.Client
	kinds map[string]*recordKind // supplied kinds by object type
}

// NewHighLevelTarget returns the Undo Target for c's location.
func NewHighLevelTarget(c *highlevel.Client) *HighLevelTarget { return &HighLevelTarget{c: c} }

var _ Target = (*HighLevelTarget)(nil)

func isRecordType(t string) bool { return strings.HasPrefix(t, RecordTypePrefix) }

// hlErr makes HighLevel's not-found match ErrNotFound as well, and any
// failure other than HighLevel's final refusal (a 4xx) match
// ErrOutcomeUnknown, which Undo settles within its run.
func hlErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrIrreversible) {
		return err // already said (a kind's own check): keep its meaning
	}
	if errors.Is(err, highlevel.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var api *highlevel.APIError
	if errors.As(err, &api) && api.StatusCode < 500 && api.StatusCode != http.StatusTooManyRequests {
		return err // HighLevel answered and refused: final
	}
	// A 5xx or 429 after the client's retries, a lost answer, a network
	// error, an open circuit: the call may or may not have been applied.
	return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
}

func unsupported(action, objectType string) error {
	return fmt.Errorf("%w: %s of object type %q is not supported", ErrIrreversible, action, objectType)
}

// Delete implements Target.
func (h *HighLevelTarget) Delete(ctx context.Context, ref Ref) error {
	if k := h.kindOf(ref.ObjectType); k != nil && k.remove != nil {
		return hlErr(k.remove(h, ctx, ref))
	}
	return unsupported("delete", ref.ObjectType)
}

// Unlink implements Target: the link's kind removes it (linkOf).
func (h *HighLevelTarget) Unlink(ctx context.Context, ref Ref) error {
	return hlErr(linkOf(ref.ObjectType).unlink(h, ctx, ref))
}

// DeleteSchema implements Target.
func (h *HighLevelTarget) DeleteSchema(ctx context.Context, ref Ref) error {
	switch ref.ObjectType {
	case TypeCustomField:
		return hlErr(h.c.CustomFields.Delete(ctx, ref.ID))
	case TypeObjectField:
		return hlErr(h.c.CustomFields.DeleteObjectField(ctx, ref.ID))
	case TypeFieldFolder:
		return hlErr(h.c.CustomFields.DeleteFolder(ctx, ref.ID))
	case TypeAssociation:
		return hlErr(h.c.Associations.Delete(ctx, ref.ID))
	case TypeCustomObject, TypePipeline:
		return fmt.Errorf("%w: HighLevel's API cannot delete a %s; delete %s in the app", ErrIrreversible, ref.ObjectType, ref.ID)
	}
	return unsupported("schema delete", ref.ObjectType)
}

// Exists implements Prober: whether what a compensation removes is still
// there — a record (read by id), a relation (among its first record's
// relations), a contact's business link, a custom field, object field or
// association definition. Reads only.
func (h *HighLevelTarget) Exists(ctx context.Context, ref Ref) (bool, error) {
	var err error
	switch k := linkKinds[ref.ObjectType]; {
	case k != nil:
		var ok bool
		if ok, err = k.exists(h, ctx, ref); err == nil {
			return ok, nil
		}
	case ref.ObjectType == TypeCustomField:
		_, err = h.c.CustomFields.Get(ctx, ref.ID)
	case ref.ObjectType == TypeObjectField:
		_, err = h.c.CustomFields.GetObjectField(ctx, ref.ID)
	case ref.ObjectType == TypeAssociation:
		_, err = h.c.Associations.Get(ctx, ref.ID)
	default:
		if k := h.kindOf(ref.ObjectType); k != nil && k.exists != nil {
			err = k.exists(h, ctx, ref)
		} else {
			_, err = h.current(ctx, ref)
		}
	}
	err = hlErr(err)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}

// Irreversible implements Irreversibility: HighLevel's API has no delete
// for a pipeline or a custom object schema, so Undo lists them as manual
// steps without journaling a call that cannot be made.
func (h *HighLevelTarget) Irreversible(action Action, ref Ref) error {
	if action == ActionDeleteSchema && (ref.ObjectType == TypeCustomObject || ref.ObjectType == TypePipeline) {
		return fmt.Errorf("%w: HighLevel's API cannot delete a %s; delete %s in the app if it must go", ErrIrreversible, ref.ObjectType, ref.ID)
	}
	return nil
}

// Digest implements Target: it reads the record and projects it onto the
// written fields (see ProjectDigest).
func (h *HighLevelTarget) Digest(ctx context.Context, ref Ref, written []byte) (string, error) {
	if l := linkKinds[ref.ObjectType]; l != nil && l.digest != nil {
		return l.digest(h, ctx, ref, written)
	}
	if k := h.kindOf(ref.ObjectType); k != nil && k.digest != nil {
		return k.digest(h, ctx, ref, written)
	} else if k != nil && k.read == nil && k.exists != nil {
		// A record that cannot change: one that exists is as written.
		if err := hlErr(k.exists(h, ctx, ref)); err != nil {
			return "", err
		}
		return Digest(written), nil
	}
	cur, err := h.current(ctx, ref)
	if err != nil {
		return "", err
	}
	return ProjectDigest(cur, written)
}

// current returns the record as JSON in HighLevel's field names: its
// kind's read, or a contact's business link.
func (h *HighLevelTarget) current(ctx context.Context, ref Ref) ([]byte, error) {
	read := func(*HighLevelTarget, context.Context, Ref) (any, error) {
		return nil, unsupported("read", ref.ObjectType)
	}
	if l := linkKinds[ref.ObjectType]; l != nil && l.read != nil {
		read = l.read
	} else if k := h.kindOf(ref.ObjectType); k != nil && k.read != nil {
		read = k.read
	}
	v, err := read(h, ctx, ref)
	if err != nil {
		return nil, hlErr(err)
	}
	if v == nil {
		return nil, fmt.Errorf("%s %s: %w", ref.ObjectType, ref.ID, ErrNotFound)
	}
	return json.Marshal(v)
}

func recordJSON(r *highlevel.Record) map[string]any {
	return map[string]any{"id": r.ID, "properties": r.Properties, "owner": r.Owner, "followers": r.Followers}
}

// Restore implements Target: every field of written is set back to its
// value in before, or cleared when before lacks it.
func (h *HighLevelTarget) Restore(ctx context.Context, ref Ref, before, written []byte) error {
	var b, w map[string]json.RawMessage
	if err := json.Unmarshal(before, &b); err != nil {
		return fmt.Errorf("rollback: before-image: %w", err)
	}
	if err := json.Unmarshal(written, &w); err != nil {
		return fmt.Errorf("rollback: written payload: %w", err)
	}
	b = foldKeys(b)
	if l := linkKinds[ref.ObjectType]; l != nil && l.restore != nil {
		return l.restore(h, ctx, ref, images{before: before, written: written, b: b, w: w})
	}
	if k := h.kindOf(ref.ObjectType); k != nil && k.restore != nil {
		return k.restore(h, ctx, ref, images{before: before, written: written, b: b, w: w})
	}
	return unsupported("restore", ref.ObjectType)
}

// foldKeys lets a before-image marshalled from a Go type without JSON tags
// ("Properties") be read by HighLevel's names ("properties").
func foldKeys(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range m {
		if k == "" {
			continue
		}
		lk := strings.ToLower(k[:1]) + k[1:]
		if _, ok := out[lk]; !ok {
			out[lk] = v
		}
	}
	return out
}

// restoreBusiness sets the written fields back to the before-image's.
func (h *HighLevelTarget) restoreBusiness(ctx context.Context, ref Ref, im images) error {
	var upd highlevel.BusinessUpdate
	if err := json.Unmarshal(restoreStrings(im.b, im.w), &upd); err != nil {
		return fmt.Errorf("rollback: business restore: %w", err)
	}
	_, err := h.c.Businesses.Update(ctx, ref.ID, upd)
	return hlErr(err)
}

// restoreStrings builds {field: before value or ""} for the written scalar
// fields, skipping the list fields handled separately.
func restoreStrings(b, w map[string]json.RawMessage) []byte {
	out := map[string]json.RawMessage{}
	for k := range w {
		switch k {
		case "customFields", "tags", "locationId", "properties", "owner", "followers":
			continue
		}
		v, ok := b[k]
		if !ok || string(v) == "null" {
			v = json.RawMessage(`""`)
			if wv := w[k]; len(wv) > 0 && (wv[0] == 't' || wv[0] == 'f') {
				v = json.RawMessage(`false`)
			}
		}
		out[k] = v
	}
	body, _ := json.Marshal(out)
	return body
}

// restoreCustomFields returns, for every custom field written (by id), its
// before value or an empty value that clears it.
func restoreCustomFields(b, w map[string]json.RawMessage) ([]highlevel.CustomFieldInput, error) {
	raw, ok := w["customFields"]
	if !ok {
		return nil, nil
	}
	var written []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &written); err != nil {
		return nil, fmt.Errorf("rollback: written customFields: %w", err)
	}
	var prior []map[string]json.RawMessage
	if pb, ok := b["customFields"]; ok && string(pb) != "null" {
		if err := json.Unmarshal(pb, &prior); err != nil {
			return nil, fmt.Errorf("rollback: before-image customFields: %w", err)
		}
	}
	priorByID := map[string]json.RawMessage{}
	for _, p := range prior {
		var id string
		_ = json.Unmarshal(p["id"], &id)
		for _, k := range valueKeys {
			if v, ok := p[k]; ok {
				priorByID[id] = v
				break
			}
		}
	}
	out := make([]highlevel.CustomFieldInput, 0, len(written))
	for _, f := range written {
		var id string
		if err := json.Unmarshal(f["id"], &id); err != nil || id == "" {
			return nil, errors.New("rollback: a custom field was written by key; restore needs field ids (before-images carry ids only)")
		}
		v, ok := priorByID[id]
		if !ok || string(v) == "null" {
			out = append(out, highlevel.CustomFieldInput{ID: id, Value: highlevel.TextValue("")})
			continue
		}
		out = append(out, highlevel.CustomFieldInput{ID: id, Value: highlevel.RawValue(v)})
	}
	return out, nil
}

func stringList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var out []string
	err := json.Unmarshal(raw, &out)
	return out, err
}

func (h *HighLevelTarget) restoreContact(ctx context.Context, ref Ref, b, w map[string]json.RawMessage) error {
	var upd highlevel.ContactUpdate
	if err := json.Unmarshal(restoreStrings(b, w), &upd); err != nil {
		return fmt.Errorf("rollback: contact restore: %w", err)
	}
	cfs, err := restoreCustomFields(b, w)
	if err != nil {
		return err
	}
	upd.CustomFields = cfs
	var removeTags []string
	if wt, ok := w["tags"]; ok {
		prior, err := stringList(b["tags"])
		if err != nil {
			return fmt.Errorf("rollback: before-image tags: %w", err)
		}
		if len(prior) > 0 {
			upd.Tags = prior // replaces all tags
		} else if removeTags, err = stringList(wt); err != nil {
			return fmt.Errorf("rollback: written tags: %w", err)
		}
	}
	if _, err := h.c.Contacts.Update(ctx, ref.ID, upd); err != nil {
		return hlErr(err)
	}
	if len(removeTags) > 0 {
		_, err := h.c.Contacts.RemoveTags(ctx, ref.ID, removeTags...)
		return hlErr(err)
	}
	return nil
}

func (h *HighLevelTarget) restoreOpportunity(ctx context.Context, ref Ref, b, w map[string]json.RawMessage) error {
	var s struct {
		Name            *string  `json:"name"`
		Status          *string  `json:"status"`
		PipelineID      *string  `json:"pipelineId"`
		PipelineStageID *string  `json:"pipelineStageId"`
		AssignedTo      *string  `json:"assignedTo"`
		MonetaryValue   *float64 `json:"monetaryValue"`
	}
	body := restoreStrings(b, w)
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(body, &fields)
	if v, ok := fields["monetaryValue"]; ok && string(v) == `""` {
		fields["monetaryValue"] = json.RawMessage(`0`)
	}
	body, _ = json.Marshal(fields)
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("rollback: opportunity restore: %w", err)
	}
	upd := highlevel.OpportunityUpdate{Name: s.Name, PipelineID: s.PipelineID, PipelineStageID: s.PipelineStageID, AssignedTo: s.AssignedTo}
	if s.Status != nil {
		st := highlevel.OpportunityStatus(*s.Status)
		upd.Status = &st
	}
	if s.MonetaryValue != nil {
		c := highlevel.Cents(math.Round(*s.MonetaryValue * 100))
		upd.MonetaryValue = &c
	}
	cfs, err := restoreCustomFields(b, w)
	if err != nil {
		return err
	}
	upd.CustomFields = cfs
	_, err = h.c.Opportunities.Update(ctx, ref.ID, upd)
	return hlErr(err)
}

func (h *HighLevelTarget) restoreRecord(ctx context.Context, ref Ref, b, w map[string]json.RawMessage) error {
	var upd highlevel.RecordUpdate
	if raw, ok := w["properties"]; ok {
		var written, prior map[string]json.RawMessage
		if err := json.Unmarshal(raw, &written); err != nil {
			return fmt.Errorf("rollback: written properties: %w", err)
		}
		if pb, ok := b["properties"]; ok && string(pb) != "null" {
			if err := json.Unmarshal(pb, &prior); err != nil {
				return fmt.Errorf("rollback: before-image properties: %w", err)
			}
		}
		upd.Properties = make(map[string]highlevel.FieldValue, len(written))
		for k := range written {
			if v, ok := prior[k]; ok && string(v) != "null" {
				upd.Properties[k] = highlevel.RawValue(v)
			} else {
				upd.Properties[k] = highlevel.FieldValue{} // clears it
			}
		}
	}
	for _, k := range []string{"owner", "followers"} {
		if _, ok := w[k]; !ok {
			continue
		}
		prior, err := stringList(b[k])
		if err != nil {
			return fmt.Errorf("rollback: before-image %s: %w", k, err)
		}
		if prior == nil {
			prior = []string{}
		}
		if k == "owner" {
			upd.Owner = prior
		} else {
			upd.Followers = prior
		}
	}
	_, err := h.c.Objects.UpdateRecord(ctx, ref.ObjectType, ref.ID, upd)
	return hlErr(err)
}

// activityContact is the contact of a note or task: the related record of
// an update, the target of a create or delete.
func activityContact(ref Ref) string {
	if ref.RelatedID != "" {
		return ref.RelatedID
	}
	return ref.TargetID
}

// optionalString reads field k of a before-image ("" when absent or null).
func optionalString(b map[string]json.RawMessage, k string) (string, error) {
	raw, ok := b[k]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("rollback: before-image %s: %w", k, err)
	}
	return v, nil
}

// uncleared refuses a restore that would have to empty a field HighLevel's
// update cannot empty: written gave it a value, before lacks one.
func uncleared(objectType string, w map[string]json.RawMessage, prior map[string]string, fields ...string) error {
	for _, k := range fields {
		if v, wrote := w[k]; wrote && string(v) != `""` && string(v) != "null" && prior[k] == "" {
			return fmt.Errorf("%w: the %s had no %s before; HighLevel cannot clear it", ErrIrreversible, objectType, k)
		}
	}
	return nil
}

// restoreNote puts a note back with one update: body from the before-image
// (always sent, HighLevel requires it), and the written optional fields.
func (h *HighLevelTarget) restoreNote(ctx context.Context, ref Ref, b, w map[string]json.RawMessage) error {
	prior := map[string]string{}
	for _, k := range []string{"body", "title", "userId", "color"} {
		v, err := optionalString(b, k)
		if err != nil {
			return err
		}
		prior[k] = v
	}
	if prior["body"] == "" {
		return fmt.Errorf("%w: the note's before-image has no body", ErrIrreversible)
	}
	if err := uncleared("note", w, prior, "title", "userId", "color"); err != nil {
		return err
	}
	in := highlevel.NoteInput{Body: prior["body"]}
	if _, ok := w["title"]; ok {
		in.Title = prior["title"]
	}
	if _, ok := w["userId"]; ok {
		in.UserID = prior["userId"]
	}
	if _, ok := w["color"]; ok {
		in.Color = prior["color"]
	}
	if _, ok := w["pinned"]; ok {
		pinned := false
		if raw, ok := b["pinned"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &pinned); err != nil {
				return fmt.Errorf("rollback: before-image pinned: %w", err)
			}
		}
		in.Pinned = &pinned
	}
	_, err := h.c.Contacts.UpdateNote(ctx, activityContact(ref), ref.ID, in)
	return hlErr(err)
}

var taskFields = []string{"title", "body", "dueDate", "completed", "assignedTo"}

// restoreTask sets a task back with one update. HighLevel's update sends
// the whole task, so fields the run did not write keep their current
// value: read only when the written payload does not cover them all.
func (h *HighLevelTarget) restoreTask(ctx context.Context, ref Ref, b, w map[string]json.RawMessage) error {
	src := make(map[string]json.RawMessage, len(taskFields))
	var cur map[string]json.RawMessage
	for _, k := range taskFields {
		if _, wrote := w[k]; wrote {
			if v, ok := b[k]; ok {
				src[k] = v
			}
			continue
		}
		if cur == nil {
			// Read here rather than through current: the kind table holds
			// this function, and current looks kinds up in the table.
			t, err := h.c.Contacts.GetTask(ctx, activityContact(ref), ref.ID)
			if err != nil {
				return hlErr(err)
			}
			if t == nil {
				return fmt.Errorf("%s %s: %w", ref.ObjectType, ref.ID, ErrNotFound)
			}
			raw, err := json.Marshal(t)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(raw, &cur); err != nil {
				return fmt.Errorf("rollback: current task: %w", err)
			}
		}
		if v, ok := cur[k]; ok {
			src[k] = v
		}
	}
	prior := map[string]string{}
	for _, k := range []string{"title", "body", "assignedTo"} {
		v, err := optionalString(src, k)
		if err != nil {
			return err
		}
		prior[k] = v
	}
	if err := uncleared("task", w, prior, "assignedTo"); err != nil {
		return err
	}
	var due highlevel.Timestamp
	if raw, ok := src["dueDate"]; ok {
		if err := json.Unmarshal(raw, &due); err != nil {
			return fmt.Errorf("rollback: before-image dueDate: %w", err)
		}
	}
	completed := false
	if raw, ok := src["completed"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &completed); err != nil {
			return fmt.Errorf("rollback: before-image completed: %w", err)
		}
	}
	if prior["title"] == "" || due.IsZero() {
		return fmt.Errorf("%w: the task's before-image has no title or due date", ErrIrreversible)
	}
	in := highlevel.TaskInput{Title: prior["title"], Body: prior["body"], DueDate: due.Time, Completed: completed, AssignedTo: prior["assignedTo"]}
	_, err := h.c.Contacts.UpdateTask(ctx, activityContact(ref), ref.ID, in)
	return hlErr(err)
}
