package mapping

// Settling a draft: the proposal must load whatever the export looked like.

import (
	"fmt"
	"slices"
	"strings"
)

// settle makes the drafted map valid by construction: a rule, lookup or
// skip the map check refuses is dropped into the review with the check's
// message, and an object still refused is taken out of the map and listed
// as "could not be drafted — map by hand". A proposal never fails: the
// reviewer sees what was left out and why. A map with no object at all
// (nothing recognised) is still returned; the review says so.
func (pr *Proposal) settle() {
	for range 5 {
		var issues []Issue
		for _, is := range pr.Map.check(nil) {
			if is.Path != "objects" { // "no objects": nothing was recognised
				issues = append(issues, is)
			}
		}
		if len(issues) == 0 {
			return
		}
		drop := map[string]string{} // object → why it goes
		for _, is := range issues {
			name, rest, _ := strings.Cut(strings.TrimPrefix(is.Path, "objects."), ".")
			o := pr.Map.Object(name)
			if o == nil {
				continue
			}
			part, item, _ := strings.Cut(rest, ".")
			switch part {
			case "fields":
				n := len(o.Fields)
				o.Fields = slices.DeleteFunc(o.Fields, func(f Field) bool { return f.To == item })
				if len(o.Fields) < n {
					pr.dropped(name, item, is.Message)
					continue
				}
			case "lookups":
				n := len(o.Lookups)
				o.Lookups = slices.DeleteFunc(o.Lookups, func(l Lookup) bool { return l.From == item })
				if len(o.Lookups) < n {
					pr.dropped(name, item, is.Message)
					continue
				}
			case "skip":
				o.Skip = slices.DeleteFunc(o.Skip, func(s Skip) bool { return s.From == item || strings.TrimSpace(s.From) == "" })
				continue
			}
			if _, ok := drop[name]; !ok {
				drop[name] = is.Message
			}
		}
		for name, why := range drop {
			pr.Map.Objects = slices.DeleteFunc(pr.Map.Objects, func(o Object) bool { return o.Name == name })
			for i := range pr.Files {
				if pr.Files[i].Object == name {
					pr.Files[i].Object, pr.Files[i].Target = "", ""
					pr.Files[i].Why = "could not be drafted — map by hand: " + why
				}
			}
			pr.Columns = slices.DeleteFunc(pr.Columns, func(c ColumnDecision) bool { return c.Object == name })
			pr.Review = append(pr.Review, ReviewItem{Object: name, Field: "(entity)", Why: "could not be drafted — map by hand: " + why})
			pr.Notes = append(pr.Notes, fmt.Sprintf("%s: could not be drafted — map by hand (%s)", name, why))
		}
	}
}

// dropped records a rule or lookup the check refused.
func (pr *Proposal) dropped(object, item, why string) {
	msg := "dropped from the draft: " + why
	for i := range pr.Columns {
		c := &pr.Columns[i]
		if c.Object == object && (c.Target == item || c.Column == item) && c.Decision != DecisionSkip {
			c.Decision, c.Target, c.Custom, c.Confidence, c.Why = DecisionUnmapped, "", false, 0, msg
		}
	}
	pr.Review = append(pr.Review, ReviewItem{Object: object, Field: item, Why: msg})
}
