package highlevel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// Contact is a HighLevel contact as the API returns it.
type Contact struct {
	ID                 string             `json:"id"`
	LocationID         string             `json:"locationId,omitempty"`
	Name               string             `json:"name,omitempty"`
	FirstName          string             `json:"firstName,omitempty"`
	LastName           string             `json:"lastName,omitempty"`
	FirstNameLowerCase string             `json:"firstNameLowerCase,omitempty"`
	LastNameLowerCase  string             `json:"lastNameLowerCase,omitempty"`
	Email              string             `json:"email,omitempty"`
	Phone              string             `json:"phone,omitempty"`
	Gender             string             `json:"gender,omitempty"`
	CompanyName        string             `json:"companyName,omitempty"`
	Address1           string             `json:"address1,omitempty"`
	City               string             `json:"city,omitempty"`
	State              string             `json:"state,omitempty"`
	PostalCode         string             `json:"postalCode,omitempty"`
	Country            string             `json:"country,omitempty"`
	Website            string             `json:"website,omitempty"`
	Timezone           string             `json:"timezone,omitempty"`
	DND                bool               `json:"dnd,omitempty"`
	DNDSettings        *DNDSettings       `json:"dndSettings,omitempty"`
	Type               string             `json:"type,omitempty"`
	Source             string             `json:"source,omitempty"`
	AssignedTo         string             `json:"assignedTo,omitempty"`
	Tags               []string           `json:"tags,omitempty"`
	CustomFields       []CustomFieldValue `json:"customFields,omitempty"`
	// DateOfBirth is kept as HighLevel sends it (YYYY-MM-DD or an ISO
	// timestamp at midnight UTC).
	DateOfBirth string    `json:"dateOfBirth,omitempty"`
	BusinessID  string    `json:"businessId,omitempty"`
	Followers   []string  `json:"followers,omitempty"`
	DateAdded   Timestamp `json:"dateAdded"`
	DateUpdated Timestamp `json:"dateUpdated"`
	// SearchAfter is the cursor of this contact in search results.
	SearchAfter json.RawMessage `json:"searchAfter,omitempty"`
}

// CustomField returns the value of the custom field with this id.
func (c *Contact) CustomField(id string) (CustomFieldValue, bool) {
	for _, f := range c.CustomFields {
		if f.ID == id {
			return f, true
		}
	}
	return CustomFieldValue{}, false
}

// DNDSettings are per-channel do-not-disturb settings.
type DNDSettings struct {
	Call     *DNDSetting `json:"Call,omitempty"`
	Email    *DNDSetting `json:"Email,omitempty"`
	SMS      *DNDSetting `json:"SMS,omitempty"`
	WhatsApp *DNDSetting `json:"WhatsApp,omitempty"`
	GMB      *DNDSetting `json:"GMB,omitempty"`
	FB       *DNDSetting `json:"FB,omitempty"`
}

// DNDSetting is one channel's setting; Status is "active", "inactive" or
// "permanent".
type DNDSetting struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
}

// ContactInput is the body of a create or an upsert. Empty fields are not
// sent. HighLevel does not accept a creation date, businessId or additional
// e-mails/phones here: keep original dates in DATE custom fields and link
// businesses with Businesses.LinkContacts.
type ContactInput struct {
	FirstName    string             `json:"firstName,omitempty"`
	LastName     string             `json:"lastName,omitempty"`
	Name         string             `json:"name,omitempty"`
	Email        string             `json:"email,omitempty"`
	Phone        string             `json:"phone,omitempty"`
	Gender       string             `json:"gender,omitempty"`
	Address1     string             `json:"address1,omitempty"`
	City         string             `json:"city,omitempty"`
	State        string             `json:"state,omitempty"`
	PostalCode   string             `json:"postalCode,omitempty"`
	Country      string             `json:"country,omitempty"` // two letters
	Website      string             `json:"website,omitempty"`
	Timezone     string             `json:"timezone,omitempty"`
	DND          *bool              `json:"dnd,omitempty"`
	DNDSettings  *DNDSettings       `json:"dndSettings,omitempty"`
	Tags         []string           `json:"tags,omitempty"`
	CustomFields []CustomFieldInput `json:"customFields,omitempty"`
	Source       string             `json:"source,omitempty"`
	CompanyName  string             `json:"companyName,omitempty"`
	AssignedTo   string             `json:"assignedTo,omitempty"`  // a user id
	DateOfBirth  string             `json:"dateOfBirth,omitempty"` // YYYY-MM-DD
}

