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
	"strings"
)

// Association is the definition of a link between two object types, for
// example contact ↔ custom_objects.xray. Relations (links between two
// records) name it by ID and list their records in its order.
type Association struct {
	ID                string `json:"id"`
	Key               string `json:"key"`
	LocationID        string `json:"locationId,omitempty"`
	FirstObjectKey    string `json:"firstObjectKey"`
	FirstObjectLabel  string `json:"firstObjectLabel"`
	SecondObjectKey   string `json:"secondObjectKey"`
	SecondObjectLabel string `json:"secondObjectLabel"`
	// AssociationType is USER_DEFINED or SYSTEM_DEFINED.
	AssociationType string `json:"associationType,omitempty"`
}

// AssociationInput defines an association. Every field is required.
type AssociationInput struct {
	Key               string `json:"key"`
	FirstObjectKey    string `json:"firstObjectKey"`
	FirstObjectLabel  string `json:"firstObjectLabel"`
	SecondObjectKey   string `json:"secondObjectKey"`
	SecondObjectLabel string `json:"secondObjectLabel"`
}

// Relation links two records through an association.
type Relation struct {
	ID             string    `json:"id"`
	AssociationID  string    `json:"associationId"`
	FirstRecordID  string    `json:"firstRecordId"`
	SecondRecordID string    `json:"secondRecordId"`
	LocationID     string    `json:"locationId,omitempty"`
	CreatedAt      Timestamp `json:"createdAt"`
}

// RelationInput links two records. FirstRecordID must be a record of the
// association's first object, SecondRecordID of its second.
type RelationInput struct {
	AssociationID  string `json:"associationId"`
	FirstRecordID  string `json:"firstRecordId"`
	SecondRecordID string `json:"secondRecordId"`
}

// Body is the JSON body CreateRelation sends for in, less the
// "locationId" it puts first for the client's location: the bytes to
// journal, so that journal, digest and request come from one encoding.
func (in RelationInput) Body() ([]byte, error) { return json.Marshal(in) }

var (
	opAssocCreate      = operation{name: "associations.create", method: http.MethodPost, version: Version20210728}
	opAssocList        = operation{name: "associations.list", method: http.MethodGet, version: Version20210728}
	opAssocGet         = operation{name: "associations.get", method: http.MethodGet, version: Version20210728}
	opAssocByKey       = operation{name: "associations.getByKey", method: http.MethodGet, version: Version20210728}
	opAssocByObjectKey = operation{name: "associations.listByObjectKey", method: http.MethodGet, version: Version20210728}
	opAssocUpdate      = operation{name: "associations.update", method: http.MethodPut, version: Version20210728}
	opAssocDelete      = operation{name: "associations.delete", method: http.MethodDelete, version: Version20210728}
	opRelationCreate   = operation{name: "associations.relations.create", method: http.MethodPost, version: Version20210728}
	opRelationList     = operation{name: "associations.relations.list", method: http.MethodGet, version: Version20210728}
	opRelationDelete   = operation{name: "associations.relations.delete", method: http.MethodDelete, version: Version20210728}
)

// associationAnswer decodes HighLevel's answers, which carry the association at
// the top level; a wrapped {"association": …} is accepted too.
type associationAnswer struct {
	Association
	Wrapped *Association `json:"association"`
}

func (a *associationAnswer) get(op string) (*Association, error) {
	if a.Wrapped != nil && a.Wrapped.ID != "" {
		return a.Wrapped, nil
	}
	if a.ID == "" {
		return nil, &DecodeError{Operation: op, Err: errors.New("no association id in response")}
	}
	return &a.Association, nil
}

type relationAnswer struct {
	Relation
	Wrapped *Relation `json:"relation"`
}

func (a *relationAnswer) get(op string) (*Relation, error) {
	if a.Wrapped != nil && a.Wrapped.ID != "" {
		return a.Wrapped, nil
	}
	if a.ID == "" {
		return nil, &DecodeError{Operation: op, Err: errors.New("no relation id in response")}
	}
	return &a.Relation, nil
}

func (s *AssociationsService) locQuery() url.Values {
	return url.Values{"locationId": {s.client.locationID}}
}

