package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pbnhl/pbnhl/internal/nearest"
)

// Issue is one problem found in a map document, located by line and column
// and by the path of the rule it concerns.
type Issue struct {
	Line    int
	Column  int
	Path    string // e.g. objects.patients.fields.email
	Message string
}

func (i Issue) String() string {
	var b strings.Builder
	if i.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", i.Line, i.Column)
	}
	if i.Path != "" {
		b.WriteString(i.Path)
		b.WriteString(": ")
	}
	b.WriteString(i.Message)
	return b.String()
}

// LoadError lists every problem found while loading a map document.
type LoadError struct {
	File   string
	Issues []Issue
}

func (e *LoadError) Error() string {
	name := e.File
	if name == "" {
		name = "map"
	}
	var b strings.Builder
	for n, is := range e.Issues {
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(name)
		if is.Line > 0 {
			b.WriteByte(':')
		} else {
			b.WriteString(": ")
		}
		b.WriteString(is.String())
	}
	if b.Len() == 0 {
		return name + ": invalid map"
	}
	return b.String()
}

// maxDocumentBytes bounds what Parse accepts; real maps are a few hundred KB.
const maxDocumentBytes = 16 << 20

// Load reads, decodes and checks the map document at path. It does not
// require approval: see Map.Verify and NewApplier.
func Load(path string, opts ...LoadOptions) (*Map, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: read map: %w", err)
	}
	return Parse(data, path, opts...)
}

// LoadOptions tune Parse and Load.
type LoadOptions struct {
	// Registry resolves transform names; nil means DefaultRegistry.
	Registry *Registry
}

// Parse decodes and checks a map document. name is used in error messages.
// Every problem found is reported in one *LoadError.
func Parse(data []byte, name string, opts ...LoadOptions) (*Map, error) {
	var o LoadOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if len(data) > maxDocumentBytes {
		return nil, &LoadError{File: name, Issues: []Issue{{Message: fmt.Sprintf("document is larger than %d bytes", maxDocumentBytes)}}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &LoadError{File: name, Issues: yamlIssues(err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &LoadError{File: name, Issues: []Issue{{Message: "empty document"}}}
	}
	root := doc.Content[0]
	var issues []Issue
	checkShape(root, reflect.TypeFor[Map](), "", &issues)
	m := &Map{}
	if err := root.Decode(m); err != nil {
		return nil, &LoadError{File: name, Issues: sortIssues(append(issues, yamlIssues(err)...))}
	}
	m.file = name
	m.doc = &doc
	issues = append(issues, m.check(o.Registry)...)
	if len(issues) > 0 {
		return nil, &LoadError{File: name, Issues: sortIssues(issues)}
	}
	return m, nil
}

// Save writes the map as YAML. Comments of the document the map was loaded
// from are carried over to the rules they were attached to.
func (m *Map) Save(w io.Writer) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// SaveFile writes the map to path (see Save).
func (m *Map) SaveFile(path string) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Marshal returns the YAML document (see Save).
func (m *Map) Marshal() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(m); err != nil {
		return nil, fmt.Errorf("mapping: encode map: %w", err)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{&n}}
	if m.doc != nil {
		mergeComments(m.doc, doc)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("mapping: encode map: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("mapping: encode map: %w", err)
	}
	return buf.Bytes(), nil
}

// canonical is the map's content without comments or approval, the input of
// the digest. Its layout is fixed by the Go types, so formatting, quoting and
// comments in the document do not change it.
func (m *Map) canonical() ([]byte, error) {
	c := *m
	c.Approval = nil
	c.doc = nil
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("mapping: encode map: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func yamlIssues(err error) []Issue {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]Issue, 0, len(msgs))
	for _, s := range msgs {
		if m := yamlLine.FindStringSubmatch(s); m != nil {
			line, _ := strconv.Atoi(m[1])
			out = append(out, Issue{Line: line, Column: 1, Message: m[2]})
			continue
		}
		out = append(out, Issue{Message: strings.TrimPrefix(s, "yaml: ")})
	}
	return out
}

// checkShape reports mapping keys the Go type does not know, with a
// suggestion, so a typo ("form:" for "from:") is an error and not a silently
// ignored rule.
func checkShape(n *yaml.Node, t reflect.Type, path string, issues *[]Issue) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		*issues = append(*issues, Issue{Line: n.Line, Column: n.Column, Path: path, Message: "YAML aliases are not supported in maps"})
		return
	}
	switch t {
	case reflect.TypeFor[Chain](), reflect.TypeFor[ValueMap]():
		return // their UnmarshalYAML checks them
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() != reflect.TypeFor[Map]().PkgPath() || n.Kind != yaml.MappingNode {
			return // time.Time, or a type error the decoder reports
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if s := closest(k.Value, keysOf(fields)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				*issues = append(*issues, Issue{Line: k.Line, Column: k.Column, Path: path, Message: msg})
				continue
			}
			checkShape(v, ft, joinPath(path, k.Value), issues)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkShape(item, t.Elem(), joinPath(path, itemName(item, i)), issues)
		}
	}
}

func joinPath(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + "." + elem
}

// itemName names a sequence item by its name, to or from key, else its index.
func itemName(n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		for _, k := range []string{"name", "to", "field", "from"} {
			if v := mapValue(n, k); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
				return v.Value
			}
		}
	}
	return strconv.Itoa(i)
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is nearest.Distance for names of at most 64 bytes (a
// longer one is no key's misspelling).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	return nearest.Distance(a, b)
}

// UnmarshalYAML records where the object is, for error messages.
func (o *Object) UnmarshalYAML(n *yaml.Node) error {
	type plain Object
	if err := n.Decode((*plain)(o)); err != nil {
		return err
	}
	o.at = pos{n.Line, n.Column}
	o.note = commentOf(n)
	return nil
}

// UnmarshalYAML records where the rule is, for error messages.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	type plain Field
	if err := n.Decode((*plain)(f)); err != nil {
		return err
	}
	f.at = pos{n.Line, n.Column}
	f.note = commentOf(n)
	return nil
}