// ContactUpdate is the body of an update: nil fields are left unchanged.
// Tags, when non-nil, replace all the contact's tags (use AddTags and
// RemoveTags to change some). HighLevel's update refuses locationId, gender
// and companyName, so they are absent.
type ContactUpdate struct {
	FirstName    *string            `json:"firstName,omitempty"`
	LastName     *string            `json:"lastName,omitempty"`
	Name         *string            `json:"name,omitempty"`
	Email        *string            `json:"email,omitempty"`
	Phone        *string            `json:"phone,omitempty"`
	Address1     *string            `json:"address1,omitempty"`
	City         *string            `json:"city,omitempty"`
	State        *string            `json:"state,omitempty"`
	PostalCode   *string            `json:"postalCode,omitempty"`
	Country      *string            `json:"country,omitempty"`
	Website      *string            `json:"website,omitempty"`
	Timezone     *string            `json:"timezone,omitempty"`
	DND          *bool              `json:"dnd,omitempty"`
	DNDSettings  *DNDSettings       `json:"dndSettings,omitempty"`
	Tags         []string           `json:"tags,omitempty"`
	CustomFields []CustomFieldInput `json:"customFields,omitempty"`
	Source       *string            `json:"source,omitempty"`
	AssignedTo   *string            `json:"assignedTo,omitempty"`
	DateOfBirth  *string            `json:"dateOfBirth,omitempty"`
}

var (
	opContactCreate     = operation{name: "contacts.create", method: http.MethodPost, version: Version20210728}
	opContactUpsert     = operation{name: "contacts.upsert", method: http.MethodPost, version: Version20210728}
	opContactGet        = operation{name: "contacts.get", method: http.MethodGet, version: Version20210728}
	opContactUpdate     = operation{name: "contacts.update", method: http.MethodPut, version: Version20210728}
	opContactDelete     = operation{name: "contacts.delete", method: http.MethodDelete, version: Version20210728}
	opContactSearch     = operation{name: "contacts.search", method: http.MethodPost, version: Version20210728, idempotent: true}
	opContactDuplicate  = operation{name: "contacts.duplicate", method: http.MethodGet, version: Version20210728}
	opContactAddTags    = operation{name: "contacts.addTags", method: http.MethodPost, version: Version20210728}
	opContactRemoveTags = operation{name: "contacts.removeTags", method: http.MethodDelete, version: Version20210728}
	opContactBulkTags   = operation{name: "contacts.bulkTags", method: http.MethodPost, version: Version20210728}
	opNoteCreate        = operation{name: "contacts.notes.create", method: http.MethodPost, version: Version20210728}
	opNoteList          = operation{name: "contacts.notes.list", method: http.MethodGet, version: Version20210728}
	opNoteGet           = operation{name: "contacts.notes.get", method: http.MethodGet, version: Version20210728}
	opNoteUpdate        = operation{name: "contacts.notes.update", method: http.MethodPut, version: Version20210728}
	opNoteDelete        = operation{name: "contacts.notes.delete", method: http.MethodDelete, version: Version20210728}
	opTaskCreate        = operation{name: "contacts.tasks.create", method: http.MethodPost, version: Version20210728}
	opTaskList          = operation{name: "contacts.tasks.list", method: http.MethodGet, version: Version20210728}
	opTaskGet           = operation{name: "contacts.tasks.get", method: http.MethodGet, version: Version20210728}
	opTaskUpdate        = operation{name: "contacts.tasks.update", method: http.MethodPut, version: Version20210728}
	opTaskDelete        = operation{name: "contacts.tasks.delete", method: http.MethodDelete, version: Version20210728}
)

type contactEnvelope struct {
	Contact *Contact `json:"contact"`
}

