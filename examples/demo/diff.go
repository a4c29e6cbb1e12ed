package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// fieldDiff is a field-level comparison of what a sample wrote with what
// HighLevel returns for it: per object type and field name, how many values
// were compared and how many differ. It holds names and counts, no values.
type fieldDiff struct {
	Records  int
	Compared int
	Differ   map[string]int // "contact.email" → records whose value differs
	Missing  int            // records written but not found
}

// diffWritten reads back every contact and custom object record a phase
// created and compares each field of the body sent with the value HighLevel
// holds: standard fields by name, custom fields by id, record properties by
// name. Values are compared as HighLevel stores them (highlevel.StoredEqual:
// emptied equals absent, e-mail without case, phone by digits, a date
// equals midnight UTC, tags and options as sets, numbers by value).
func diffWritten(ctx context.Context, c *highlevel.Client, written []pbnhl.Written) (*fieldDiff, error) {
	d := &fieldDiff{Differ: map[string]int{}}
	for _, w := range written {
		if w.Op != rollback.OpCreate || w.HighLevelID == "" {
			continue
		}
		var sent map[string]json.RawMessage
		if err := json.Unmarshal(w.Body, &sent); err != nil {
			return nil, fmt.Errorf("decode the body of %s %s: %w", w.ObjectType, w.SourceKey, err)
		}
		var got map[string]json.RawMessage
		var custom map[string]json.RawMessage
		switch {
		case w.ObjectType == rollback.TypeContact:
			ct, err := c.Contacts.Get(ctx, w.HighLevelID)
			if err != nil {
				if isNotFound(err) {
					d.Missing++
					continue
				}
				return nil, fmt.Errorf("read back contact %s: %w", w.HighLevelID, err)
			}
			got, custom = asMap(ct), map[string]json.RawMessage{}
			for _, v := range ct.CustomFields {
				custom[v.ID] = v.Value
			}
		case strings.HasPrefix(w.ObjectType, rollback.RecordTypePrefix):
			r, err := c.Objects.GetRecord(ctx, w.ObjectType, w.HighLevelID)
			if err != nil {
				if isNotFound(err) {
					d.Missing++
					continue
				}
				return nil, fmt.Errorf("read back %s %s: %w", w.ObjectType, w.HighLevelID, err)
			}
			got = r.Properties
			if err := json.Unmarshal(sent["properties"], &sent); err != nil {
				return nil, fmt.Errorf("decode the properties of %s %s: %w", w.ObjectType, w.SourceKey, err)
			}
			delete(sent, "properties")
		default:
			continue
		}
		d.Records++
		typ := strings.TrimPrefix(w.ObjectType, rollback.RecordTypePrefix)
		for k, v := range sent {
			if k == "locationId" || k == "properties" {
				continue
			}
			if k == "customFields" {
				var cfs []map[string]json.RawMessage
				if err := json.Unmarshal(v, &cfs); err != nil {
					return nil, fmt.Errorf("decode the custom fields of %s %s: %w", w.ObjectType, w.SourceKey, err)
				}
				for _, cf := range cfs {
					var id string
					_ = json.Unmarshal(cf["id"], &id)
					want := cf["field_value"]
					if want == nil {
						want = cf["value"]
					}
					d.Compared++
					if !sameStored("customFields."+id, want, custom[id]) {
						d.Differ[typ+".customFields["+id+"]"]++
					}
				}
				continue
			}
			d.Compared++
			if !sameStored(k, v, got[k]) {
				d.Differ[typ+"."+k]++
			}
		}
	}
	return d, nil
}

func isNotFound(err error) bool { return errors.Is(err, highlevel.ErrNotFound) }

func asMap(v any) map[string]json.RawMessage {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}

// sameStored compares the JSON sent for a field with the JSON HighLevel
// returns for it (nil when absent) by highlevel.StoredEqual. Bytes that are
// not JSON equal nothing: the demo reports them rather than guess.
func sameStored(field string, sent, stored json.RawMessage) bool {
	x, okx := storedJSON(sent)
	y, oky := storedJSON(stored)
	return okx && oky && highlevel.StoredEqual(field, x, y)
}

// storedJSON: nil is absent; anything else must be one JSON value.
func storedJSON(b json.RawMessage) (any, bool) {
	if b == nil {
		return nil, true
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, false
	}
	return highlevel.StoredValue(b)
}
