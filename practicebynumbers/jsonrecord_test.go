package practicebynumbers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A page whose custom values are of every JSON kind: scalars become their
// text, objects and arrays make that record a *RowError and the scan goes on
// (same page and next page).
func TestClientCustomValuesOfEveryJSONKind(t *testing.T) {
	pages := map[string]string{
		"": `{"serverTime":"2026-11-30T09:00:00Z","data":[
			{"id":1,"firstName":"A","custom":{"score":12.50,"big":12345678901234567890,"exp":1e3,"neg":-0.5,"vip":true,"opt":false,"gone":null,"s":"text"}},
			{"id":2,"custom":{"nested":{"secret":"x"},"fine":1}},
			{"id":3,"custom":{"list":["secret"]}},
			{"id":4,"custom":null},
			{"id":5,"birthDate":"13/13/1990 secret"},
			{"id":7,"custom":"secret"},
			{"id":8,"createdAt":"yesterday secret"},
			{"id":9,"guarantorId":["secret"]}
		],"nextCursor":"p2"}`,
		"p2": `{"nextCursor":null,"data":[{"id":10,"custom":{"n":7}}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(pages[r.URL.Query().Get("cursor")]))
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)

	var got []Patient
	var rowErrs []*RowError
	for p, err := range c.Patients(context.Background(), ListOptions{}) {
		if err != nil {
			var re *RowError
			require.True(t, errors.As(err, &re), "per-record error, not the end of the scan: %v", err)
			assert.NotContains(t, err.Error(), "secret", "errors never quote values")
			assert.NotContains(t, err.Error(), "1990")
			rowErrs = append(rowErrs, re)
			continue
		}
		got = append(got, p)
	}
	require.Len(t, got, 3)
	assert.Equal(t, map[string]string{"score": "12.50", "big": "12345678901234567890", "exp": "1e3",
		"neg": "-0.5", "vip": "true", "opt": "false", "s": "text"}, got[0].Custom, "numbers keep their exact JSON text")
	assert.Equal(t, "A", got[0].FirstName, "the rest of the record decodes")
	assert.Equal(t, Key("4"), got[1].ID)
	assert.Nil(t, got[1].Custom)
	assert.Equal(t, Key("10"), got[2].ID, "the next page is read")
	assert.Equal(t, map[string]string{"n": "7"}, got[2].Custom)

	ids, lines := make([]int64, len(rowErrs)), make([]int, len(rowErrs))
	for i, re := range rowErrs {
		ids[i], lines[i] = keyNum(re.ID), re.Line
		assert.Equal(t, "/v1/patients", re.File)
		require.NotEmpty(t, re.Fields)
	}
	assert.Equal(t, []int64{2, 3, 5, 7, 8, 9}, ids)
	assert.Equal(t, []int{2, 3, 5, 6, 7, 8}, lines, "position in the scan")
	assert.Equal(t, "custom.nested", rowErrs[0].Fields[0].Header)
	assert.Len(t, rowErrs[0].Fields, 1, "the scalar beside it is fine")
	assert.Equal(t, "custom.list", rowErrs[1].Fields[0].Header)
	assert.Equal(t, "custom", rowErrs[3].Fields[0].Header)
	assert.Equal(t, "guarantorId", rowErrs[5].Fields[0].Header)
	assert.Contains(t, rowErrs[0].Error(), "/v1/patients:2 (id 2); member custom.nested: invalid custom value")
}

func TestGetToleratesNumericCustomValues(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/patients/1":
			_, _ = w.Write([]byte(`{"id":1,"custom":{"score":3,"vip":true}}`))
		default:
			_, _ = w.Write([]byte(`{"id":2,"custom":{"o":{}}}`))
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	p, err := Get[Patient](context.Background(), c, "1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"score": "3", "vip": "true"}, p.Custom)
	_, err = Get[Patient](context.Background(), c, "2")
	var re *RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, Key("2"), re.ID)
}

func TestMalformedPagesEndTheScan(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":        `{"data":[{"id":1},{"id":2`,
		"not an object":    `[{"id":1}]`,
		"data not array":   `{"data":{"id":1}}`,
		"cursor not text":  `{"data":[],"nextCursor":5}`,
		"syntax in record": `{"data":[{"id":1},{"id":2,,}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, nil)
			var last error
			for _, err := range c.Cohorts(context.Background(), ListOptions{}) {
				last = err
			}
			require.Error(t, last)
			var re *RowError
			assert.False(t, errors.As(last, &re), "a malformed page is not a record error")
			assert.Contains(t, last.Error(), "malformed JSON")
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"id":1,"custom":{"a":1,"b":true,"c":null,"d":"x"}}`))
	f.Add([]byte(`{"id":2,"custom":{"a":{"b":1}},"Custom":[1]}`))
	f.Add([]byte(`{"id":3,"birthDate":"x","custom":"y"}`))
	f.Add([]byte(`{"data":[{"id":1,"custom":{"n":1}},{"id":2}],"nextCursor":"c"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p Patient
		if re := decodeRecord(raw, &p); re != nil {
			require.NotEmpty(t, re.Fields)
			_ = re.Error()
		}
		n := 0
		_, _, _ = decodePage(raw, func(p Patient, re *RowError) bool {
			n++
			return n < 100
		})
	})
}
