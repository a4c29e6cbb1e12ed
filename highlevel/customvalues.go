package highlevel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// CustomValuesService: the location's custom values (named strings a
// location keeps, usable as {{ custom_values.key }} in templates). The
// migration stores its identity in one of them.
type CustomValuesService service

// CustomValue is a location custom value.
type CustomValue struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	FieldKey   string `json:"fieldKey,omitempty"` // "{{ custom_values.name }}"
	Value      string `json:"value"`
	LocationID string `json:"locationId,omitempty"`
}

// CustomValueInput is the body of a create or an update: both name and
// value are required by HighLevel (an update sends both).
type CustomValueInput struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

var (
	opCustomValueList   = operation{name: "customValues.list", method: http.MethodGet, version: Version20210728}
	opCustomValueGet    = operation{name: "customValues.get", method: http.MethodGet, version: Version20210728}
	opCustomValueCreate = operation{name: "customValues.create", method: http.MethodPost, version: Version20210728}
	opCustomValueUpdate = operation{name: "customValues.update", method: http.MethodPut, version: Version20210728}
	opCustomValueDelete = operation{name: "customValues.delete", method: http.MethodDelete, version: Version20210728}
)

type customValueEnvelope struct {
	CustomValue *CustomValue `json:"customValue"`
}

func (e *customValueEnvelope) get(op string) (*CustomValue, error) {
	if e.CustomValue == nil {
		return nil, &DecodeError{Operation: op, Err: errors.New(`no "customValue" in response`)}
	}
	return e.CustomValue, nil
}

func (s *CustomValuesService) base() string {
	return pathf("/locations/%s/customValues", s.client.locationID)
}

// List returns all the location's custom values (GET
// /locations/{locationId}/customValues; HighLevel does not page them).
func (s *CustomValuesService) List(ctx context.Context) ([]*CustomValue, error) {
	var out struct {
		CustomValues []*CustomValue `json:"customValues"`
	}
	if err := s.client.do(ctx, call{op: opCustomValueList, path: s.base()}, &out); err != nil {
		return nil, err
	}
	return out.CustomValues, nil
}

// Get returns one custom value (GET /locations/{locationId}/customValues/{id}).
func (s *CustomValuesService) Get(ctx context.Context, id string) (*CustomValue, error) {
	if err := requireID(opCustomValueGet.name, "custom value id", id); err != nil {
		return nil, err
	}
	var out customValueEnvelope
	if err := s.client.do(ctx, call{op: opCustomValueGet, path: s.base() + pathf("/%s", id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opCustomValueGet.name)
}

// Find returns the custom value named name (compared without case and
// surrounding spaces, as HighLevel derives one field key from both), or nil
// when there is none. It costs one List call.
func (s *CustomValuesService) Find(ctx context.Context, name string) (*CustomValue, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	want := strings.TrimSpace(name)
	for _, v := range all {
		if strings.EqualFold(strings.TrimSpace(v.Name), want) {
			return v, nil
		}
	}
	return nil, nil
}

// Create creates a custom value (POST /locations/{locationId}/customValues).
// A network failure or 5xx gives an error matching ErrOutcomeUnknown.
func (s *CustomValuesService) Create(ctx context.Context, in CustomValueInput) (*CustomValue, error) {
	if err := checkCustomValue(opCustomValueCreate.name, in); err != nil {
		return nil, err
	}
	var out customValueEnvelope
	if err := s.client.do(ctx, call{op: opCustomValueCreate, path: s.base(), body: in}, &out); err != nil {
		return nil, err
	}
	return out.get(opCustomValueCreate.name)
}

// Update replaces a custom value's name and value (PUT
// /locations/{locationId}/customValues/{id}).
func (s *CustomValuesService) Update(ctx context.Context, id string, in CustomValueInput) (*CustomValue, error) {
	if err := requireID(opCustomValueUpdate.name, "custom value id", id); err != nil {
		return nil, err
	}
	if err := checkCustomValue(opCustomValueUpdate.name, in); err != nil {
		return nil, err
	}
	var out customValueEnvelope
	if err := s.client.do(ctx, call{op: opCustomValueUpdate, path: s.base() + pathf("/%s", id), body: in}, &out); err != nil {
		return nil, err
	}
	return out.get(opCustomValueUpdate.name)
}

// Delete deletes a custom value (DELETE /locations/{locationId}/customValues/{id}).
func (s *CustomValuesService) Delete(ctx context.Context, id string) error {
	if err := requireID(opCustomValueDelete.name, "custom value id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opCustomValueDelete, path: s.base() + pathf("/%s", id)}, &out); err != nil {
		return err
	}
	return out.check(opCustomValueDelete.name)
}

func checkCustomValue(op string, in CustomValueInput) error {
	if strings.TrimSpace(in.Name) == "" {
		return fmt.Errorf("highlevel: %s: name is required", op)
	}
	return nil
}