func (e *contactEnvelope) get(op string) (*Contact, error) {
	if e.Contact == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "contact" in response`)}
	}
	return e.Contact, nil
}

// Body is the JSON body Create and Upsert send for in, less the
// "locationId" they put first for the client's location: the bytes to
// journal, so that journal, digest and request come from one encoding.
func (in ContactInput) Body() ([]byte, error) {
	return json.Marshal(in)
}

// Body is the exact JSON body Update sends for u: the bytes to journal.
func (u ContactUpdate) Body() ([]byte, error) {
	return json.Marshal(u)
}

// Create creates a contact (POST /contacts/). A location that refuses
// duplicates answers with a *DuplicateContactError carrying the existing
// contact's id. A network failure or 5xx gives an error matching
// ErrOutcomeUnknown: the contact may exist.
func (s *ContactsService) Create(ctx context.Context, in ContactInput) (*Contact, error) {
	body, err := s.client.locatedBody(opContactCreate.name, in)
	if err != nil {
		return nil, err
	}
	var out contactEnvelope
	err = s.client.do(ctx, call{op: opContactCreate, path: "/contacts/", body: body}, &out)
	if err != nil {
		return nil, err
	}
	return out.get(opContactCreate.name)
}

// UpsertResult is the outcome of an upsert.
type UpsertResult struct {
	Contact *Contact
	// Created is true when HighLevel created a new contact, false when it
	// updated an existing one.
	Created bool
	TraceID string
}

// Upsert creates or updates a contact (POST /contacts/upsert), matching by
// the location's duplicate settings (email and/or phone, in a configured
// order). HighLevel silently drops the other field when email matches one
// contact and phone another: keep your own id map; do not rely on upsert
// for identity.
func (s *ContactsService) Upsert(ctx context.Context, in ContactInput) (*UpsertResult, error) {
	var out struct {
		New     bool     `json:"new"`
		Contact *Contact `json:"contact"`
		TraceID string   `json:"traceId"`
	}
	body, err := s.client.locatedBody(opContactUpsert.name, in)
	if err != nil {
		return nil, err
	}
	err = s.client.do(ctx, call{op: opContactUpsert, path: "/contacts/upsert", body: body}, &out)
	if err != nil {
		return nil, err
	}
	if out.Contact == nil {
		return nil, &DecodeError{Operation: opContactUpsert.name, Err: errors.New(`no "contact" in response`)}
	}
	return &UpsertResult{Contact: out.Contact, Created: out.New, TraceID: out.TraceID}, nil
}

// Get returns a contact (GET /contacts/{id}). An unknown id gives an error
// matching ErrNotFound (HighLevel answers 400 "Contact with id … not found"
// as well as 404).
func (s *ContactsService) Get(ctx context.Context, id string) (*Contact, error) {
	if err := requireID(opContactGet.name, "contact id", id); err != nil {
		return nil, err
	}
	var out contactEnvelope
	if err := s.client.do(ctx, call{op: opContactGet, path: pathf("/contacts/%s", id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opContactGet.name)
}

// Update changes a contact (PUT /contacts/{id}) and returns it.
func (s *ContactsService) Update(ctx context.Context, id string, in ContactUpdate) (*Contact, error) {
	if err := requireID(opContactUpdate.name, "contact id", id); err != nil {
		return nil, err
	}
	var out struct {
		Succeded *bool    `json:"succeded"`
		Contact  *Contact `json:"contact"`
	}
	body, err := wireBody(opContactUpdate.name, in)
	if err != nil {
		return nil, err
	}
	if err := s.client.do(ctx, call{op: opContactUpdate, path: pathf("/contacts/%s", id), body: body}, &out); err != nil {
		return nil, err
	}
	if out.Succeded != nil && !*out.Succeded {
		return nil, notApplied(opContactUpdate.name)
	}
	if out.Contact == nil {
		return nil, &DecodeError{Operation: opContactUpdate.name, Err: errors.New(`no "contact" in response`)}
	}
	return out.Contact, nil
}

// ErrNotApplied: HighLevel answered 2xx but reported that nothing was done
// ({"succeded": false}).
var ErrNotApplied = errors.New("highlevel: the server reported the change as not applied")

func notApplied(op string) error { return fmt.Errorf("highlevel: %s: %w", op, ErrNotApplied) }

type succeded struct {
	Succeded *bool `json:"succeded"`
	Success  *bool `json:"success"`
}

func (s succeded) check(op string) error {
	if (s.Succeded != nil && !*s.Succeded) || (s.Success != nil && !*s.Success) {
		return notApplied(op)
	}
	return nil
}

// Delete deletes a contact (DELETE /contacts/{id}). HighLevel cannot
// restore deleted contacts.
func (s *ContactsService) Delete(ctx context.Context, id string) error {
	if err := requireID(opContactDelete.name, "contact id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opContactDelete, path: pathf("/contacts/%s", id)}, &out); err != nil {
		return err
	}
	return out.check(opContactDelete.name)
}

// FindDuplicate returns the contact HighLevel would consider a duplicate of
// this e-mail and/or phone (GET /contacts/search/duplicate), or nil when
// there is none.
func (s *ContactsService) FindDuplicate(ctx context.Context, email, phone string) (*Contact, error) {
	if email == "" && phone == "" {
		return nil, errors.New("highlevel: contacts.duplicate: give an e-mail or a phone")
	}
	q := url.Values{"locationId": {s.client.locationID}}
	if email != "" {
		q.Set("email", email)
	}
	if phone != "" {
		q.Set("number", phone)
	}
	var out contactEnvelope
	if err := s.client.do(ctx, call{op: opContactDuplicate, path: "/contacts/search/duplicate", query: q}, &out); err != nil {
		return nil, err
	}
	return out.Contact, nil
}

// AddTags adds tags to a contact (POST /contacts/{id}/tags) and returns the
// contact's tags as HighLevel reports them.
func (s *ContactsService) AddTags(ctx context.Context, id string, tags ...string) ([]string, error) {
	return s.tags(ctx, opContactAddTags, id, tags)
}

// RemoveTags removes tags from a contact (DELETE /contacts/{id}/tags).
func (s *ContactsService) RemoveTags(ctx context.Context, id string, tags ...string) ([]string, error) {
	return s.tags(ctx, opContactRemoveTags, id, tags)
}

func (s *ContactsService) tags(ctx context.Context, op operation, id string, tags []string) ([]string, error) {
	if err := requireID(op.name, "contact id", id); err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("highlevel: %s: no tags", op.name)
	}
	var out struct {
		Tags []string `json:"tags"`
	}
	err := s.client.do(ctx, call{op: op, path: pathf("/contacts/%s/tags", id), body: struct {
		Tags []string `json:"tags"`
	}{tags}}, &out)
	return out.Tags, err
}

// BulkTagsResult is the outcome of a bulk tag update.
type BulkTagsResult struct {
	Succeeded  bool
	ErrorCount int
	// Responses are HighLevel's per-contact results, as sent.
	Responses []json.RawMessage
}

// BulkAddTags adds tags to many contacts in one call
// (POST /contacts/bulk/tags/update/add).
func (s *ContactsService) BulkAddTags(ctx context.Context, contactIDs, tags []string) (*BulkTagsResult, error) {
	return s.bulkTags(ctx, "add", contactIDs, tags, false)
}

// BulkRemoveTags removes tags from many contacts in one call
// (POST /contacts/bulk/tags/update/remove); all removes every tag.
func (s *ContactsService) BulkRemoveTags(ctx context.Context, contactIDs, tags []string, all bool) (*BulkTagsResult, error) {
	return s.bulkTags(ctx, "remove", contactIDs, tags, all)
}

func (s *ContactsService) bulkTags(ctx context.Context, kind string, ids, tags []string, all bool) (*BulkTagsResult, error) {
	op := opContactBulkTags
	if len(ids) == 0 {
		return nil, fmt.Errorf("highlevel: %s: no contacts", op.name)
	}
	if tags == nil {
		tags = []string{}
	}
	body := struct {
		Contacts      []string `json:"contacts"`
		Tags          []string `json:"tags"`
		LocationID    string   `json:"locationId"`
		RemoveAllTags bool     `json:"removeAllTags,omitempty"`
	}{ids, tags, s.client.locationID, all}
	var out struct {
		Succeded   bool              `json:"succeded"`
		ErrorCount float64           `json:"errorCount"`
		Responses  []json.RawMessage `json:"responses"`
	}
	if err := s.client.do(ctx, call{op: op, path: "/contacts/bulk/tags/update/" + kind, body: body}, &out); err != nil {
		return nil, err
	}
	return &BulkTagsResult{Succeeded: out.Succeded, ErrorCount: int(out.ErrorCount), Responses: out.Responses}, nil
}

// Note is a contact note.
type Note struct {
	ID        string    `json:"id"`
	Body      string    `json:"body"`
	Title     string    `json:"title,omitempty"`
	UserID    string    `json:"userId,omitempty"`
	Color     string    `json:"color,omitempty"`
	Pinned    bool      `json:"pinned,omitempty"`
	ContactID string    `json:"contactId,omitempty"`
	DateAdded Timestamp `json:"dateAdded"`
}

// NoteInput creates or updates a note. HighLevel takes no date: the note is
// dated when it is created, so carry the original date in the body. Body is
// required (also by UpdateNote, which always sends it); the other fields are
// sent only when set, so an update leaves an empty one as it is.
type NoteInput struct {
	Body   string `json:"body"`
	Title  string `json:"title,omitempty"`
	UserID string `json:"userId,omitempty"`
	Color  string `json:"color,omitempty"` // e.g. "#FFAA00"
	Pinned *bool  `json:"pinned,omitempty"`
}

// MarshalJSON is the exact JSON body CreateNote and UpdateNote send for
// in: the bytes to journal (NoteInput has a Body field, hence MarshalJSON
// rather than a Body method, as for TaskInput).
func (in NoteInput) MarshalJSON() ([]byte, error) {
	type wire NoteInput
	return json.Marshal(wire(in))
}

type noteEnvelope struct {
	Note *Note `json:"note"`
}

func (e *noteEnvelope) get(op string) (*Note, error) {
	if e.Note == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "note" in response`)}
	}
	return e.Note, nil
}

