package mapping

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pbnhl/pbnhl/mapping/transform"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Destination is what the HighLevel location already offers the proposer:
// its existing custom fields (standard fields are known: StandardFields).
type Destination struct {
	CustomFields []SchemaField
}

// Suggester proposes rules for one entity, typically by asking an LLM. Its
// suggestions are merged with the heuristics' and labelled with its name.
type Suggester interface {
	Name() string
	Suggest(ctx context.Context, req SuggestRequest) ([]Suggestion, error)
}

// SuggestRequest describes one entity to a Suggester. Samples are filled
// only with ProposeOptions.ShareSamples: they are patient data.
type SuggestRequest struct {
	Entity         string
	Target         TargetKind
	Fields         []SuggestField
	StandardFields []string
	CustomFields   []SchemaField
}

// SuggestField is a source field as a Suggester sees it.
type SuggestField struct {
	Name    string
	Sniffed DataType // the type the heuristics read from the samples
	Fill    float64  // share of non-blank samples
	Shape   Shape    // lengths and patterns of the samples, never a value
	Samples []string // only with ShareSamples
}

// Suggestion maps a source field to a target: a standard field, or a custom
// field when Type is set (To an existing custom field's key, or "" for a new
// one the proposer names), or, with Skip, to nothing: the field should not
// be migrated, Reason says why.
//
// Merging (see suggest.go): a suggestion that agrees with the heuristics
// raises the rule's confidence; one that disagrees is listed for review with
// both reasons, and replaces the heuristic rule only when it is more
// confident.
type Suggestion struct {
	From       string
	To         string
	Type       DataType
	Skip       bool
	Confidence float64
	Reason     string
}

// ProposeOptions tune Propose.
type ProposeOptions struct {
	// Name of the proposed map; default "Proposed map".
	Name string
	// Source names the source system in the map; default "practicebynumbers".
	Source string
	// KeyPrefix starts custom field keys and external ids; default "pbn_".
	KeyPrefix string
	// Region is the default phone region; default "US".
	Region string
	// LowConfidence marks rules for review below it; default 0.6.
	LowConfidence float64
	Suggesters    []Suggester
	// ShareSamples sends sample values to suggesters. Off by default: samples
	// are PHI and a suggester may be a remote service.
	ShareSamples bool
}

// Proposal is a drafted map with what a person must look at.
type Proposal struct {
	Map    *Map
	Review []ReviewItem
	// Notes are proposer-level remarks: skipped entities, suggester failures.
	Notes []string
	// Files says what became of each source entity (file): the object
	// drafted for it, or why none was, with its rows, rejects and columns.
	Files []FileSummary
	// Columns is the decision taken for every column of every drafted
	// object, with its confidence and evidence: the basis of the review.
	Columns []ColumnDecision
}

// FileSummary is what the proposer made of one source entity.
type FileSummary struct {
	Entity string
	File   string // the file it was read from, when known
	// Object is the drafted object's name; "" when the entity was not
	// recognised (map it by hand) or is not migrated through the map.
	Object     string
	Target     TargetKind
	Confidence float64
	Why        string
	Rows       int64
	Rejects    map[string]int // reader rejects by reason (from the inventory)
	Columns    []string       // the entity's columns, for mapping by hand
}

// Decisions a ColumnDecision records.
const (
	DecisionField    = "field"    // a rule writes it (Target: the field)
	DecisionKey      = "key"      // the object's source key
	DecisionLookup   = "lookup"   // a lookup links the record (Target: contactId, association, ...)
	DecisionStage    = "stage"    // an opportunity's stage or pipeline column
	DecisionSkip     = "skip"     // deliberately not migrated (see Sensitive)
	DecisionUnmapped = "unmapped" // nothing decided: a person must
)

// ColumnDecision is what the proposal does with one source column.
type ColumnDecision struct {
	Object, Column string
	Decision       string
	// Target is the field written (custom fields by key) or the link.
	Target     string
	Custom     bool // Target is a custom field
	Sensitive  bool // a skip for privacy
	Confidence float64
	Why        string
}

// ReviewItem is a rule or field that needs a person's attention.
type ReviewItem struct {
	Object     string
	Field      string // source field
	Target     string // "" when unmapped
	Confidence float64
	Why        string
}

func (r ReviewItem) String() string {
	t := r.Target
	if t == "" {
		t = "(unmapped)"
	}
	return fmt.Sprintf("%s.%s → %s (%.2f): %s", r.Object, r.Field, t, r.Confidence, r.Why)
}

