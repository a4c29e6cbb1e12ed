package mapping

import "fmt"

// documentsWhy is what the proposer says of a documents entity it maps:
// the sentence names the target that carries it (TargetMedia), and a
// test holds every such sentence to the map it comes with.
const documentsWhy = "documents move as files (media upload), each linked to its contact by a note, and are indexed in the contact field pbn_documents"

// DocumentsObject is a media object named name uploading the documents of
// source entity source (practicebynumbers' Document records), each linked
// to its contact of object contacts: the file's name, kind (category),
// original date, size, content type and SHA-256.
func DocumentsObject(name, source, contacts string) Object {
	return Object{Name: name, Source: source, Target: TargetMedia, SourceKey: "id",
		Fields: []Field{
			{From: "name", To: "name", Required: true},
			{From: "category", To: "kind"},
			{From: "createdAt", To: "date", Transform: Chain{{Name: "timestamp"}}},
			{From: "size", To: "size"},
			{From: "mimeType", To: "contentType"},
			{From: "sha256", To: "sha256"},
		},
		Lookups: []Lookup{{From: "patientId", Object: contacts, To: LinkContact, Required: true}},
	}
}

// DocumentsIndexObject is the documents index of contacts' records: the
// name, kind, original date, size and source id of each of a contact's
// documents, as JSON in its LARGE_TEXT contact field pbn_documents,
// written with the contact (no call of its own). The media id is not in
// it: the contact is written before its files are uploaded; the note
// DocumentsObject writes per file names the media id and URL.
func DocumentsIndexObject(name, source, contacts string) Object {
	return Object{Name: name, Source: source, Target: TargetContactField, Key: "pbn_documents", SourceKey: "id", MaxBytes: 60000,
		Fields: []Field{
			{From: "name", To: "name"},
			{From: "category", To: "kind"},
			{From: "createdAt", To: "date", Transform: Chain{{Name: "timestamp"}}},
			{From: "size", To: "size"},
			{From: "id", To: "document_id"},
		},
		Lookups: []Lookup{{From: "patientId", Object: contacts, To: LinkContact, Required: true}},
	}
}

// proposeDocuments drafts the documents object (DocumentsObject) when the
// source has documents and a contact object to link them to. Without a
// contact object the documents are not mapped, and the note says why.
func (pr *Proposal) proposeDocuments(e *EntityInventory, contacts string, used map[string]bool) {
	fs := FileSummary{Entity: e.Name, File: e.File, Rows: e.Count, Rejects: e.Rejects}
	for _, f := range e.Fields {
		fs.Columns = append(fs.Columns, f.Name)
	}
	if contacts == "" {
		why := "not mapped — documents need a contact object to be linked to; none was recognised"
		pr.Notes = append(pr.Notes, fmt.Sprintf("%s: %s", e.Name, why))
		fs.Why = why
		pr.Files = append(pr.Files, fs)
		return
	}
	name := uniqueName(objectName(e.Name), used)
	used[name] = true
	obj := DocumentsObject(name, e.Name, contacts)
	index := uniqueName(name+"_index", used)
	used[index] = true
	pr.Map.Objects = append(pr.Map.Objects, obj, DocumentsIndexObject(index, e.Name, contacts))
	pr.Notes = append(pr.Notes, fmt.Sprintf("%s: %s", e.Name, documentsWhy))
	fs.Object, fs.Target, fs.Confidence, fs.Why = obj.Name, TargetMedia, 1, documentsWhy
	pr.Files = append(pr.Files, fs)
}
