package hltest

import (
	"sort"
	"strings"
)

type handler func(c *call) (response, *apiError)

// route is one documented operation.
type route struct {
	method  string
	pattern string   // as HighLevel documents it, e.g. /contacts/{contactId}
	label   string   // method + " " + pattern, made once: every request record shares it
	segs    []string // "" marks a parameter
	params  []string // parameter names in order
	static  int
	h       handler
	// public routes take no bearer token (OAuth token endpoint).
	public bool
	// agency routes accept agency (Company) tokens.
	agency bool
	// query is the whitelist of query parameters; nil accepts any.
	query []string
}

func (rt *route) name() string { return rt.label }

// checkQuery rejects query parameters outside the whitelist, the way
// HighLevel's query DTOs do ("property locationId should not exist").
func (rt *route) checkQuery(q map[string][]string) []string {
	if rt.query == nil {
		return nil
	}
	var msgs []string
	for k := range q {
		found := false
		for _, a := range rt.query {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			msgs = append(msgs, "property "+k+" should not exist")
		}
	}
	sort.Strings(msgs)
	return msgs
}

type router struct {
	// byKey indexes routes by method and first path segment.
	byKey map[string][]*route
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (rr *router) add(rt *route) {
	for _, seg := range splitPath(rt.pattern) {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			rt.segs = append(rt.segs, "")
			rt.params = append(rt.params, seg[1:len(seg)-1])
		} else {
			rt.segs = append(rt.segs, seg)
			rt.static++
		}
	}
	key := rt.method + " " + rt.segs[0]
	list := append(rr.byKey[key], rt)
	// most literal first: /contacts/search beats /contacts/{contactId}
	sort.SliceStable(list, func(i, j int) bool { return list[i].static > list[j].static })
	rr.byKey[key] = list
}

func (rr *router) match(method, path string) (*route, []string) {
	segs := splitPath(path)
	if len(segs) == 0 {
		return nil, nil
	}
	for _, rt := range rr.byKey[method+" "+segs[0]] {
		if len(rt.segs) != len(segs) {
			continue
		}
		matched := true
		for i, s := range rt.segs {
			if s != "" && s != segs[i] {
				matched = false
				break
			}
		}
		if !matched {
			continue
		}
		var params []string
		if len(rt.params) > 0 {
			params = make([]string, 0, len(rt.params))
			for i, s := range rt.segs {
				if s == "" {
					params = append(params, segs[i])
				}
			}
		}
		return rt, params
	}
	return nil, nil
}