// Propose drafts a map for the inventory. Every rule gets a confidence in
// [0,1] and a reason; what is weak, unmapped or suggested by a Suggester is
// listed in Review. Proposals are deterministic for the same input (and
// deterministic suggesters). The map is not approved.
func Propose(ctx context.Context, inv SourceInventory, dest Destination, opts ProposeOptions) (*Proposal, error) {
	if opts.Name == "" {
		opts.Name = "Proposed map"
	}
	if opts.Source == "" {
		opts.Source = "practicebynumbers"
	}
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = "pbn_"
	}
	if opts.Region == "" {
		opts.Region = "US"
	}
	if opts.LowConfidence == 0 {
		opts.LowConfidence = 0.6
	}
	pr := &Proposal{Map: &Map{Version: FormatVersion, Name: opts.Name, Source: opts.Source,
		Description: "Drafted by the proposer: review every rule, then approve."}}
	// Classify entities first so lookups know what exists.
	type classified struct {
		e      *EntityInventory
		kind   entityKind
		conf   float64
		why    string
		sniffs []sniff
		file   int // index in pr.Files
	}
	var ents []classified
	present := map[TargetKind]string{} // kind → object name
	used := map[string]bool{}
	type unrecognised struct {
		e      *EntityInventory
		sniffs []sniff
		file   int
		kind   entityKind
		why    string
	}
	var unplaced []unrecognised
	var documents *EntityInventory // mapped last: it links to the contact object
	for i := range inv.Entities {
		e := &inv.Entities[i]
		if normName(e.Name) == "documents" && e.Count > 0 {
			documents = e
			continue
		}
		fs := FileSummary{Entity: e.Name, File: e.File, Rows: e.Count, Rejects: e.Rejects}
		for _, f := range e.Fields {
			fs.Columns = append(fs.Columns, f.Name)
		}
		n := normName(e.Name)
		if why, skip := notMigrated[n]; skip {
			pr.Notes = append(pr.Notes, fmt.Sprintf("%s: not mapped — %s", e.Name, why))
			fs.Why = "not mapped — " + why
			pr.Files = append(pr.Files, fs)
			continue
		}
		if e.Count == 0 && !hasSamples(e) {
			// An entity without a record (a file that is absent, or empty)
			// gets no object: there is nothing to map and nothing to check.
			pr.Notes = append(pr.Notes, fmt.Sprintf("%s: no records; no object drafted", e.Name))
			fs.Why = "no records; no object drafted"
			pr.Files = append(pr.Files, fs)
			if len(e.Fields) > 0 {
				unplaced = append(unplaced, unrecognised{e, make([]sniff, len(e.Fields)), len(pr.Files) - 1, classifyFallback(e), "no records"})
			}
			continue
		}
		sniffs := make([]sniff, len(e.Fields))
		for i, f := range e.Fields {
			sniffs[i] = sniffField(f)
		}
		k, conf, why, ok := recogniseEntity(e, sniffs)
		fs.Target, fs.Confidence, fs.Why = k.kind, conf, why
		if !ok {
			pr.Notes = append(pr.Notes, fmt.Sprintf("%s: not recognised — map by hand (%s)", e.Name, why))
			fs.Target, fs.Why = "", "not recognised — map by hand: "+why
			pr.Files = append(pr.Files, fs)
			unplaced = append(unplaced, unrecognised{e, sniffs, len(pr.Files) - 1, classifyFallback(e), why})
			continue
		}
		name := uniqueName(objectName(e.Name), used)
		used[name] = true
		ents = append(ents, classified{e, k, conf, why, sniffs, len(pr.Files)})
		pr.Files = append(pr.Files, fs)
		pr.Files[len(pr.Files)-1].Object = name
		if _, ok := present[k.kind]; !ok {
			present[k.kind] = name
		}
	}
	if len(ents) == 0 {
		// Nothing recognised: a map needs an object to load at all, so the
		// unplaced files are drafted as custom objects to start from, each
		// flagged. Once anything is recognised they stay out of the map.
		for _, u := range unplaced {
			name := uniqueName(objectName(u.e.Name), used)
			used[name] = true
			pr.Files[u.file].Object, pr.Files[u.file].Target = name, TargetCustomObject
			pr.Files[u.file].Why = "not recognised — drafted as a custom object to start from: " + u.why
			ents = append(ents, classified{u.e, u.kind, 0.3, pr.Files[u.file].Why, u.sniffs, u.file})
		}
	}
	// The key column of each kind's object: a column of another file with
	// the same name refers to it (an appointment book's "Acct No" is the
	// patient list's "Acct No"), whatever the synonyms know.
	keyCols := map[TargetKind]string{}
	for _, c := range ents {
		if present[c.kind.kind] != pr.Files[c.file].Object {
			continue
		}
		if i, _, _ := sourceKeyIndex(c.e, singularOf(c.e.Name), c.sniffs); i >= 0 {
			keyCols[c.kind.kind] = c.e.Fields[i].Name
		}
	}
	for _, c := range ents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := pr.Files[c.file].Object
		o, review, notes, cols := proposeObject(ctx, c.e, c.kind, c.sniffs, present, keyCols, dest, inv.Properties, opts)
		o.Name = name
		for i := range review {
			review[i].Object = name
		}
		for i := range cols {
			cols[i].Object = name
		}
		pr.Files[c.file].Target = o.Target
		capToEntity(&o, cols, c.conf)
		if c.conf < opts.LowConfidence {
			review = append(review, ReviewItem{Object: o.Name, Field: "(entity)", Target: string(o.Target), Confidence: c.conf, Why: c.why})
		}
		pr.Map.Objects = append(pr.Map.Objects, o)
		pr.Review = append(pr.Review, review...)
		pr.Notes = append(pr.Notes, notes...)
		pr.Columns = append(pr.Columns, cols...)
	}
	if documents != nil {
		pr.proposeDocuments(documents, present[TargetContact], used)
	}
	for _, u := range inv.Unreadable {
		pr.Notes = append(pr.Notes, fmt.Sprintf("%s: could not be read — %s", u.File, u.Reason))
	}
	pr.linkRecords()
	pr.relateCaseTypes() // propose_related.go
	pr.settle()
	return pr, nil
}

