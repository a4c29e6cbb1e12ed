package mapping

import (
	"fmt"
	"strings"
)

// Order returns the map's objects so that every object comes after the
// objects its lookups refer to (offices and staff, then patients, then their
// records), keeping the document's order otherwise. A cycle of lookups is an
// error naming the objects in it. Objects the history policy turns off
// (Map.Off) are left out: no run writes them.
func (m *Map) Order() ([]*Object, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(m.Objects))
	out := make([]*Object, 0, len(m.Objects))
	var path []string
	var visit func(o *Object) error
	visit = func(o *Object) error {
		switch state[o.Name] {
		case done:
			return nil
		case visiting:
			i := 0
			for i < len(path) && path[i] != o.Name {
				i++
			}
			return fmt.Errorf("mapping: lookups form a cycle: %s → %s", strings.Join(path[i:], " → "), o.Name)
		}
		state[o.Name] = visiting
		path = append(path, o.Name)
		for _, l := range o.Lookups {
			ref := m.Object(l.Object)
			if ref == nil || ref == o {
				continue // self-references (a guarantor) resolve within the object
			}
			if err := visit(ref); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[o.Name] = done
		out = append(out, o)
		return nil
	}
	for i := range m.Objects {
		if m.Off(&m.Objects[i]) {
			continue // the history policy writes these records the other way
		}
		if err := visit(&m.Objects[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