// CreateNote adds a note to a contact (POST /contacts/{id}/notes).
func (s *ContactsService) CreateNote(ctx context.Context, contactID string, in NoteInput) (*Note, error) {
	if err := requireID(opNoteCreate.name, "contact id", contactID); err != nil {
		return nil, err
	}
	if in.Body == "" {
		return nil, fmt.Errorf("highlevel: %s: empty body", opNoteCreate.name)
	}
	var out noteEnvelope
	if err := s.client.do(ctx, call{op: opNoteCreate, path: pathf("/contacts/%s/notes", contactID), body: in}, &out); err != nil {
		return nil, err
	}
	return out.get(opNoteCreate.name)
}

// GetNote returns one note of a contact (GET /contacts/{id}/notes/{noteId}).
// An unknown note gives an error matching ErrNotFound (HighLevel answers
// 400 "Note with id … not found").
func (s *ContactsService) GetNote(ctx context.Context, contactID, noteID string) (*Note, error) {
	if err := requireIDs(opNoteGet.name, "contact id", contactID, "note id", noteID); err != nil {
		return nil, err
	}
	var out noteEnvelope
	if err := s.client.do(ctx, call{op: opNoteGet, path: pathf("/contacts/%s/notes/%s", contactID, noteID)}, &out); err != nil {
		return nil, err
	}
	return out.get(opNoteGet.name)
}