// linkRecords drafts the association between two custom objects that a
// column naming the other's key column makes: a procedure report's
// "AptNum" is the appointment report's key, so each procedure record is
// related to its appointment's (not required: planned work has no visit).
// The column stays a property too. A key column name two custom objects
// share links neither (which one is meant is a person's call).
func (pr *Proposal) linkRecords() {
	keys := map[string]string{} // key column, normalised → custom object ("" when shared)
	for _, o := range pr.Map.Objects {
		if o.Target != TargetCustomObject || strings.Contains(o.SourceKey, "+") {
			continue
		}
		n := normName(o.SourceKey)
		if _, dup := keys[n]; dup {
			keys[n] = ""
			continue
		}
		keys[n] = o.Name
	}
	for i := range pr.Map.Objects {
		o := &pr.Map.Objects[i]
		if o.Target != TargetCustomObject {
			continue
		}
		for j := range o.Fields {
			f := &o.Fields[j]
			p := keys[normName(f.From)]
			if f.From == "" || f.From == o.SourceKey || !f.Custom() || p == "" || p == o.Name {
				continue
			}
			if slices.ContainsFunc(o.Lookups, func(l Lookup) bool { return l.From == f.From }) {
				continue
			}
			o.Lookups = append(o.Lookups, Lookup{From: f.From, Object: p, To: LinkAssociation,
				Association: snake(strings.TrimPrefix(o.Key, "custom_objects.")) + "_" + snake(singularOf(p))})
			f.Confidence = max(f.Confidence, 0.8)
			f.Reason = fmt.Sprintf("names a record of %s by its key column: each record is related to its %s (an association) and keeps the id", p, singularOf(p))
			pr.Review = slices.DeleteFunc(pr.Review, func(r ReviewItem) bool { return r.Object == o.Name && r.Field == f.From })
			for k := range pr.Columns {
				if c := &pr.Columns[k]; c.Object == o.Name && c.Column == f.From {
					c.Confidence, c.Why = f.Confidence, f.Reason
				}
			}
			pr.Columns = append(pr.Columns, ColumnDecision{Object: o.Name, Column: f.From, Decision: DecisionLookup, Target: LinkAssociation,
				Confidence: 0.8, Why: fmt.Sprintf("%q is the key column of %s", f.From, p)})
			pr.Notes = append(pr.Notes, fmt.Sprintf("%s: each record is related to its %s by %s (an association; the id stays a property)",
				o.Name, singularOf(p), f.From))
		}
	}
}

// capToEntity keeps every rule of an object at most as confident as the
// placement of its file: a column read as a business's name is only as
// likely right as the file being businesses at all (a held-out referrers'
// list placed as businesses at 0.70 carried "name" at 0.92).
func capToEntity(o *Object, cols []ColumnDecision, conf float64) {
	if conf >= 0.8 {
		return
	}
	for i := range cols {
		cols[i].Confidence = min(cols[i].Confidence, conf)
	}
	for i := range o.Fields {
		o.Fields[i].Confidence = min(o.Fields[i].Confidence, conf)
	}
}

// classifyFallback is the custom object an unplaced entity is drafted as
// when nothing else was recognised.
func classifyFallback(e *EntityInventory) entityKind {
	sing := singularOf(e.Name)
	k := entityKind{kind: TargetCustomObject, key: snake(sing), singular: titleWords(sing), plural: titleWords(e.Name)}
	if k.key == "" || !validKey(k.key) {
		k.key = "record"
	}
	if k.singular == "" || k.plural == "" {
		k.singular, k.plural = "Record", "Records"
	}
	return k
}

func hasSamples(e *EntityInventory) bool {
	for _, f := range e.Fields {
		if len(f.Samples) > 0 {
			return true
		}
	}
	return false
}

func uniqueName(n string, used map[string]bool) string {
	if !used[n] {
		return n
	}
	for i := 2; ; i++ {
		c := n + "_" + strconv.Itoa(i)
		if !used[c] {
			return c
		}
	}
}