// commentOf returns the comment written above a sequence item (yaml.v3
// attaches it to the item or to its first key), without the # marks.
func commentOf(n *yaml.Node) string {
	c := n.HeadComment
	if c == "" && len(n.Content) > 0 {
		c = n.Content[0].HeadComment
	}
	if c == "" {
		return ""
	}
	var lines []string
	for l := range strings.SplitSeq(c, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " ")
}

// UnmarshalYAML records where the lookup is, for error messages.
func (l *Lookup) UnmarshalYAML(n *yaml.Node) error {
	type plain Lookup
	if err := n.Decode((*plain)(l)); err != nil {
		return err
	}
	l.at = pos{n.Line, n.Column}
	return nil
}

// UnmarshalYAML records where the filter is, for error messages.
func (f *Filter) UnmarshalYAML(n *yaml.Node) error {
	type plain Filter
	if err := n.Decode((*plain)(f)); err != nil {
		return err
	}
	f.at = pos{n.Line, n.Column}
	return nil
}

func typeErr(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, fmt.Sprintf(format, args...))}}
}

// UnmarshalYAML reads a chain: a sequence of names or one-key mappings of a
// name to its arguments. A single name is accepted for a one-step chain.
func (c *Chain) UnmarshalYAML(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := make(Chain, 0, len(items))
	for _, it := range items {
		switch it.Kind {
		case yaml.ScalarNode:
			out = append(out, Step{Name: it.Value})
		case yaml.MappingNode:
			if len(it.Content) != 2 {
				return typeErr(it, "a transform step is a name or a mapping of one name to its arguments")
			}
			name, args := it.Content[0], it.Content[1]
			st := Step{Name: name.Value}
			switch {
			case args.Kind == yaml.ScalarNode && args.Tag == "!!null":
			case args.Kind == yaml.MappingNode:
				st.Args = make(map[string]string, len(args.Content)/2)
				for i := 0; i+1 < len(args.Content); i += 2 {
					k, v := args.Content[i], args.Content[i+1]
					if v.Kind != yaml.ScalarNode {
						return typeErr(v, "transform %q: argument %q must be a single value", st.Name, k.Value)
					}
					st.Args[k.Value] = v.Value
				}
			default:
				return typeErr(args, "transform %q: arguments must be a mapping such as {zone: UTC}", st.Name)
			}
			out = append(out, st)
		default:
			return typeErr(it, "a transform step is a name or a mapping of one name to its arguments")
		}
	}
	*c = out
	return nil
}