// UpdateNote changes a note in place (PUT /contacts/{id}/notes/{noteId}),
// keeping its id and date, and returns it. Body is required and replaces
// the note's text; empty optional fields are left as they are.
func (s *ContactsService) UpdateNote(ctx context.Context, contactID, noteID string, in NoteInput) (*Note, error) {
	if err := requireIDs(opNoteUpdate.name, "contact id", contactID, "note id", noteID); err != nil {
		return nil, err
	}
	if in.Body == "" {
		return nil, fmt.Errorf("highlevel: %s: empty body", opNoteUpdate.name)
	}
	var out noteEnvelope
	if err := s.client.do(ctx, call{op: opNoteUpdate, path: pathf("/contacts/%s/notes/%s", contactID, noteID), body: in}, &out); err != nil {
		return nil, err
	}
	return out.get(opNoteUpdate.name)
}

// requireIDs checks pairs of (what, id) with requireID.
func requireIDs(op string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := requireID(op, pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// ListNotes returns all notes of a contact (GET /contacts/{id}/notes; not
// paginated by HighLevel).
func (s *ContactsService) ListNotes(ctx context.Context, contactID string) ([]*Note, error) {
	if err := requireID(opNoteList.name, "contact id", contactID); err != nil {
		return nil, err
	}
	var out struct {
		Notes []*Note `json:"notes"`
	}
	err := s.client.do(ctx, call{op: opNoteList, path: pathf("/contacts/%s/notes", contactID)}, &out)
	return out.Notes, err
}

// DeleteNote deletes a note (DELETE /contacts/{id}/notes/{noteId}).
func (s *ContactsService) DeleteNote(ctx context.Context, contactID, noteID string) error {
	if err := requireID(opNoteDelete.name, "contact id", contactID); err != nil {
		return err
	}
	if err := requireID(opNoteDelete.name, "note id", noteID); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opNoteDelete, path: pathf("/contacts/%s/notes/%s", contactID, noteID)}, &out); err != nil {
		return err
	}
	return out.check(opNoteDelete.name)
}