// proposeObject drafts the object for one entity.
func proposeObject(ctx context.Context, e *EntityInventory, k entityKind, sniffs []sniff, present, keyCols map[TargetKind]string, dest Destination,
	props []pbn.CustomPropertyDefinition, opts ProposeOptions) (Object, []ReviewItem, []string, []ColumnDecision) {
	o := Object{Name: objectName(e.Name), Source: e.Name, Target: k.kind}
	if e.File != "" {
		// A report of a folder (InventoryDir): the object reads that file,
		// as it is, by its name — which a person can change by hand
		// (practicebynumbers.FileEntity).
		o.Source = e.File
	}
	var review []ReviewItem
	var notes []string
	var cols []ColumnDecision
	decide := func(col, decision, target string, conf float64, why string) {
		cols = append(cols, ColumnDecision{Object: o.Name, Column: col, Decision: decision, Target: target, Confidence: conf, Why: why})
	}
	sing := singularOf(e.Name)
	model := "contact"
	switch k.kind {
	case TargetCustomObject:
		o.Key = "custom_objects." + opts.KeyPrefix + k.key
		o.Labels = &Labels{Singular: k.singular, Plural: k.plural}
		model = o.Key
	case TargetContactField:
		o.Key = opts.KeyPrefix + k.key
		o.MaxBytes = 60000
	case TargetOpportunity:
		model = "opportunity"
	}
	if k.kind != TargetBusiness && k.kind != TargetUser && k.kind != TargetNote && k.kind != TargetContactField && k.kind != TargetTask {
		o.ExternalID = opts.KeyPrefix + snake(sing) + "_id"
		if !validKey(o.ExternalID) || len(o.ExternalID) > 60 {
			o.ExternalID = opts.KeyPrefix + "source_id"
		}
	}
	// Source key. Without a column that identifies a record, the likeliest
	// one is proposed for review and still mapped as a field: a date or a
	// patient reference used as a key is a draft, not a decision.
	keyIdx, keyConf, keyWhy := sourceKeyIndex(e, sing, sniffs)
	handled := map[int]bool{}
	if keyIdx >= 0 {
		handled[keyIdx] = true
		decide(e.Fields[keyIdx].Name, DecisionKey, "source_key", keyConf, keyWhy)
	}
	keyCol := keyIdx
	if keyIdx < 0 && len(e.Fields) > 0 {
		keyCol = 0
		for i, sn := range sniffs {
			if sn.unique && sn.fill == 1 {
				keyCol = i
				break
			}
		}
		review = append(review, ReviewItem{Object: o.Name, Field: e.Fields[keyCol].Name, Target: "source_key", Confidence: 0.3,
			Why: "no column identifies a record: this one is a placeholder key; choose a unique column (or export one)"})
	}
	if len(e.Fields) == 0 {
		o.SourceKey = "id"
		review = append(review, ReviewItem{Object: o.Name, Field: "(entity)", Confidence: 0, Why: "the inventory lists no fields"})
	} else {
		o.SourceKey = e.Fields[keyCol].Name
	}
	// Lookups: per referenced kind, the field whose name is the strongest
	// reference (assignedStaffId before providerId).
	for _, ref := range []TargetKind{TargetContact, TargetBusiness, TargetUser} {
		obj, ok := present[ref]
		if !ok || ref == k.kind {
			continue
		}
		best, bestRank, byKey := -1, len(refNames[ref]), false
		for i, f := range e.Fields {
			if handled[i] {
				continue
			}
			// A reference holds ids ("DRE1", "0042"), not names: the
			// "Patient" column of a report may be the patient's name.
			r := refRank(ref, f.Name)
			// The referenced object's own key column, by name, is the
			// strongest evidence.
			sameKey := keyCols[ref] != "" && normName(f.Name) == normName(keyCols[ref])
			if sameKey {
				r = 0
			}
			// A column empty in every row (absent from the file: a typed
			// reader gives it as 0) links nothing.
			sampledAll := e.Count > 0 && int(e.Count) <= len(f.Samples)
			if r >= 0 && (r < bestRank || r == bestRank && sameKey && !byKey) && (sniffs[i].n == 0 && !sampledAll || sniffs[i].has("idlike") >= 0.8) {
				best, bestRank, byKey = i, r, sameKey
			}
		}
		if best < 0 {
			continue
		}
		l := Lookup{From: e.Fields[best].Name, Object: obj}
		switch {
		case ref == TargetContact && k.kind == TargetCustomObject:
			l.To, l.Association, l.Required = LinkAssociation, snake(strings.TrimPrefix(o.Key, "custom_objects."))+"_"+snake(singularOf(obj)), true
		case ref == TargetContact && slices.Contains(lookupTargets[k.kind], LinkContact):
			l.To, l.Required = LinkContact, true
		case ref == TargetBusiness && k.kind == TargetContact:
			l.To = LinkBusiness
		case ref == TargetUser && slices.Contains(lookupTargets[k.kind], LinkOwner):
			l.To = LinkOwner
		default:
			continue
		}
		o.Lookups = append(o.Lookups, l)
		handled[best] = true
		why := fmt.Sprintf("%q is a known name for a reference to %s and its values are ids", l.From, kindNoun(entityKind{kind: ref}))
		if byKey {
			why = fmt.Sprintf("%q is the name of %s's key column and its values are ids", l.From, obj)
		}
		decide(l.From, DecisionLookup, l.To, round2(0.9-0.02*float64(min(bestRank, 10))), why)
	}
	if k.kind == TargetNote {
		if t, used := noteTemplate(e, sniffs, handled); t != "" {
			o.Fields = append(o.Fields, Field{Template: t, To: "body", Transform: Chain{{Name: "collapse"}}, Confidence: 0.7, Origin: "heuristic",
				Reason: "notes take only a body (and no date): the timestamp, kind and text are composed into it"})
			for _, i := range used {
				handled[i] = true
			}
		}
	}
	if k.kind == TargetUser {
		first, last := -1, -1
		for i, f := range e.Fields {
			switch n := normName(f.Name); {
			case slices.Contains(synonyms[TargetContact]["firstName"], n):
				first = i
			case slices.Contains(synonyms[TargetContact]["lastName"], n):
				last = i
			}
		}
		if first >= 0 && last >= 0 && templatable(e.Fields[first].Name) && templatable(e.Fields[last].Name) {
			o.Fields = append(o.Fields, Field{Template: "{" + e.Fields[first].Name + "} {" + e.Fields[last].Name + "}", To: "name",
				Transform: Chain{{Name: "collapse"}}, Confidence: 0.8, Origin: "heuristic", Reason: "first and last name make the user name"})
			handled[first], handled[last] = true, true
		}
	}
	// Field rules: score every source field against every target.
	type cand struct {
		idx   int
		field Field
	}
	var cands []cand
	std := standardFields[k.kind]
	if k.kind == TargetCustomObject || k.kind == TargetContactField {
		std = nil
	}
	noCustom := k.kind == TargetNote || k.kind == TargetUser || k.kind == TargetBusiness
	skip := func(i int, why string, conf float64, sensitive bool) {
		o.Skip = append(o.Skip, Skip{From: e.Fields[i].Name, Reason: why, Sensitive: sensitive})
		cols = append(cols, ColumnDecision{Object: o.Name, Column: e.Fields[i].Name, Decision: DecisionSkip, Sensitive: sensitive,
			Confidence: conf, Why: why})
		handled[i] = true
	}
	for i, f := range e.Fields {
		if handled[i] {
			continue
		}
		// Sensitive data stays home whatever else the column could be.
		if why := sensitive(f, sniffs[i]); why != "" {
			skip(i, "sensitive: "+why+"; not migrated by default (move it to a rule to migrate it)", 0.95, true)
			continue
		}
		if sniffs[i].kind == "empty" {
			if e.Count > 0 && int(e.Count) <= len(f.Samples) {
				// Every row was sampled: the column is empty in the file.
				skip(i, fmt.Sprintf("no values in any of the %d rows", e.Count), 0.9, false)
				continue
			}
			review = append(review, ReviewItem{Object: o.Name, Field: f.Name, Why: "no values in the sample; left unmapped"})
			continue
		}
		if r, ok := declaredProperty(f, props, k.kind, opts); ok {
			cands = append(cands, cand{i, r})
			continue
		}
		if why, conf := routineSkip(f); why != "" && i != keyCol {
			skip(i, why, conf, false)
			continue
		}
		r := bestRule(f, sniffs[i], k.kind, std, model, sing, dest, opts)
		if r.Custom() && r.Confidence >= opts.LowConfidence && referenceLike(f, sniffs[i], k.kind) {
			// An id of another table that no link uses: kept, but a person
			// decides whether it means anything in HighLevel.
			r.Confidence = round2(opts.LowConfidence - 0.05)
			r.Reason = fmt.Sprintf("looks like an id of another table, and no link is drafted from it; %s", r.Reason)
		}
		cands = append(cands, cand{i, r})
	}
	// One source per standard target: the strongest keeps it, the others
	// become custom fields.
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.field.Confidence > b.field.Confidence:
			return -1
		case a.field.Confidence < b.field.Confidence:
			return 1
		}
		return a.idx - b.idx
	})
	taken := map[string]string{}
	for _, f := range o.Fields {
		taken[f.To] = "a composed template"
	}
	if k.kind == TargetContact {
		// HighLevel makes a contact's name from its first and last names
		// and keeps no other: a full-name column beside them (a
		// responsible party, a referrer) would differ on every record
		// read back. It becomes a custom field.
		for _, c := range cands {
			if c.field.To == "firstName" || c.field.To == "lastName" {
				taken["name"] = "the first and last names (HighLevel makes a contact's name from them)"
			}
		}
	}
	winner := map[string]int{} // standard target → index in cands
	for ci := range cands {
		c := &cands[ci]
		if w, ok := winner[c.field.To]; ok && !c.field.Custom() && cands[w].field.Confidence-c.field.Confidence < 0.05 {
			// Two columns fit the same field about equally ("Phone" and
			// "Phone #"): the pick is a coin flip, so both go to review.
			wf := &cands[w].field
			if wf.Confidence >= 0.6 {
				wf.Confidence = 0.59
				wf.Reason += fmt.Sprintf("; a close call with %q", e.Fields[c.idx].Name)
			}
			c.field.Confidence = min(c.field.Confidence, 0.55)
		}
		if prev, ok := taken[c.field.To]; ok {
			if noCustom {
				c.field.Reason = fmt.Sprintf("%s targets have no room for it (%s is taken by %s)", k.kind, c.field.To, prev)
				c.field.To = ""
				continue
			}
			alt := customRule(e.Fields[c.idx], sniffs[c.idx], k.kind, model, opts)
			alt.Reason = fmt.Sprintf("%s is taken by %s; %s", c.field.To, prev, alt.Reason)
			if c.field.Confidence < 0.6 {
				alt.Confidence = min(alt.Confidence, c.field.Confidence)
				alt.Reason += "; a close call"
			}
			c.field = alt
		}
		if _, ok := winner[c.field.To]; !ok && !c.field.Custom() {
			winner[c.field.To] = ci
		}
		taken[c.field.To] = e.Fields[c.idx].Name
	}
	slices.SortFunc(cands, func(a, b cand) int { return a.idx - b.idx })
	keys := map[string]bool{}
	for _, c := range cands {
		switch {
		case c.field.To == "":
			skip(c.idx, c.field.Reason, 0.7, false)
			continue
		case noCustom && c.field.Type != "":
			skip(c.idx, noCustomWhy(k.kind), 0.8, false)
			continue
		}
		f := checkValues(k.kind, c.field, e.Fields[c.idx], model, opts)
		if f.Custom() && !strings.Contains(f.To, ".") {
			f.To = uniqueKey(f.To, keys)
		}
		keys[f.To] = true
		o.Fields = append(o.Fields, f)
	}
	// Suggesters (suggest.go).
	sr, sn := runSuggesters(ctx, &suggestCtx{o: &o, e: e, std: std, sniffs: sniffs, handled: handled, keyIdx: keyIdx, model: model, opts: opts}, k.kind, dest)
	review, notes = append(review, sr...), append(notes, sn...)
	// Shape what the target needs.
	switch k.kind {
	case TargetCustomObject:
		o.Primary = pickPrimary(&o, func(from string) float64 {
			for i, f := range e.Fields {
				if f.Name == from {
					return sniffs[i].fill
				}
			}
			return 0
		})
	case TargetOpportunity:
		if !proposePipelines(&o, e, sniffs) {
			// Without a stage column there are no pipelines, and an
			// opportunity cannot be created: the records are drafted as a
			// custom object instead, so nothing is lost, and the reviewer
			// decides.
			ck := entityKind{kind: TargetCustomObject, key: "case", singular: k.singular, plural: k.plural}
			if k.singular == "" {
				ck.singular, ck.plural = "Case", "Cases"
			}
			d, rv, nt, cs := proposeObject(ctx, e, ck, sniffs, present, keyCols, dest, props, opts)
			rv = append(rv, ReviewItem{Object: o.Name, Field: "(entity)", Target: string(TargetCustomObject), Confidence: 0.3,
				Why: "looks like cases or treatment plans, but no column gives a stage: drafted as a custom object; for opportunities set target: opportunity with pipeline_field, stage_field and pipelines"})
			return d, rv, nt, cs
		} else {
			why := "stages come from the sampled values and their probabilities from their names: check both"
			if !slices.Contains([]string{"stage", "stagename", "pipelinestage", "casestage"}, normName(o.StageField)) {
				why = "no stage column: the status serves as the stage; " + why
			}
			review = append(review, ReviewItem{Object: o.Name, Field: o.StageField, Target: "pipelines", Confidence: 0.5, Why: why})
		}
		if o.Field("name") == nil {
			o.Fields = append(o.Fields, Field{Value: "Case", To: "name", Confidence: 0.5, Reason: "no title field; a constant name", Origin: "heuristic"})
		}
	case TargetNote:
		if o.Field("body") == nil {
			o.Fields = append(o.Fields, Field{From: o.SourceKey, To: "body", Confidence: 0.2, Reason: "no text field found; the body is the source id: choose a field", Origin: "heuristic"})
		}
	case TargetBusiness:
		if o.Field("name") == nil {
			f := Field{Template: templateText(sing) + " {" + o.SourceKey + "}", To: "name", Confidence: 0.3, Reason: "no name field found; named by id", Origin: "heuristic"}
			if !templatable(o.SourceKey) {
				f.Template, f.From = "", o.SourceKey
			}
			o.Fields = append(o.Fields, f)
		}
	case TargetContactField:
		if !slices.ContainsFunc(o.Lookups, func(l Lookup) bool { return l.To == LinkContact }) {
			notes = append(notes, fmt.Sprintf("%s: no patient reference found; the JSON field cannot be attached to a contact", e.Name))
		}
	}
	if k.kind == TargetContactField && !slices.ContainsFunc(o.Lookups, func(l Lookup) bool { return l.To == LinkContact }) {
		if obj, ok := present[TargetContact]; ok {
			o.Lookups = append(o.Lookups, Lookup{From: o.SourceKey, Object: obj, To: LinkContact, Required: true})
			review = append(review, ReviewItem{Object: o.Name, Field: o.SourceKey, Target: LinkContact, Confidence: 0.2, Why: "no patient reference found; fix this lookup"})
		}
	}
	if keyIdx < 0 && e.File != "" {
		// A report without a column identifying a record: the fewest
		// columns whose values together are unique in the samples key it,
		// still for review (a row whose values change in a later export
		// becomes a new record). Without one, the placeholder stays and a
		// repeat is refused at preflight (RuleRepeatedKey).
		if parts := compositeKey(e, sniffs); len(parts) > 1 {
			o.SourceKey = strings.Join(parts, " + ")
			for i := range review {
				if review[i].Object == o.Name && review[i].Target == "source_key" {
					review[i].Field = o.SourceKey
					review[i].Why = fmt.Sprintf("no column identifies a record: keyed by %d columns whose values together are unique in the %d sampled rows; "+
						"a row changed in a later export becomes a new record — choose a unique column if the report has one", len(parts), len(e.Fields[0].Samples))
				}
			}
		}
	}
	for _, f := range o.Fields {
		switch {
		case f.Confidence < opts.LowConfidence:
			review = append(review, ReviewItem{Object: o.Name, Field: f.From, Target: f.To, Confidence: f.Confidence, Why: f.Reason})
		case strings.HasPrefix(f.Origin, "suggester"):
			review = append(review, ReviewItem{Object: o.Name, Field: f.From, Target: f.To, Confidence: f.Confidence, Why: "proposed by " + f.Origin})
		}
	}
	return o, review, notes, columnDecisions(&o, e, cols, review)
}

