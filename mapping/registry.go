package mapping

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Func is one compiled transform: a value in, a value out. A Func returns
// "" for "no value". Errors must not contain the value (it can be PHI); a
// *transform.Error or a plain reason is expected.
type Func func(string) (string, error)

// Builder compiles a transform step's arguments into a Func. It rejects
// unknown or malformed arguments, so a map with a bad step fails to load.
type Builder func(args map[string]string) (Func, error)

// RowParser turns free text into discrete rows (for Object.Expand).
type RowParser func(text string) ParsedRows

// ParsedRows is a RowParser's result: rows of fields by name, the text that
// was not rows, and value-free reasons for lines it read only in part.
type ParsedRows struct {
	Rows      []map[string]string
	Remainder string
	Problems  []string
}

// Registry resolves transform names in map documents to functions. The zero
// value is empty; DefaultRegistry holds every built-in transform.
type Registry struct {
	mu       sync.RWMutex
	builders map[string]registered
	parsers  map[string]RowParser
}

type registered struct {
	build Builder
	args  []string
	help  string
}

// Register adds a transform. args lists the argument names it accepts (any
// other argument is an error at load time); help is one line for reviewers.
func (r *Registry) Register(name string, args []string, help string, b Builder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.builders == nil {
		r.builders = map[string]registered{}
	}
	r.builders[name] = registered{build: b, args: slices.Clone(args), help: help}
}

// RegisterParser adds a row parser for Object.Expand.
func (r *Registry) RegisterParser(name string, p RowParser) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parsers == nil {
		r.parsers = map[string]RowParser{}
	}
	r.parsers[name] = p
}

// Names lists the registered transforms, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.builders))
}

// Help returns the one-line description and accepted arguments of a transform.
func (r *Registry) Help(name string) (help string, args []string, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.builders[name]
	return e.help, slices.Clone(e.args), ok
}

// Parser returns a registered row parser.
func (r *Registry) Parser(name string) (RowParser, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.parsers[name]
	return p, ok
}

// Compile builds the step's function, checking its name and arguments.
func (r *Registry) Compile(st Step) (Func, error) {
	r.mu.RLock()
	e, ok := r.builders[st.Name]
	names := slices.Collect(maps.Keys(r.builders))
	r.mu.RUnlock()
	if !ok {
		msg := fmt.Sprintf("unknown transform %q", st.Name)
		sort.Strings(names)
		if s := closest(st.Name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, errors.New(msg)
	}
	for _, k := range keysOf(st.Args) {
		if !slices.Contains(e.args, k) {
			msg := fmt.Sprintf("transform %q has no argument %q", st.Name, k)
			if len(e.args) > 0 {
				msg += " (it takes " + strings.Join(e.args, ", ") + ")"
			} else {
				msg += " (it takes none)"
			}
			return nil, errors.New(msg)
		}
	}
	f, err := e.build(st.Args)
	if err != nil {
		return nil, fmt.Errorf("transform %q: %w", st.Name, err)
	}
	return f, nil
}

// CompileChain builds a chain into one function applying its steps in order.
func (r *Registry) CompileChain(c Chain) (Func, error) {
	fs := make([]Func, 0, len(c))
	for _, st := range c {
		f, err := r.Compile(st)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	switch len(fs) {
	case 0:
		return nil, nil
	case 1:
		return fs[0], nil
	}
	return func(s string) (string, error) {
		var err error
		for _, f := range fs {
			if s, err = f(s); err != nil {
				return "", err
			}
		}
		return s, nil
	}, nil
}
