package highlevel

import (
	"context"
	"encoding/json"

	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Business is a HighLevel business (shown as "Companies" in the app).
// HighLevel's business API has no custom fields.
type Business struct {
	ID          string    `json:"id"`
	LocationID  string    `json:"locationId,omitempty"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone,omitempty"`
	Email       string    `json:"email,omitempty"`
	Website     string    `json:"website,omitempty"`
	Address     string    `json:"address,omitempty"`
	City        string    `json:"city,omitempty"`
	State       string    `json:"state,omitempty"`
	PostalCode  string    `json:"postalCode,omitempty"`
	Country     string    `json:"country,omitempty"`
	Description string    `json:"description,omitempty"`
	CreatedAt   Timestamp `json:"createdAt"`
	UpdatedAt   Timestamp `json:"updatedAt"`
}

// BusinessInput is the body of a create. Name is required.
type BusinessInput struct {
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	Website     string `json:"website,omitempty"`
	Address     string `json:"address,omitempty"`
	City        string `json:"city,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
	State       string `json:"state,omitempty"`
	Country     string `json:"country,omitempty"`
	Description string `json:"description,omitempty"`
}

// BusinessUpdate is the body of an update; nil fields are unchanged.
type BusinessUpdate struct {
	Name        *string `json:"name,omitempty"`
	Phone       *string `json:"phone,omitempty"`
	Email       *string `json:"email,omitempty"`
	Website     *string `json:"website,omitempty"`
	Address     *string `json:"address,omitempty"`
	City        *string `json:"city,omitempty"`
	PostalCode  *string `json:"postalCode,omitempty"`
	State       *string `json:"state,omitempty"`
	Country     *string `json:"country,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Body is the JSON body Create sends for in, less the "locationId" it
// puts first for the client's location: the bytes to journal, so that
// journal, digest and request come from one encoding.
func (in BusinessInput) Body() ([]byte, error) {
	return json.Marshal(in)
}

// Body is the exact JSON body Update sends for u: the bytes to journal.
func (u BusinessUpdate) Body() ([]byte, error) {
	return json.Marshal(u)
}

var (
	opBusinessCreate = operation{name: "businesses.create", method: http.MethodPost, version: Version20210728}
	opBusinessGet    = operation{name: "businesses.get", method: http.MethodGet, version: Version20210728}
	opBusinessUpdate = operation{name: "businesses.update", method: http.MethodPut, version: Version20210728}
	opBusinessDelete = operation{name: "businesses.delete", method: http.MethodDelete, version: Version20210728}
	opBusinessList   = operation{name: "businesses.list", method: http.MethodGet, version: Version20210728}
	opBusinessLink   = operation{name: "businesses.linkContacts", method: http.MethodPost, version: Version20210728}
)

// businessEnvelope decodes HighLevel's wrappers: "buiseness" (sic, on
// create and update, as the spec documents) and "business".
type businessEnvelope struct {
	Success  *bool     `json:"success"`
	Business *Business `json:"business"`
	Misspelt *Business `json:"buiseness"`
}

func (e *businessEnvelope) get(op string) (*Business, error) {
	if e.Success != nil && !*e.Success {
		return nil, notApplied(op)
	}
	switch {
	case e.Business != nil:
		return e.Business, nil
	case e.Misspelt != nil:
		return e.Misspelt, nil
	}
	return nil, &DecodeError{Operation: op, Err: errors.New(`no "business" or "buiseness" in response`)}
}

// Create creates a business (POST /businesses/). A network failure or 5xx
// gives an error matching ErrOutcomeUnknown.
func (s *BusinessesService) Create(ctx context.Context, in BusinessInput) (*Business, error) {
	if in.Name == "" {
		return nil, fmt.Errorf("highlevel: %s: name is required", opBusinessCreate.name)
	}
	body, err := s.client.locatedBody(opBusinessCreate.name, in)
	if err != nil {
		return nil, err
	}
	var out businessEnvelope
	if err := s.client.do(ctx, call{op: opBusinessCreate, path: "/businesses/", body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opBusinessCreate.name)
}

// Get returns a business (GET /businesses/{id}).
func (s *BusinessesService) Get(ctx context.Context, id string) (*Business, error) {
	if err := requireID(opBusinessGet.name, "business id", id); err != nil {
		return nil, err
	}
	var out businessEnvelope
	if err := s.client.do(ctx, call{op: opBusinessGet, path: pathf("/businesses/%s", id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opBusinessGet.name)
}

// Update changes a business (PUT /businesses/{id}) and returns it.
func (s *BusinessesService) Update(ctx context.Context, id string, in BusinessUpdate) (*Business, error) {
	if err := requireID(opBusinessUpdate.name, "business id", id); err != nil {
		return nil, err
	}
	body, err := wireBody(opBusinessUpdate.name, in)
	if err != nil {
		return nil, err
	}
	var out businessEnvelope
	if err := s.client.do(ctx, call{op: opBusinessUpdate, path: pathf("/businesses/%s", id), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opBusinessUpdate.name)
}

// Delete deletes a business (DELETE /businesses/{id}).
func (s *BusinessesService) Delete(ctx context.Context, id string) error {
	if err := requireID(opBusinessDelete.name, "business id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opBusinessDelete, path: pathf("/businesses/%s", id)}, &out); err != nil {
		return err
	}
	return out.check(opBusinessDelete.name)
}

// BusinessListOptions tune List.
type BusinessListOptions struct {
	// PageSize is the limit of each call. Default 100.
	PageSize int
}

// List iterates over the location's businesses (GET /businesses/ with
// limit and skip), one page in memory at a time.
func (s *BusinessesService) List(ctx context.Context, o BusinessListOptions) iter.Seq2[*Business, error] {
	size := pageSize(o.PageSize)
	return pages(size, func(skip int) ([]*Business, *float64, error) {
		q := url.Values{
			"locationId": {s.client.locationID},
			"limit":      {strconv.Itoa(size)},
			"skip":       {strconv.Itoa(skip)},
		}
		var out struct {
			Businesses []*Business `json:"businesses"`
		}
		err := s.client.do(ctx, call{op: opBusinessList, path: "/businesses/", query: q}, &out)
		return out.Businesses, nil, err // the endpoint reports no total
	})
}

// LinkResult is the outcome of a bulk link or unlink.
type LinkResult struct {
	Success bool
	// ContactIDs are the contacts HighLevel reports as changed.
	ContactIDs []string
}

// LinkContacts attaches contacts to a business in one call
// (POST /contacts/bulk/business).
func (s *BusinessesService) LinkContacts(ctx context.Context, businessID string, contactIDs []string) (*LinkResult, error) {
	if err := requireID(opBusinessLink.name, "business id", businessID); err != nil {
		return nil, err
	}
	return s.link(ctx, &businessID, contactIDs)
}

// UnlinkContacts detaches contacts from their business in one call
// (POST /contacts/bulk/business with a null businessId).
func (s *BusinessesService) UnlinkContacts(ctx context.Context, contactIDs []string) (*LinkResult, error) {
	return s.link(ctx, nil, contactIDs)
}

func (s *BusinessesService) link(ctx context.Context, businessID *string, ids []string) (*LinkResult, error) {
	op := opBusinessLink
	if businessID == nil {
		op.name = "businesses.unlinkContacts"
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("highlevel: %s: no contacts", op.name)
	}
	body := struct {
		LocationID string   `json:"locationId"`
		IDs        []string `json:"ids"`
		BusinessID *string  `json:"businessId"`
	}{s.client.locationID, ids, businessID}
	var out struct {
		Success bool     `json:"success"`
		IDs     []string `json:"ids"`
	}
	if err := s.client.do(ctx, call{op: op, path: "/contacts/bulk/business", body: body}, &out); err != nil {
		return nil, err
	}
	return &LinkResult{Success: out.Success, ContactIDs: out.IDs}, nil
}
