package hltest

import "strings"

func (l *location) renderMore(kind Kind, out *[]map[string]any) {
	id := l.cfg.ID
	add := func(m map[string]any) { *out = append(*out, m) }
	switch kind {
	case KindCustomField:
		l.fields.each(func(f *customField) bool {
			if f.v2 {
				add(f.v2JSON(id))
			} else {
				add(f.locationJSON(id))
			}
			return true
		})
	case KindObjectSchema:
		for _, o := range l.schemaList() {
			if o["standard"] == false {
				add(o)
			}
		}
	case KindRecord:
		for _, key := range sortedKeys(l.records) {
			l.records[key].each(func(r *record) bool {
				add(r.searchJSON(id, l.schemas[key]))
				return true
			})
		}
	case KindAssociation:
		l.assocs.each(func(a *association) bool { add(a.json(id)); return true })
	case KindRelation:
		l.relations.each(func(r *relation) bool { add(r.json(id)); return true })
	case KindPipeline:
		l.pipelines.each(func(p *pipeline) bool { add(p.json(id)); return true })
	case KindOpportunity:
		l.opps.each(func(o *opportunity) bool { add(o.json(l)); return true })
	case KindMedia:
		l.media.each(func(f *mediaFile) bool { add(f.json(id)); return true })
	default:
		if t := l.records[strings.ToLower(string(kind))]; t != nil {
			o := l.schemas[strings.ToLower(string(kind))]
			t.each(func(r *record) bool { add(r.searchJSON(id, o)); return true })
		}
	}
}