// compositeKey picks, for a report without an id column, the fewest
// columns (at most 4, each filled in every sampled row and not free text)
// whose sampled values together are unique, most distinct first; nil when
// none do (or there are fewer than 2 sampled rows to tell).
func compositeKey(e *EntityInventory, sniffs []sniff) []string {
	if len(e.Fields) == 0 || len(e.Fields[0].Samples) < 2 || len(sniffs) != len(e.Fields) {
		return nil
	}
	rows := len(e.Fields[0].Samples)
	type col struct {
		i, distinct int
	}
	var cands []col
	for i, f := range e.Fields {
		if sniffs[i].fill < 1 || sniffs[i].kind == "largetext" || len(f.Samples) != rows || !templatable(f.Name) || strings.Contains(f.Name, "+") {
			continue
		}
		seen := map[string]bool{}
		for _, v := range f.Samples {
			seen[strings.TrimSpace(v)] = true
		}
		cands = append(cands, col{i, len(seen)})
	}
	slices.SortStableFunc(cands, func(a, b col) int { return b.distinct - a.distinct })
	var picked []int
	for _, c := range cands {
		if len(picked) == 4 {
			break
		}
		picked = append(picked, c.i)
		seen := map[string]bool{}
		for r := range rows {
			var b strings.Builder
			for _, i := range picked {
				b.WriteString(strings.TrimSpace(e.Fields[i].Samples[r]))
				b.WriteString(KeySep)
			}
			seen[b.String()] = true
		}
		if len(seen) == rows {
			slices.Sort(picked) // in the file's column order
			out := make([]string, len(picked))
			for j, i := range picked {
				out[j] = e.Fields[i].Name
			}
			return out
		}
	}
	return nil
}