// Create defines an association (POST /associations/). A network failure
// or 5xx gives an error matching ErrOutcomeUnknown: GetByKey tells whether
// it exists.
func (s *AssociationsService) Create(ctx context.Context, in AssociationInput) (*Association, error) {
	if in.Key == "" || in.FirstObjectKey == "" || in.SecondObjectKey == "" || in.FirstObjectLabel == "" || in.SecondObjectLabel == "" {
		return nil, fmt.Errorf("highlevel: %s: key, both object keys and both labels are required", opAssocCreate.name)
	}
	body := struct {
		LocationID string `json:"locationId"`
		AssociationInput
	}{s.client.locationID, in}
	var out associationAnswer
	if err := s.client.do(ctx, call{op: opAssocCreate, path: "/associations/", body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opAssocCreate.name)
}

// AssociationListOptions tune List.
type AssociationListOptions struct {
	// PageSize is the limit of each call. Default 100.
	PageSize int
}

// List iterates over the location's associations (GET /associations/ with
// skip and limit), one page in memory at a time.
func (s *AssociationsService) List(ctx context.Context, o AssociationListOptions) iter.Seq2[*Association, error] {
	size := pageSize(o.PageSize)
	return pages(size, func(skip int) ([]*Association, *float64, error) {
		q := s.locQuery()
		q.Set("skip", strconv.Itoa(skip))
		q.Set("limit", strconv.Itoa(size))
		var out struct {
			Associations []*Association `json:"associations"`
			Total        *float64       `json:"total"`
		}
		err := s.client.do(ctx, call{op: opAssocList, path: "/associations/", query: q}, &out)
		return out.Associations, out.Total, err
	})
}

// Get returns an association by id.
func (s *AssociationsService) Get(ctx context.Context, id string) (*Association, error) {
	if err := requireID(opAssocGet.name, "association id", id); err != nil {
		return nil, err
	}
	var out associationAnswer
	if err := s.client.do(ctx, call{op: opAssocGet, path: pathf("/associations/%s", id)}, &out); err != nil {
		return nil, err
	}
	return out.get(opAssocGet.name)
}

// GetByKey returns an association by its key (GET
// /associations/key/{key}). An unknown key gives an error matching
// ErrNotFound.
func (s *AssociationsService) GetByKey(ctx context.Context, key string) (*Association, error) {
	if err := requireID(opAssocByKey.name, "association key", key); err != nil {
		return nil, err
	}
	var out associationAnswer
	if err := s.client.do(ctx, call{op: opAssocByKey, path: pathf("/associations/key/%s", key), query: s.locQuery()}, &out); err != nil {
		return nil, err
	}
	return out.get(opAssocByKey.name)
}

// ListByObjectKey returns the associations in which an object takes part
// (GET /associations/objectKey/{objectKey}).
func (s *AssociationsService) ListByObjectKey(ctx context.Context, objectKey string) ([]*Association, error) {
	if err := requireID(opAssocByObjectKey.name, "object key", objectKey); err != nil {
		return nil, err
	}
	var out struct {
		Associations []*Association `json:"associations"`
	}
	err := s.client.do(ctx, call{op: opAssocByObjectKey, path: pathf("/associations/objectKey/%s", objectKey), query: s.locQuery()}, &out)
	if err != nil {
		return nil, err
	}
	return out.Associations, nil
}

// UpdateLabels renames the two sides of an association (PUT
// /associations/{id}).
func (s *AssociationsService) UpdateLabels(ctx context.Context, id, firstLabel, secondLabel string) (*Association, error) {
	if err := requireID(opAssocUpdate.name, "association id", id); err != nil {
		return nil, err
	}
	if firstLabel == "" || secondLabel == "" {
		return nil, fmt.Errorf("highlevel: %s: both labels are required", opAssocUpdate.name)
	}
	body := struct {
		FirstObjectLabel  string `json:"firstObjectLabel"`
		SecondObjectLabel string `json:"secondObjectLabel"`
	}{firstLabel, secondLabel}
	var out associationAnswer
	if err := s.client.do(ctx, call{op: opAssocUpdate, path: pathf("/associations/%s", id), body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opAssocUpdate.name)
}

// Delete deletes an association and every relation made through it.
func (s *AssociationsService) Delete(ctx context.Context, id string) error {
	if err := requireID(opAssocDelete.name, "association id", id); err != nil {
		return err
	}
	var out struct {
		Deleted *bool `json:"deleted"`
	}
	if err := s.client.do(ctx, call{op: opAssocDelete, path: pathf("/associations/%s", id)}, &out); err != nil {
		return err
	}
	if out.Deleted != nil && !*out.Deleted {
		return notApplied(opAssocDelete.name)
	}
	return nil
}

// CreateRelation links two records (POST /associations/relations): one
// call per link. A network failure or 5xx gives an error matching
// ErrOutcomeUnknown: Relations tells whether the link exists.
func (s *AssociationsService) CreateRelation(ctx context.Context, in RelationInput) (*Relation, error) {
	if in.AssociationID == "" || in.FirstRecordID == "" || in.SecondRecordID == "" {
		return nil, fmt.Errorf("highlevel: %s: association id and both record ids are required", opRelationCreate.name)
	}
	body, err := s.client.locatedBody(opRelationCreate.name, in)
	if err != nil {
		return nil, err
	}
	var out relationAnswer
	if err := s.client.do(ctx, call{op: opRelationCreate, path: "/associations/relations", body: body}, &out); err != nil {
		return nil, err
	}
	return out.get(opRelationCreate.name)
}

// RelationListOptions tune Relations.
type RelationListOptions struct {
	// AssociationIDs keeps only relations of these associations.
	AssociationIDs []string
	// PageSize is the limit of each call. Default 100.
	PageSize int
}

// Relations iterates over the relations of a record, on either side (GET
// /associations/relations/{recordId} with skip and limit).
func (s *AssociationsService) Relations(ctx context.Context, recordID string, o RelationListOptions) iter.Seq2[*Relation, error] {
	if err := requireID(opRelationList.name, "record id", recordID); err != nil {
		return failed[*Relation](err)
	}
	size := pageSize(o.PageSize)
	return pages(size, func(skip int) ([]*Relation, *float64, error) {
		q := s.locQuery()
		q.Set("skip", strconv.Itoa(skip))
		q.Set("limit", strconv.Itoa(size))
		if len(o.AssociationIDs) > 0 {
			q.Set("associationIds", strings.Join(o.AssociationIDs, ","))
		}
		var out struct {
			Relations []*Relation `json:"relations"`
			Total     *float64    `json:"total"`
		}
		err := s.client.do(ctx, call{op: opRelationList, path: pathf("/associations/relations/%s", recordID), query: q}, &out)
		return out.Relations, out.Total, err
	})
}

// DeleteRelation removes a link between two records (DELETE
// /associations/relations/{id}).
func (s *AssociationsService) DeleteRelation(ctx context.Context, relationID string) error {
	if err := requireID(opRelationDelete.name, "relation id", relationID); err != nil {
		return err
	}
	return s.client.do(ctx, call{op: opRelationDelete, path: pathf("/associations/relations/%s", relationID), query: s.locQuery()}, nil)
}