// Task is a contact task.
type Task struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Body       string    `json:"body,omitempty"`
	AssignedTo string    `json:"assignedTo,omitempty"`
	DueDate    Timestamp `json:"dueDate"`
	Completed  bool      `json:"completed"`
	ContactID  string    `json:"contactId,omitempty"`
}

// TaskInput creates a task, or is the whole new state of a task given to
// UpdateTask. Title and DueDate are required by HighLevel.
type TaskInput struct {
	Title      string
	Body       string
	DueDate    time.Time
	Completed  bool
	AssignedTo string // a user id
}

// taskBody is CreateTaskParams and UpdateTaskBody on the wire.
type taskBody struct {
	Title      string `json:"title"`
	Body       string `json:"body,omitempty"`
	DueDate    string `json:"dueDate"`
	Completed  bool   `json:"completed"`
	AssignedTo string `json:"assignedTo,omitempty"`
}

// MarshalJSON is the exact JSON body CreateTask sends for in (the due date
// in UTC to the second): the bytes to journal (TaskInput has a Body field,
// hence MarshalJSON rather than a Body method). UpdateTask sends the same
// fields, with "body" even when it is empty (so that an update can clear
// it).
func (in TaskInput) MarshalJSON() ([]byte, error) {
	return json.Marshal(taskBody{in.Title, in.Body, wireDate(in.DueDate), in.Completed, in.AssignedTo})
}

type taskEnvelope struct {
	Task *Task `json:"task"`
}