// columnDecisions completes the key, lookup and skip decisions taken on the
// way with the rules of the finished object and, for every other column,
// "unmapped" with the review's reason.
func columnDecisions(o *Object, e *EntityInventory, cols []ColumnDecision, review []ReviewItem) []ColumnDecision {
	byCol := map[string][]ColumnDecision{}
	for _, c := range cols {
		byCol[c.Column] = append(byCol[c.Column], c)
	}
	for _, f := range o.Fields {
		d := ColumnDecision{Object: o.Name, Decision: DecisionField, Target: f.To, Custom: f.Custom(), Confidence: f.Confidence, Why: f.Reason}
		for _, c := range f.sources() {
			d.Column = c
			byCol[c] = append(byCol[c], d)
		}
	}
	for _, c := range []string{o.StageField, o.PipelineField} {
		if c != "" {
			byCol[c] = append(byCol[c], ColumnDecision{Object: o.Name, Column: c, Decision: DecisionStage, Target: "pipelines", Confidence: 0.5})
		}
	}
	var out []ColumnDecision
	for _, f := range e.Fields {
		ds := byCol[f.Name]
		if len(ds) == 0 {
			why := "nothing decided"
			for _, r := range review {
				if r.Field == f.Name {
					why = r.Why
				}
			}
			ds = []ColumnDecision{{Object: o.Name, Column: f.Name, Decision: DecisionUnmapped, Why: why}}
		}
		// A column used as a placeholder key and mapped keeps its rule as
		// its decision; one decision per column, the most telling first.
		slices.SortStableFunc(ds, func(a, b ColumnDecision) int { return decisionRank(a.Decision) - decisionRank(b.Decision) })
		out = append(out, ds[0])
	}
	return out
}

