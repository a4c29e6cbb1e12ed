package hltest

type fieldFolder struct {
	meta
	name, objectKey string
}

type objectSchema struct {
	meta
	key, singular, plural, description, primaryKey string
	standard                                       bool
}

type record struct {
	meta
	schemaKey string
	props     map[string]any
	owner     []string
	followers []string
}

type association struct{ meta }
type relation struct {
	meta
	firstID, secondID string
}
type pipeline struct{ meta }
type opportunity struct{ meta }
type mediaFile struct{ meta }

func (s *Server) seedStandardObjects(l *location) {}

func (l *location) dropRelationsOf(id string) {
	var gone []string
	l.relations.each(func(r *relation) bool {
		if r.firstID == id || r.secondID == id {
			gone = append(gone, r.id)
		}
		return true
	})
	for _, id := range gone {
		l.relations.remove(id)
	}
}

func (l *location) renderMore(kind Kind, out *[]map[string]any) {}
