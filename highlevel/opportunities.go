package highlevel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// OpportunityStatus is an opportunity's status.
type OpportunityStatus string

// Opportunity statuses. StatusAll is only a search filter.
const (
	StatusOpen      OpportunityStatus = "open"
	StatusWon       OpportunityStatus = "won"
	StatusLost      OpportunityStatus = "lost"
	StatusAbandoned OpportunityStatus = "abandoned"
	StatusAll       OpportunityStatus = "all"
)

func (st OpportunityStatus) valid() bool {
	switch st {
	case StatusOpen, StatusWon, StatusLost, StatusAbandoned:
		return true
	}
	return false
}

// Opportunity is a deal in a pipeline, for one contact.
type Opportunity struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	MonetaryValue   float64           `json:"monetaryValue"` // in currency units; see Cents
	PipelineID      string            `json:"pipelineId"`
	PipelineStageID string            `json:"pipelineStageId"`
	Status          OpportunityStatus `json:"status"`
	AssignedTo      string            `json:"assignedTo,omitempty"`
	Source          string            `json:"source,omitempty"`
	ContactID       string            `json:"contactId"`
	LocationID      string            `json:"locationId,omitempty"`
	LostReasonID    string            `json:"lostReasonId,omitempty"`
	// Contact is a summary of the contact, as search and get embed it.
	Contact            *OpportunityContact `json:"contact,omitempty"`
	CustomFields       []CustomFieldValue  `json:"customFields,omitempty"`
	Followers          []string            `json:"followers,omitempty"`
	LastStatusChangeAt Timestamp           `json:"lastStatusChangeAt"`
	LastStageChangeAt  Timestamp           `json:"lastStageChangeAt"`
	CreatedAt          Timestamp           `json:"createdAt"`
	UpdatedAt          Timestamp           `json:"updatedAt"`
}

// Cents returns MonetaryValue in cents.
func (o *Opportunity) Cents() Cents { return Cents(math.Round(o.MonetaryValue * 100)) }

// CustomField returns the value of the custom field with this id.
func (o *Opportunity) CustomField(id string) (CustomFieldValue, bool) {
	for _, f := range o.CustomFields {
		if f.ID == id {
			return f, true
		}
	}
	return CustomFieldValue{}, false
}