func decisionRank(d string) int {
	return slices.Index([]string{DecisionKey, DecisionLookup, DecisionStage, DecisionField, DecisionSkip, DecisionUnmapped}, d)
}

// sources lists the source columns a rule reads.
func (f *Field) sources() []string {
	var out []string
	if f.From != "" {
		out = append(out, f.From)
	}
	out = append(out, f.Fallback...)
	if f.Template != "" {
		if parts, err := parseTemplate(f.Template); err == nil {
			for _, p := range parts {
				if p.field != "" && !slices.Contains(out, p.field) {
					out = append(out, p.field)
				}
			}
		}
	}
	return out
}

// noCustomWhy says why a target kind leaves a column out.
func noCustomWhy(k TargetKind) string {
	switch k {
	case TargetUser:
		return "staff are matched to existing HighLevel users by e-mail, not created: nothing else of theirs is stored"
	case TargetNote:
		return "notes hold only a body; this column is not part of it (add it to the body template to keep it)"
	case TargetBusiness:
		return "HighLevel businesses take no custom fields"
	}
	return string(k) + " targets take no custom fields"
}

// uniqueKey makes a custom field key unique within an object: near-duplicate
// headers ("Phone", "Phone #" written "phone") get a numbered key.
func uniqueKey(key string, used map[string]bool) string {
	if !used[key] {
		return key
	}
	for i := 2; ; i++ {
		c := fmt.Sprintf("%s_%d", key, i)
		if len(c) > 60 {
			c = fmt.Sprintf("%s_%d", strings.TrimRight(key[:60-len(strconv.Itoa(i))-1], "_"), i)
		}
		if !used[c] {
			return c
		}
	}
}

func fieldName(e *EntityInventory, i int) string {
	if i < len(e.Fields) {
		return e.Fields[i].Name
	}
	return ""
}

// sourceKeyIndex finds the column that identifies a record, with a
// confidence and why; -1 when none does.
func sourceKeyIndex(e *EntityInventory, sing string, sn []sniff) (int, float64, string) {
	s := normName(sing)
	want := []string{"id", s + "id", s + "num", s + "number", "key", "pk", "recordid", "uid"}
	for _, w := range want {
		for i, f := range e.Fields {
			if colName(f.Name) == w {
				return i, 0.95, fmt.Sprintf("%q names the record's id", f.Name)
			}
		}
	}
	for i, f := range e.Fields {
		n := colName(f.Name)
		if (strings.HasSuffix(n, "id") || strings.HasSuffix(n, "num") || strings.HasSuffix(n, "no") || strings.HasSuffix(n, "number")) && sn[i].unique && sn[i].fill == 1 {
			return i, 0.85, fmt.Sprintf("%q reads as an id and its sampled values are unique and filled", f.Name)
		}
	}
	// Reports often lead with an unnamed account or chart number.
	if len(e.Fields) > 0 && sn[0].unique && sn[0].fill == 1 && sn[0].n >= 3 && sn[0].has("idlike") == 1 {
		return 0, 0.65, fmt.Sprintf("the first column %q holds unique, filled, id-like values", e.Fields[0].Name)
	}
	return -1, 0, ""
}