// MarshalYAML writes each step as its name, or as a one-key mapping of the
// name to its arguments in flow style.
func (c Chain) MarshalYAML() (any, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, st := range c {
		if len(st.Args) == 0 {
			seq.Content = append(seq.Content, scalar(st.Name))
			continue
		}
		seq.Style = 0
		args := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		for _, k := range keysOf(st.Args) {
			args.Content = append(args.Content, scalar(k), scalar(st.Args[k]))
		}
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar(st.Name), args}})
	}
	return seq, nil
}

// UnmarshalYAML reads a mapping of source value to target value, in order.
func (v *ValueMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeErr(n, "values must be a mapping of source value to target value")
	}
	out := make(ValueMap, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
			return typeErr(k, "values must map single values to single values")
		}
		if seen[k.Value] {
			return typeErr(k, "value %q is mapped twice", k.Value)
		}
		seen[k.Value] = true
		to := val.Value
		if val.Tag == "!!null" {
			to = ""
		}
		out = append(out, Pair{From: k.Value, To: to})
	}
	*v = out
	return nil
}

// MarshalYAML writes the value map as a mapping in its order.
func (v ValueMap) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, p := range v {
		m.Content = append(m.Content, scalar(p.From), scalar(p.To))
	}
	return m, nil
}

func scalar(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"}
	return n
}

// mergeComments copies comments from the loaded document onto the matching
// nodes of the newly encoded one. Mapping entries match by key, sequence items
// by their name/to/field/from key (else by position), so a comment stays with
// its rule when rules are added, removed or reordered.
func mergeComments(old, cur *yaml.Node) {
	if old == nil || cur == nil {
		return
	}
	cur.HeadComment = old.HeadComment
	cur.LineComment = old.LineComment
	cur.FootComment = old.FootComment
	switch {
	case old.Kind == yaml.DocumentNode && cur.Kind == yaml.DocumentNode:
		if len(old.Content) > 0 && len(cur.Content) > 0 {
			mergeComments(old.Content[0], cur.Content[0])
		}
	case old.Kind == yaml.MappingNode && cur.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(cur.Content); i += 2 {
			key := cur.Content[i].Value
			for j := 0; j+1 < len(old.Content); j += 2 {
				if old.Content[j].Value == key {
					copyComments(old.Content[j], cur.Content[i])
					mergeComments(old.Content[j+1], cur.Content[i+1])
					break
				}
			}
		}
	case old.Kind == yaml.SequenceNode && cur.Kind == yaml.SequenceNode:
		byName := map[string]*yaml.Node{}
		for i, it := range old.Content {
			byName[itemName(it, i)] = it
		}
		for i, it := range cur.Content {
			if o, ok := byName[itemName(it, i)]; ok && o.Kind == it.Kind {
				mergeComments(o, it)
			}
		}
	}
}

func copyComments(old, cur *yaml.Node) {
	cur.HeadComment = old.HeadComment
	cur.LineComment = old.LineComment
	cur.FootComment = old.FootComment
}

// sortIssues orders issues by position (issues without one last), stably.
func sortIssues(is []Issue) []Issue {
	slices.SortStableFunc(is, func(a, b Issue) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return is
}