func (e *taskEnvelope) get(op string) (*Task, error) {
	if e.Task == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "task" in response`)}
	}
	return e.Task, nil
}

func checkTask(op string, in TaskInput) error {
	if in.Title == "" || in.DueDate.IsZero() {
		return fmt.Errorf("highlevel: %s: title and due date are required", op)
	}
	return nil
}

func wireDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// CreateTask adds a task to a contact (POST /contacts/{id}/tasks).
func (s *ContactsService) CreateTask(ctx context.Context, contactID string, in TaskInput) (*Task, error) {
	if err := requireID(opTaskCreate.name, "contact id", contactID); err != nil {
		return nil, err
	}
	if err := checkTask(opTaskCreate.name, in); err != nil {
		return nil, err
	}
	body := in // TaskInput.MarshalJSON
	var out taskEnvelope
	if err := s.client.do(ctx, call{op: opTaskCreate, path: pathf("/contacts/%s/tasks", contactID), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opTaskCreate.name)
}

// GetTask returns one task of a contact (GET /contacts/{id}/tasks/{taskId}).
// An unknown task gives an error matching ErrNotFound.
func (s *ContactsService) GetTask(ctx context.Context, contactID, taskID string) (*Task, error) {
	if err := requireIDs(opTaskGet.name, "contact id", contactID, "task id", taskID); err != nil {
		return nil, err
	}
	var out taskEnvelope
	if err := s.client.do(ctx, call{op: opTaskGet, path: pathf("/contacts/%s/tasks/%s", contactID, taskID)}, &out); err != nil {
		return nil, err
	}
	return out.get(opTaskGet.name)
}

// UpdateTask sets a task to in (PUT /contacts/{id}/tasks/{taskId}) and
// returns it. Title, due date, completion and body are all sent, so an
// empty Body clears the task's; an empty AssignedTo is not sent and leaves
// the assignee as it is (HighLevel takes user ids only).
func (s *ContactsService) UpdateTask(ctx context.Context, contactID, taskID string, in TaskInput) (*Task, error) {
	if err := requireIDs(opTaskUpdate.name, "contact id", contactID, "task id", taskID); err != nil {
		return nil, err
	}
	if err := checkTask(opTaskUpdate.name, in); err != nil {
		return nil, err
	}
	body := struct {
		Title      string `json:"title"`
		Body       string `json:"body"`
		DueDate    string `json:"dueDate"`
		Completed  bool   `json:"completed"`
		AssignedTo string `json:"assignedTo,omitempty"`
	}{in.Title, in.Body, wireDate(in.DueDate), in.Completed, in.AssignedTo}
	var out taskEnvelope
	if err := s.client.do(ctx, call{op: opTaskUpdate, path: pathf("/contacts/%s/tasks/%s", contactID, taskID), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opTaskUpdate.name)
}

// ListTasks returns all tasks of a contact (GET /contacts/{id}/tasks).
func (s *ContactsService) ListTasks(ctx context.Context, contactID string) ([]*Task, error) {
	if err := requireID(opTaskList.name, "contact id", contactID); err != nil {
		return nil, err
	}
	var out struct {
		Tasks []*Task `json:"tasks"`
	}
	err := s.client.do(ctx, call{op: opTaskList, path: pathf("/contacts/%s/tasks", contactID)}, &out)
	return out.Tasks, err
}

// DeleteTask deletes a task (DELETE /contacts/{id}/tasks/{taskId}).
func (s *ContactsService) DeleteTask(ctx context.Context, contactID, taskID string) error {
	if err := requireID(opTaskDelete.name, "contact id", contactID); err != nil {
		return err
	}
	if err := requireID(opTaskDelete.name, "task id", taskID); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opTaskDelete, path: pathf("/contacts/%s/tasks/%s", contactID, taskID)}, &out); err != nil {
		return err
	}
	return out.check(opTaskDelete.name)
}

// SearchFilter is one condition of a contact search: Field (e.g. "email",
// "tags", "dateAdded", "customFields.<fieldId>"), Operator (eq, not_eq,
// contains, not_contains, exists, not_exists, range) and Value. A group
// combines Filters with Group "AND" or "OR" instead.
type SearchFilter struct {
	Field    string         `json:"field,omitempty"`
	Operator string         `json:"operator,omitempty"`
	Value    any            `json:"value,omitempty"`
	Group    string         `json:"group,omitempty"`
	Filters  []SearchFilter `json:"filters,omitempty"`
}

// SearchSort orders results: Field "dateAdded" or "dateUpdated", Direction
// "asc" or "desc".
type SearchSort struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

// ContactSearch is a contact search.
type ContactSearch struct {
	Query   string
	Filters []SearchFilter
	Sort    []SearchSort
	// PageLimit is the page size, 1 to 500. Default 100.
	PageLimit int
}

// MaxSearchWindow is how deep page/pageLimit pagination reaches; past it
// the iterator continues with searchAfter.
const MaxSearchWindow = 10_000

// ContactPage is one page of search results.
type ContactPage struct {
	Contacts []*Contact
	Total    int
}

// SearchCursor selects a page: Page (1-based) or, past MaxSearchWindow,
// SearchAfter (the SearchAfter of the last contact of the previous page).
type SearchCursor struct {
	Page        int
	SearchAfter json.RawMessage
}

// SearchPage returns one page (POST /contacts/search). Search results lag
// writes by a few seconds.
func (s *ContactsService) SearchPage(ctx context.Context, q ContactSearch, cur SearchCursor) (*ContactPage, error) {
	limit := q.PageLimit
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 500 {
		return nil, fmt.Errorf("highlevel: %s: page limit %d out of 1..500", opContactSearch.name, limit)
	}
	body := searchBody{LocationID: s.client.locationID, PageLimit: limit, Query: q.Query, Filters: q.Filters, Sort: q.Sort}
	if len(cur.SearchAfter) > 0 {
		body.SearchAfter = cur.SearchAfter
	} else {
		body.Page = max(cur.Page, 1)
		if body.Page*limit > MaxSearchWindow {
			return nil, fmt.Errorf("highlevel: %s: page %d × %d is past the %d-record window; use SearchAfter", opContactSearch.name, body.Page, limit, MaxSearchWindow)
		}
	}
	var out struct {
		Contacts []*Contact `json:"contacts"`
		Total    *float64   `json:"total"`
		Count    *float64   `json:"count"` // what the spec documents
	}
	if err := s.client.do(ctx, call{op: opContactSearch, path: "/contacts/search", body: body}, &out); err != nil {
		return nil, err
	}
	p := &ContactPage{Contacts: out.Contacts, Total: -1}
	switch {
	case out.Total != nil:
		p.Total = int(*out.Total)
	case out.Count != nil:
		p.Total = int(*out.Count)
	}
	return p, nil
}

type searchBody struct {
	LocationID  string          `json:"locationId"`
	Page        int             `json:"page,omitempty"`
	PageLimit   int             `json:"pageLimit"`
	SearchAfter json.RawMessage `json:"searchAfter,omitempty"`
	Query       string          `json:"query,omitempty"`
	Filters     []SearchFilter  `json:"filters,omitempty"`
	Sort        []SearchSort    `json:"sort,omitempty"`
}

// Search iterates over every contact matching q, page by page: page and
// pageLimit up to MaxSearchWindow records, then searchAfter cursors. The
// iteration stops at the first error, which it yields. Memory stays one
// page.
func (s *ContactsService) Search(ctx context.Context, q ContactSearch) iter.Seq2[*Contact, error] {
	return func(yield func(*Contact, error) bool) {
		limit := q.PageLimit
		if limit == 0 {
			limit = 100
		}
		cur := SearchCursor{Page: 1}
		seen := 0
		for {
			p, err := s.SearchPage(ctx, q, cur)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, c := range p.Contacts {
				if !yield(c, nil) {
					return
				}
			}
			seen += len(p.Contacts)
			if searchDone(len(p.Contacts), limit, seen, p.Total) {
				return
			}
			if len(cur.SearchAfter) == 0 && (cur.Page+1)*limit <= MaxSearchWindow {
				cur.Page++
				continue
			}
			last := p.Contacts[len(p.Contacts)-1]
			if len(last.SearchAfter) == 0 || string(last.SearchAfter) == "null" {
				yield(nil, fmt.Errorf("highlevel: %s: %w", opContactSearch.name, ErrNoSearchCursor))
				return
			}
			cur = SearchCursor{SearchAfter: last.SearchAfter}
		}
	}
}

// ErrNoSearchCursor: results go past MaxSearchWindow but HighLevel sent no
// searchAfter cursor to continue with.
var ErrNoSearchCursor = errors.New("search results exceed the page window and carry no searchAfter cursor")

// Count returns how many contacts match q (one call with a page of one).
func (s *ContactsService) Count(ctx context.Context, q ContactSearch) (int, error) {
	q.PageLimit = 1
	p, err := s.SearchPage(ctx, q, SearchCursor{Page: 1})
	if err != nil {
		return 0, err
	}
	if p.Total < 0 {
		return 0, &DecodeError{Operation: opContactSearch.name, Err: errors.New("no total in response")}
	}
	return p.Total, nil
}