// pickPrimary chooses the custom object's display field: a text field
// naming the record (names and titles first, then descriptions, then any
// other text), filled in every sample where there is a choice. HighLevel
// refuses a record whose primary property is empty, so when the chosen
// field is blank in some samples (an appointment's procedure description)
// it gets the object's singular label as its default: those records are
// created with it instead of being refused.
func pickPrimary(o *Object, fill func(from string) float64) string {
	best, bestS := -1, -1
	for i, f := range o.Fields {
		if f.Type != TypeText || slices.ContainsFunc(f.Transform, func(s Step) bool { return s.Name == "id" }) {
			continue // an id of another table names nothing a person reads
		}
		s := 0
		switch n := normName(f.To); {
		case strings.Contains(n, "name") || strings.Contains(n, "title"):
			s = 6
		case strings.Contains(n, "description") || strings.Contains(n, "desc"):
			s = 4
		default:
			s = 2
		}
		if f.From != "" && fill(f.From) >= 1 {
			s++
		}
		if s > bestS {
			best, bestS = i, s
		}
	}
	if best < 0 {
		o.Fields = append(o.Fields, Field{From: o.SourceKey, To: "record_name", Label: "Name", Type: TypeText,
			Confidence: 0.4, Reason: "no text field to display; the source id names the record", Origin: "heuristic"})
		return "record_name"
	}
	f := &o.Fields[best]
	if f.Value == "" && f.Default == "" && (f.From == "" || fill(f.From) < 1) {
		f.Default = o.Labels.Singular
		if f.Default == "" {
			f.Default = "Record"
		}
		f.Reason += fmt.Sprintf("; the object's display field: blank in some records, where it reads %q (HighLevel refuses a record without it)", f.Default)
	}
	return f.To
}

// proposePipelines builds pipelines and stages from the sampled values of a
// stage field (and a pipeline field when there is one).
func proposePipelines(o *Object, e *EntityInventory, sn []sniff) bool {
	stageIdx, pipeIdx, probIdx := -1, -1, -1
	for i, f := range e.Fields {
		switch normName(f.Name) {
		case "probability", "winprobability", "chance", "likelihood":
			probIdx = i
		case "stage", "stagename", "pipelinestage", "casestage":
			stageIdx = i
		case "pipeline", "pipelinename", "casetype", "pipelineid":
			pipeIdx = i
		}
	}
	if stageIdx < 0 {
		// Many reports carry a plan's status (proposed, accepted, ...)
		// and no stage: with few distinct values it serves as the stage.
		for i, f := range e.Fields {
			switch normName(f.Name) {
			case "status", "casestatus", "planstatus", "tpstatus", "treatmentplanstatus":
				if sn[i].kind == "picklist" || sn[i].n > 0 && sn[i].n < 8 {
					stageIdx = i
				}
			}
		}
	}
	if stageIdx < 0 {
		return false
	}
	o.StageField = e.Fields[stageIdx].Name
	stagesBy := map[string][]string{}
	probs := map[[2]string]float64{} // sampled probability per pipeline and stage
	var pipes []string
	for r, stage := range e.Fields[stageIdx].Samples {
		stage = transform.Collapse(stage)
		if stage == "" {
			continue
		}
		p := ""
		if pipeIdx >= 0 && r < len(e.Fields[pipeIdx].Samples) {
			p = transform.Collapse(e.Fields[pipeIdx].Samples[r])
		}
		if !slices.Contains(pipes, p) {
			pipes = append(pipes, p)
		}
		if !slices.Contains(stagesBy[p], stage) {
			stagesBy[p] = append(stagesBy[p], stage)
		}
		if probIdx >= 0 && r < len(e.Fields[probIdx].Samples) {
			if f, err := strconv.ParseFloat(strings.TrimSpace(e.Fields[probIdx].Samples[r]), 64); err == nil && f >= 0 && f <= 100 {
				if _, seen := probs[[2]string{p, stage}]; !seen {
					probs[[2]string{p, stage}] = f
				}
			}
		}
	}
	if len(pipes) == 0 {
		return false
	}
	if pipeIdx >= 0 {
		o.PipelineField = e.Fields[pipeIdx].Name
	}
	slices.Sort(pipes)
	for _, p := range pipes {
		pl := Pipeline{Name: p, Source: p}
		if p == "" {
			pl.Name = "Cases"
		}
		stages := stagesBy[p]
		slices.SortStableFunc(stages, func(a, b string) int { return stageRank(a) - stageRank(b) })
		for i, s := range stages {
			prob, sampled := probs[[2]string{p, s}]
			if !sampled {
				prob = stageProbability(s, i, len(stages))
			}
			pl.Stages = append(pl.Stages, Stage{From: s, Name: s, Probability: prob})
		}
		o.Pipelines = append(o.Pipelines, pl)
	}
	// The stage field is consumed by the pipelines.
	probField := ""
	if probIdx >= 0 {
		probField = e.Fields[probIdx].Name
	}
	o.Fields = slices.DeleteFunc(o.Fields, func(f Field) bool {
		return f.From == o.StageField || (o.PipelineField != "" && f.From == o.PipelineField) || (probField != "" && f.From == probField)
	})
	return true
}

// DestinationFrom reads a location's existing custom fields — of contacts,
// opportunities and every custom object — for Propose.
func DestinationFrom(ctx context.Context, api SchemaAPI) (Destination, error) {
	var d Destination
	models := []string{"contact", "opportunity"}
	objs, err := api.ObjectSchemas(ctx)
	if err != nil {
		return d, fmt.Errorf("mapping: list object schemas: %w", err)
	}
	for _, o := range objs {
		if isCustomObjectKey(o.Key) {
			models = append(models, o.Key)
		}
	}
	for _, m := range models {
		fs, err := api.CustomFields(ctx, m)
		if err != nil {
			return d, fmt.Errorf("mapping: list %s custom fields: %w", m, err)
		}
		d.CustomFields = append(d.CustomFields, fs...)
	}
	return d, nil
}