// UnmarshalJSON decodes an opportunity. Custom field values arrive as
// {id, fieldValue} (also accepted: field_value, value); followers as ids.
func (o *Opportunity) UnmarshalJSON(b []byte) error {
	type plain Opportunity
	var w struct {
		plain
		CustomFields []struct {
			ID         string          `json:"id"`
			FieldValue json.RawMessage `json:"fieldValue"`
			FieldValu2 json.RawMessage `json:"field_value"`
			Value      json.RawMessage `json:"value"`
		} `json:"customFields"`
		Followers []json.RawMessage `json:"followers"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*o = Opportunity(w.plain)
	for _, f := range w.CustomFields {
		v := f.FieldValue
		if len(v) == 0 {
			v = f.FieldValu2
		}
		if len(v) == 0 {
			v = f.Value
		}
		o.CustomFields = append(o.CustomFields, CustomFieldValue{ID: f.ID, Value: v})
	}
	for _, f := range w.Followers {
		var id string
		if json.Unmarshal(f, &id) == nil && id != "" {
			o.Followers = append(o.Followers, id)
		}
	}
	return nil
}

// OpportunityContact is the contact summary embedded in an opportunity.
type OpportunityContact struct {
	ID          string   `json:"id"`
	Name        string   `json:"name,omitempty"`
	CompanyName string   `json:"companyName,omitempty"`
	Email       string   `json:"email,omitempty"`
	Phone       string   `json:"phone,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// OpportunityInput is the body of a create. PipelineID, Name and ContactID
// are required; Status defaults to open and the stage to the pipeline's
// first.
type OpportunityInput struct {
	PipelineID      string
	PipelineStageID string
	Name            string
	Status          OpportunityStatus
	ContactID       string
	MonetaryValue   *Cents
	AssignedTo      string // a user id
	CustomFields    []CustomFieldInput
}

// OpportunityUpdate changes an opportunity; nil fields are unchanged.
type OpportunityUpdate struct {
	PipelineID      *string
	PipelineStageID *string
	Name            *string
	Status          *OpportunityStatus
	MonetaryValue   *Cents
	AssignedTo      *string
	CustomFields    []CustomFieldInput
}

// Body is the JSON body Create sends for in, less the "locationId" it puts
// first for the client's location: the bytes to journal. An empty Status
// is sent as StatusOpen, as Create sends it; the value is in currency
// units (cents / 100), as HighLevel takes it.
func (in OpportunityInput) Body() ([]byte, error) {
	if in.Status == "" {
		in.Status = StatusOpen
	}
	return json.Marshal(struct {
		PipelineID      string             `json:"pipelineId"`
		Name            string             `json:"name"`
		PipelineStageID string             `json:"pipelineStageId,omitempty"`
		Status          OpportunityStatus  `json:"status"`
		ContactID       string             `json:"contactId"`
		MonetaryValue   *FieldValue        `json:"monetaryValue,omitempty"`
		AssignedTo      string             `json:"assignedTo,omitempty"`
		CustomFields    []CustomFieldInput `json:"customFields,omitempty"`
	}{in.PipelineID, in.Name, in.PipelineStageID, in.Status, in.ContactID,
		moneyJSON(in.MonetaryValue), in.AssignedTo, in.CustomFields})
}

// Body is the exact JSON body Update sends for u: only the fields it sets.
func (u OpportunityUpdate) Body() ([]byte, error) {
	return json.Marshal(struct {
		PipelineID      *string            `json:"pipelineId,omitempty"`
		Name            *string            `json:"name,omitempty"`
		PipelineStageID *string            `json:"pipelineStageId,omitempty"`
		Status          *OpportunityStatus `json:"status,omitempty"`
		MonetaryValue   *FieldValue        `json:"monetaryValue,omitempty"`
		AssignedTo      *string            `json:"assignedTo,omitempty"`
		CustomFields    []CustomFieldInput `json:"customFields,omitempty"`
	}{u.PipelineID, u.Name, u.PipelineStageID, u.Status, moneyJSON(u.MonetaryValue), u.AssignedTo, u.CustomFields})
}

// moneyJSON encodes cents as the decimal number HighLevel expects.
func moneyJSON(c *Cents) *FieldValue {
	if c == nil {
		return nil
	}
	v := MoneyValue(*c)
	return &v
}

var (
	opOppCreate   = operation{name: "opportunities.create", method: http.MethodPost, version: Version20210728}
	opOppGet      = operation{name: "opportunities.get", method: http.MethodGet, version: Version20210728}
	opOppUpdate   = operation{name: "opportunities.update", method: http.MethodPut, version: Version20210728}
	opOppStatus   = operation{name: "opportunities.updateStatus", method: http.MethodPut, version: Version20210728}
	opOppDelete   = operation{name: "opportunities.delete", method: http.MethodDelete, version: Version20210728}
	opOppUpsert   = operation{name: "opportunities.upsert", method: http.MethodPost, version: Version20210728}
	opOppSearch   = operation{name: "opportunities.search", method: http.MethodGet, version: Version20210728}
	opPipeList    = operation{name: "pipelines.list", method: http.MethodGet, version: Version20210728}
	opPipeCreate  = operation{name: "pipelines.create", method: http.MethodPost, version: Version20210728}
	errNoOppField = errors.New(`no "opportunity" in response`)
)

type opportunityEnvelope struct {
	Opportunity *Opportunity `json:"opportunity"`
}

func (e *opportunityEnvelope) get(op string) (*Opportunity, error) {
	if e.Opportunity == nil {
		return nil, &DecodeError{Operation: op, Err: errNoOppField}
	}
	return e.Opportunity, nil
}

// Create creates an opportunity (POST /opportunities/). A location that
// refuses a second opportunity for a contact in one pipeline answers 400.
// A network failure or 5xx gives an error matching ErrOutcomeUnknown:
// search by contact and pipeline before trying again.
func (s *OpportunitiesService) Create(ctx context.Context, in OpportunityInput) (*Opportunity, error) {
	op := opOppCreate.name
	if in.PipelineID == "" || in.Name == "" || in.ContactID == "" {
		return nil, fmt.Errorf("highlevel: %s: pipeline id, name and contact id are required", op)
	}
	if in.Status == "" {
		in.Status = StatusOpen
	}
	if !in.Status.valid() {
		return nil, fmt.Errorf("highlevel: %s: unknown status %q", op, in.Status)
	}
	body, err := s.client.locatedBody(op, in)
	if err != nil {
		return nil, err
	}
	var out opportunityEnvelope
	if err := s.client.do(ctx, call{op: opOppCreate, path: "/opportunities/", body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(op)
}

// Get returns an opportunity.
func (s *OpportunitiesService) Get(ctx context.Context, id string) (*Opportunity, error) {
	if err := requireID(opOppGet.name, "opportunity id", id); err != nil {
		return nil, err
	}
	var out opportunityEnvelope
	if err := s.client.do(ctx, call{op: opOppGet, path: pathf("/opportunities/%s", id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opOppGet.name)
}

// Update changes an opportunity (PUT /opportunities/{id}) and returns it.
func (s *OpportunitiesService) Update(ctx context.Context, id string, in OpportunityUpdate) (*Opportunity, error) {
	op := opOppUpdate.name
	if err := requireID(op, "opportunity id", id); err != nil {
		return nil, err
	}
	if in.Status != nil && !in.Status.valid() {
		return nil, fmt.Errorf("highlevel: %s: unknown status %q", op, *in.Status)
	}
	body, err := wireBody(op, in)
	if err != nil {
		return nil, err
	}
	var out opportunityEnvelope
	if err := s.client.do(ctx, call{op: opOppUpdate, path: pathf("/opportunities/%s", id), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(op)
}

// UpdateStatus sets an opportunity's status (PUT
// /opportunities/{id}/status); lostReasonID is optional and only
// meaningful for StatusLost.
func (s *OpportunitiesService) UpdateStatus(ctx context.Context, id string, status OpportunityStatus, lostReasonID string) error {
	op := opOppStatus.name
	if err := requireID(op, "opportunity id", id); err != nil {
		return err
	}
	if !status.valid() {
		return fmt.Errorf("highlevel: %s: unknown status %q", op, status)
	}
	body := struct {
		Status       OpportunityStatus `json:"status"`
		LostReasonID string            `json:"lostReasonId,omitempty"`
	}{status, lostReasonID}
	var out succeded
	if err := s.client.do(ctx, call{op: opOppStatus, path: pathf("/opportunities/%s/status", id), body: body}, &out); err != nil {
		return err
	}
	return out.check(op)
}

// Delete deletes an opportunity.
func (s *OpportunitiesService) Delete(ctx context.Context, id string) error {
	if err := requireID(opOppDelete.name, "opportunity id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opOppDelete, path: pathf("/opportunities/%s", id)}, &out); err != nil {
		return err
	}
	return out.check(opOppDelete.name)
}

// OpportunityUpsert is the body of an upsert. With ID it updates that
// opportunity; otherwise HighLevel matches ContactID's opportunity in
// PipelineID and updates it, or creates one (Name required then).
// Followers are left unchanged.
type OpportunityUpsert struct {
	ID              string
	PipelineID      string
	ContactID       string
	PipelineStageID string
	Name            string
	Status          OpportunityStatus
	MonetaryValue   *Cents
	AssignedTo      string
	LostReasonID    string
	CustomFields    []CustomFieldInput
}

// OpportunityUpsertResult is the outcome of an upsert.
type OpportunityUpsertResult struct {
	Opportunity *Opportunity
	// Created is true when HighLevel created a new opportunity.
	Created bool
}

// Upsert creates or updates an opportunity (POST /opportunities/upsert).
// Like contact upsert, it matches on HighLevel's terms (contact and
// pipeline): keep your own id map for identity.
func (s *OpportunitiesService) Upsert(ctx context.Context, in OpportunityUpsert) (*OpportunityUpsertResult, error) {
	op := opOppUpsert.name
	if in.PipelineID == "" {
		return nil, fmt.Errorf("highlevel: %s: pipeline id is required", op)
	}
	if in.ID == "" && in.ContactID == "" {
		return nil, fmt.Errorf("highlevel: %s: give an opportunity id or a contact id", op)
	}
	if in.Status != "" && !in.Status.valid() {
		return nil, fmt.Errorf("highlevel: %s: unknown status %q", op, in.Status)
	}
	// The spec requires the three follower properties; an empty "add"
	// changes nothing. contactId is not in the spec but HighLevel needs it
	// to match.
	body := struct {
		ID                   string             `json:"id,omitempty"`
		PipelineID           string             `json:"pipelineId"`
		LocationID           string             `json:"locationId"`
		ContactID            string             `json:"contactId,omitempty"`
		Followers            []string           `json:"followers"`
		IsRemoveAllFollowers bool               `json:"isRemoveAllFollowers"`
		FollowersActionType  string             `json:"followersActionType"`
		Name                 string             `json:"name,omitempty"`
		Status               OpportunityStatus  `json:"status,omitempty"`
		PipelineStageID      string             `json:"pipelineStageId,omitempty"`
		MonetaryValue        *FieldValue        `json:"monetaryValue,omitempty"`
		AssignedTo           string             `json:"assignedTo,omitempty"`
		LostReasonID         string             `json:"lostReasonId,omitempty"`
		CustomFields         []CustomFieldInput `json:"customFields,omitempty"`
	}{in.ID, in.PipelineID, s.client.locationID, in.ContactID, []string{}, false, "add", in.Name, in.Status,
		in.PipelineStageID, moneyJSON(in.MonetaryValue), in.AssignedTo, in.LostReasonID, in.CustomFields}
	var out struct {
		Opportunity *Opportunity `json:"opportunity"`
		New         bool         `json:"new"`
	}
	if err := s.client.do(ctx, call{op: opOppUpsert, path: "/opportunities/upsert", body: body}, &out); err != nil {
		return nil, err
	}
	if out.Opportunity == nil {
		return nil, &DecodeError{Operation: op, Err: errNoOppField}
	}
	return &OpportunityUpsertResult{Opportunity: out.Opportunity, Created: out.New}, nil
}

// OpportunitySearch filters an opportunity search. Empty fields do not
// filter.
type OpportunitySearch struct {
	Query           string // matches names
	PipelineID      string
	PipelineStageID string
	ContactID       string
	Status          OpportunityStatus // StatusAll for every status
	AssignedTo      string
	// PageLimit is the page size, 1 to 100. Default 100.
	PageLimit int
}

// OpportunityPage is one page of an opportunity search and the search's
// total (meta.total; -1 when HighLevel did not say). A total of
// MaxSearchWindow or more may be capped.
type OpportunityPage struct {
	Opportunities []*Opportunity
	Total         int
}

// SearchPage returns one page (1-based, by page number within
// MaxSearchWindow) of the opportunities matching q, with the search's
// total: with PageLimit 1 it is a count in one call.
func (s *OpportunitiesService) SearchPage(ctx context.Context, q OpportunitySearch, page int) (*OpportunityPage, error) {
	op := opOppSearch.name
	limit := q.PageLimit
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 100 {
		return nil, fmt.Errorf("highlevel: %s: page limit %d out of 1..100", op, limit)
	}
	if q.Status != "" && q.Status != StatusAll && !q.Status.valid() {
		return nil, fmt.Errorf("highlevel: %s: unknown status %q", op, q.Status)
	}
	page = max(page, 1)
	if page*limit > MaxSearchWindow {
		return nil, fmt.Errorf("highlevel: %s: page %d × %d is past the %d-record window", op, page, limit, MaxSearchWindow)
	}
	query := url.Values{"location_id": {s.client.locationID}, "limit": {strconv.Itoa(limit)}}
	for k, v := range map[string]string{"q": q.Query, "pipeline_id": q.PipelineID,
		"pipeline_stage_id": q.PipelineStageID, "contact_id": q.ContactID,
		"status": string(q.Status), "assigned_to": q.AssignedTo} {
		if v != "" {
			query.Set(k, v)
		}
	}
	if page > 1 {
		query.Set("page", strconv.Itoa(page))
	}
	var out struct {
		Opportunities []*Opportunity `json:"opportunities"`
		Meta          struct {
			Total *float64 `json:"total"`
		} `json:"meta"`
	}
	if err := s.client.do(ctx, call{op: opOppSearch, path: "/opportunities/search", query: query}, &out); err != nil {
		return nil, err
	}
	p := &OpportunityPage{Opportunities: out.Opportunities, Total: -1}
	if out.Meta.Total != nil {
		p.Total = int(*out.Meta.Total)
	}
	return p, nil
}

// Search iterates over the opportunities matching q (GET
// /opportunities/search, which takes location_id): the first page, then
// the startAfter/startAfterId cursor HighLevel returns in meta. It stops at
// the first error, which it yields.
func (s *OpportunitiesService) Search(ctx context.Context, q OpportunitySearch) iter.Seq2[*Opportunity, error] {
	op := opOppSearch.name
	return func(yield func(*Opportunity, error) bool) {
		limit := q.PageLimit
		if limit == 0 {
			limit = 100
		}
		if limit < 1 || limit > 100 {
			yield(nil, fmt.Errorf("highlevel: %s: page limit %d out of 1..100", op, limit))
			return
		}
		if q.Status != "" && q.Status != StatusAll && !q.Status.valid() {
			yield(nil, fmt.Errorf("highlevel: %s: unknown status %q", op, q.Status))
			return
		}
		base := url.Values{"location_id": {s.client.locationID}, "limit": {strconv.Itoa(limit)}}
		for k, v := range map[string]string{"q": q.Query, "pipeline_id": q.PipelineID,
			"pipeline_stage_id": q.PipelineStageID, "contact_id": q.ContactID,
			"status": string(q.Status), "assigned_to": q.AssignedTo} {
			if v != "" {
				base.Set(k, v)
			}
		}
		var after, afterID string
		page, seen := 1, 0
		for {
			query := url.Values{}
			for k, v := range base {
				query[k] = v
			}
			switch {
			case afterID != "":
				query.Set("startAfter", after)
				query.Set("startAfterId", afterID)
			case page > 1:
				query.Set("page", strconv.Itoa(page))
			}
			var out struct {
				Opportunities []*Opportunity `json:"opportunities"`
				Meta          struct {
					Total        *float64    `json:"total"`
					StartAfterID string      `json:"startAfterId"`
					StartAfter   json.Number `json:"startAfter"`
					NextPage     *float64    `json:"nextPage"`
				} `json:"meta"`
			}
			if err := s.client.do(ctx, call{op: opOppSearch, path: "/opportunities/search", query: query}, &out); err != nil {
				yield(nil, err)
				return
			}
			for _, o := range out.Opportunities {
				if !yield(o, nil) {
					return
				}
			}
			n := len(out.Opportunities)
			seen += n
			m := out.Meta
			total := -1
			if m.Total != nil {
				total = int(*m.Total)
			}
			if searchDone(n, limit, seen, total) {
				return
			}
			switch {
			case m.StartAfterID != "" && m.StartAfter != "":
				if m.StartAfterID == afterID && m.StartAfter.String() == after {
					yield(nil, fmt.Errorf("highlevel: %s: the startAfter cursor did not advance", op))
					return
				}
				after, afterID = m.StartAfter.String(), m.StartAfterID
			case m.NextPage != nil && int(*m.NextPage) > page && afterID == "":
				page = int(*m.NextPage)
			default:
				return // a full last page
			}
		}
	}
}

// Pipelines

// Pipeline is an opportunity pipeline.
type Pipeline struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Stages         []Stage `json:"stages"`
	LocationID     string  `json:"locationId,omitempty"`
	ShowInFunnel   bool    `json:"showInFunnel"`
	ShowInPieChart bool    `json:"showInPieChart"`
}

// Stage is a pipeline stage.
type Stage struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Position float64 `json:"position"`
}

// Stage returns the stage with this name (case-insensitive, spaces
// trimmed).
func (p *Pipeline) Stage(name string) (Stage, bool) {
	name = strings.TrimSpace(name)
	for _, st := range p.Stages {
		if strings.EqualFold(strings.TrimSpace(st.Name), name) {
			return st, true
		}
	}
	return Stage{}, false
}

// List returns the location's pipelines with their stages (GET
// /opportunities/pipelines).
func (s *PipelinesService) List(ctx context.Context) ([]*Pipeline, error) {
	var out struct {
		Pipelines []*Pipeline `json:"pipelines"`
	}
	err := s.client.do(ctx, call{op: opPipeList, path: "/opportunities/pipelines",
		query: url.Values{"locationId": {s.client.locationID}}}, &out)
	if err != nil {
		return nil, err
	}
	return out.Pipelines, nil
}

// PipelineInput creates a pipeline. Stages are created in order.
type PipelineInput struct {
	Name   string
	Stages []string
}

// Create creates a pipeline with its stages. HighLevel added this endpoint
// after publishing its spec and its body is UNCONFIRMED (see
// pipelineCreateCall); if HighLevel refuses it (a 4xx other than 429),
// create the pipeline by hand in the app and List it. A network failure or
// 5xx gives an error matching ErrOutcomeUnknown.
func (s *PipelinesService) Create(ctx context.Context, in PipelineInput) (*Pipeline, error) {
	op := opPipeCreate.name
	if strings.TrimSpace(in.Name) == "" || len(in.Stages) == 0 {
		return nil, fmt.Errorf("highlevel: %s: a name and at least one stage are required", op)
	}
	for i, st := range in.Stages {
		if strings.TrimSpace(st) == "" {
			return nil, fmt.Errorf("highlevel: %s: stage %d has no name", op, i)
		}
	}
	var out struct {
		Wrapped *Pipeline `json:"pipeline"`
		Pipeline
	}
	if err := s.client.do(ctx, pipelineCreateCall(s.client.locationID, in), &out); err != nil {
		return nil, err
	}
	switch {
	case out.Wrapped != nil:
		return out.Wrapped, nil
	case out.ID != "":
		return &out.Pipeline, nil
	}
	return nil, &DecodeError{Operation: op, Err: errors.New("no pipeline in response")}
}

// pipelineCreateCall is the one place that knows the UNCONFIRMED request of
// POST /opportunities/pipelines (absent from HighLevel's published spec):
// {locationId, name, stages: [{name, position}]}, the shape the simulator
// (hltest) accepts. Fix it here when HighLevel documents the endpoint.
func pipelineCreateCall(locationID string, in PipelineInput) call {
	type stage struct {
		Name     string `json:"name"`
		Position int    `json:"position"`
	}
	stages := make([]stage, len(in.Stages))
	for i, name := range in.Stages {
		stages[i] = stage{Name: name, Position: i}
	}
	return call{op: opPipeCreate, path: "/opportunities/pipelines", body: struct {
		LocationID string  `json:"locationId"`
		Name       string  `json:"name"`
		Stages     []stage `json:"stages"`
	}{locationID, in.Name, stages}}
}

// searchDone decides whether a paged search is over after a page of n
// results (seen so far; total -1 when unknown). A short page ends it unless
// the total says more are left (a server may cap pages below the limit
// asked for). A full page ends it only when an exact total is reached:
// totals of MaxSearchWindow and more may be capped (Elasticsearch counts
// "10,000 or more"), so they cannot end a search.
func searchDone(n, limit, seen, total int) bool {
	switch {
	case n == 0:
		return true
	case n < limit:
		return total < 0 || seen >= total
	}
	return total >= 0 && total < MaxSearchWindow && seen >= total
}
