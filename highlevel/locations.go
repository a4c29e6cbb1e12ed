package highlevel

import (
	"context"
	"errors"
	"net/http"
)

// LocationsService: the sub-account (location) itself — its settings.
type LocationsService service

// Location is a HighLevel sub-account (formerly location), as GET
// /locations/{locationId} describes it (apps/locations.json,
// GetLocationByIdSchema). Only what a migration reads is decoded.
type Location struct {
	ID        string           `json:"id"`
	CompanyID string           `json:"companyId,omitempty"`
	Name      string           `json:"name,omitempty"`
	Timezone  string           `json:"timezone,omitempty"`
	Settings  LocationSettings `json:"settings"`
}

// LocationSettings are the location's duplicate rules (SettingsSchema).
// HighLevel's API does not expose which field ("email" or "phone") the
// duplicate-contact check matches on; only the UI shows it.
type LocationSettings struct {
	// AllowDuplicateContact lets two contacts share an e-mail address or
	// phone number. When false, HighLevel refuses (400 "This location does
	// not allow duplicated contacts.") a contact matching an existing one.
	AllowDuplicateContact bool `json:"allowDuplicateContact"`
	// AllowDuplicateOpportunity lets a contact have several opportunities
	// in one pipeline. When false, HighLevel refuses the second ("Can not
	// create duplicate opportunity for the contact").
	AllowDuplicateOpportunity bool `json:"allowDuplicateOpportunity"`
	AllowFacebookNameMerge    bool `json:"allowFacebookNameMerge"`
	DisableContactTimezone    bool `json:"disableContactTimezone"`
}

var opLocationGet = operation{name: "locations.get", method: http.MethodGet, version: Version20210728}

// Get returns a location with its settings (GET /locations/{locationId});
// an empty id means the client's location. Scope: locations.readonly.
func (s *LocationsService) Get(ctx context.Context, id string) (*Location, error) {
	if id == "" {
		id = s.client.locationID
	}
	if err := requireID(opLocationGet.name, "location id", id); err != nil {
		return nil, err
	}
	var out struct {
		Location *Location `json:"location"`
	}
	if err := s.client.do(ctx, call{op: opLocationGet, path: pathf("/locations/%s", id)}, &out); err != nil {
		return nil, err
	}
	if out.Location == nil {
		return nil, &DecodeError{Operation: opLocationGet.name, Err: errors.New(`no "location" in response`)}
	}
	return out.Location, nil
}
