package hlspec

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

//go:embed specs/apps/*.json specs/common/*.json
var files embed.FS

const commonRef = "../common/common-schemas.json#/components/schemas/"

// Apps lists the embedded API documents by name (for example "contacts").
func Apps() []string {
	entries, _ := files.ReadDir("specs/apps")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// Load returns the named API document with its references to the common
// schemas inlined, so that it is self-contained.
func Load(app string) ([]byte, error) {
	raw, err := files.ReadFile(path.Join("specs/apps", app+".json"))
	if err != nil {
		return nil, fmt.Errorf("hlspec: unknown app %q", app)
	}
	common, err := files.ReadFile("specs/common/common-schemas.json")
	if err != nil {
		return nil, err
	}
	var doc, com map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("hlspec: %s: %w", app, err)
	}
	if err := json.Unmarshal(common, &com); err != nil {
		return nil, fmt.Errorf("hlspec: common schemas: %w", err)
	}
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		comps = map[string]any{}
		doc["components"] = comps
	}
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		comps["schemas"] = schemas
	}
	commonSchemas := com["components"].(map[string]any)["schemas"].(map[string]any)
	for name, s := range commonSchemas {
		if _, clash := schemas[name]; !clash {
			schemas[name] = s
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(out, []byte(commonRef), []byte("#/components/schemas/")), nil
}

// Operation is one documented operation.
type Operation struct {
	App         string // document name, e.g. "contacts"
	Method      string
	Path        string // template, e.g. /contacts/{contactId}
	OperationID string
	// Versions lists the values the document allows for the Version header
	// (empty when the operation declares no Version header).
	Versions []string
	pattern  *regexp.Regexp
}

// UndocumentedError reports a request whose method and path no embedded
// document describes.
type UndocumentedError struct{ Method, Path string }

func (e *UndocumentedError) Error() string {
	return fmt.Sprintf("hlspec: %s %s is not in HighLevel's OpenAPI documents", e.Method, e.Path)
}

// ValidationError lists what the documents say is wrong with a request or
// response. Messages come from the validator and name fields, not values.
type ValidationError struct {
	Operation string
	Kind      string // "request" or "response"
	Problems  []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("hlspec: %s %s does not match the spec: %s", e.Operation, e.Kind, strings.Join(e.Problems, "; "))
}

// Validator validates requests and responses against every embedded document.
// It is safe for concurrent use.
type Validator struct {
	ops        []Operation
	validators map[string]validator.Validator
	models     map[string]*v3.Document
	mu         sync.Mutex // the underlying validators are not documented as concurrency-safe
}

var (
	shared     *Validator
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns a process-wide Validator built once (building one parses
// all documents and takes a noticeable fraction of a second).
func Shared() (*Validator, error) {
	sharedOnce.Do(func() { shared, sharedErr = NewValidator() })
	return shared, sharedErr
}

// TB is the part of testing.TB that MustValidator needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// MustValidator returns Shared() or fails the test.
func MustValidator(t TB) *Validator {
	t.Helper()
	v, err := Shared()
	if err != nil {
		t.Fatalf("hlspec: %v", err)
	}
	return v
}

// NewValidator parses the named documents (all when none are named).
func NewValidator(apps ...string) (*Validator, error) {
	if len(apps) == 0 {
		apps = Apps()
	}
	v := &Validator{validators: map[string]validator.Validator{}, models: map[string]*v3.Document{}}
	for _, app := range apps {
		raw, err := Load(app)
		if err != nil {
			return nil, err
		}
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			return nil, fmt.Errorf("hlspec: parse %s: %w", app, err)
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			return nil, fmt.Errorf("hlspec: model of %s: %w", app, err)
		}
		v.validators[app] = validator.NewValidatorFromV3Model(&model.Model)
		v.models[app] = &model.Model
		ops, err := operations(app, raw)
		if err != nil {
			return nil, err
		}
		v.ops = append(v.ops, ops...)
	}
	// Literal segments beat parameters: /contacts/search before /contacts/{contactId}.
	sort.SliceStable(v.ops, func(i, j int) bool {
		return literalScore(v.ops[i].Path) > literalScore(v.ops[j].Path)
	})
	return v, nil
}

func literalScore(p string) int {
	score := 0
	for _, seg := range strings.Split(p, "/") {
		if seg != "" && !strings.HasPrefix(seg, "{") {
			score++
		}
	}
	return score
}

var quotedParam = regexp.MustCompile(`\\\{[^/]+?\\\}`)

func operations(app string, raw []byte) ([]Operation, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var ops []Operation
	for p, item := range doc.Paths {
		// QuoteMeta escapes the braces of {param}, hence the escaped pattern.
		quoted := quotedParam.ReplaceAllString(regexp.QuoteMeta(strings.TrimSuffix(p, "/")), `[^/]+`)
		re := regexp.MustCompile("^" + quoted + "/?$")
		for method, body := range item {
			m := strings.ToUpper(method)
			switch m {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
			default:
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
				Parameters  []struct {
					Name   string `json:"name"`
					In     string `json:"in"`
					Schema struct {
						Enum []string `json:"enum"`
					} `json:"schema"`
				} `json:"parameters"`
			}
			if err := json.Unmarshal(body, &op); err != nil {
				return nil, fmt.Errorf("hlspec: %s %s %s: %w", app, m, p, err)
			}
			o := Operation{App: app, Method: m, Path: p, OperationID: op.OperationID, pattern: re}
			for _, prm := range op.Parameters {
				if prm.In == "header" && strings.EqualFold(prm.Name, "Version") {
					o.Versions = prm.Schema.Enum
				}
			}
			ops = append(ops, o)
		}
	}
	return ops, nil
}

// Find returns the documented operation for a method and a concrete path.
func (v *Validator) Find(method, urlPath string) (Operation, bool) {
	for _, op := range v.ops {
		if op.Method == method && op.pattern.MatchString(urlPath) {
			return op, true
		}
	}
	return Operation{}, false
}

func (v *Validator) pathItem(op Operation) *v3.PathItem {
	item, _ := v.models[op.App].Paths.PathItems.Get(op.Path)
	return item
}

// Operations returns every documented operation.
func (v *Validator) Operations() []Operation { return append([]Operation(nil), v.ops...) }

// ValidateRequest checks a request (path, query, headers, body) against the
// document that describes it. The body is read and restored.
func (v *Validator) ValidateRequest(r *http.Request) error {
	op, ok := v.Find(r.Method, r.URL.Path)
	if !ok {
		return &UndocumentedError{Method: r.Method, Path: r.URL.Path}
	}
	restore, err := bufferBody(&r.Body)
	if err != nil {
		return err
	}
	defer restore()
	// Validate against the operation Find chose: the library's own router
	// confuses templates of the same shape (GET /associations/relations/{recordId}
	// vs DELETE /associations/relations/{relationId}).
	item := v.pathItem(op)
	v.mu.Lock()
	valid, errs := v.validators[op.App].ValidateHttpRequestSyncWithPathItem(r, item, op.Path)
	v.mu.Unlock()
	if valid {
		return nil
	}
	return &ValidationError{Operation: op.Method + " " + op.Path, Kind: "request", Problems: problems(errs)}
}

// ValidateResponse checks a response to r against the document. Status
// codes the document does not list are not an error (HighLevel documents
// only some of them); bodies of listed statuses must match.
func (v *Validator) ValidateResponse(r *http.Request, resp *http.Response) error {
	op, ok := v.Find(r.Method, r.URL.Path)
	if !ok {
		return &UndocumentedError{Method: r.Method, Path: r.URL.Path}
	}
	restoreReq, err := bufferBody(&r.Body)
	if err != nil {
		return err
	}
	defer restoreReq()
	restoreResp, err := bufferBody(&resp.Body)
	if err != nil {
		return err
	}
	defer restoreResp()
	item := v.pathItem(op)
	v.mu.Lock()
	valid, errs := v.validators[op.App].GetResponseBodyValidator().ValidateResponseBodyWithPathItem(r, resp, item, op.Path)
	v.mu.Unlock()
	if valid {
		return nil
	}
	var kept []string
	for _, p := range problems(errs) {
		if strings.Contains(p, "no response") || strings.Contains(p, "is not defined") {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		return nil
	}
	return &ValidationError{Operation: op.Method + " " + op.Path, Kind: "response", Problems: kept}
}

func bufferBody(body *io.ReadCloser) (func(), error) {
	if *body == nil || *body == http.NoBody {
		return func() {}, nil
	}
	data, err := io.ReadAll(*body)
	(*body).Close()
	if err != nil {
		return nil, fmt.Errorf("hlspec: read body: %w", err)
	}
	*body = io.NopCloser(bytes.NewReader(data))
	return func() { *body = io.NopCloser(bytes.NewReader(data)) }, nil
}

func problems(errs []*validationErr) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		msg := e.Message
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		for _, se := range e.SchemaValidationErrors {
			if se == nil {
				continue
			}
			loc := se.FieldPath
			if loc == "" {
				loc = se.KeywordLocation
			}
			msg += " [" + loc + ": " + se.Reason + "]"
		}
		out = append(out, msg)
	}
	return out
}

type validationErr = valerrors.ValidationError
