package hltest

import (
	"time"
)

// activity is a note or a task: an object that lives under one contact,
// addressed by the contact's id and its own in the path.
type activity interface {
	object
	contact() string
	json() map[string]any
}

func (n *note) contact() string { return n.contactID }
func (t *task) contact() string { return t.contactID }

// ofContact finds the activity the path's idParam names in t, under the
// path's contact: one of another contact is not found, as HighLevel
// answers.
func ofContact[T activity](s *Server, c *call, t *table[T], idParam, what string) (T, *apiError) {
	var zero T
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return zero, err
	}
	id := c.param(idParam)
	v, found := t.get(id)
	if !found || v.contact() != ct.id {
		return zero, errBadRequest("%s with id %s not found", what, id)
	}
	return v, nil
}

// listOfContact answers the path's contact's activities of index x, in
// creation order, under key.
func listOfContact[T activity](s *Server, c *call, x multiIndex[T], key string) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	out := []map[string]any{}
	for _, v := range x.list(ct.id) {
		out = append(out, v.json())
	}
	return ok(map[string]any{key: out})
}

// removeOfContact deletes v from its table and its contact's index (the
// caller holds the location's lock).
func removeOfContact[T activity](t *table[T], x multiIndex[T], v T) (response, *apiError) {
	t.remove(v.base().id)
	x.del(v.contact(), v)
	return ok(map[string]any{"succeded": true})
}

type note struct {
	meta
	contactID, body, userID, title, color string
	pinned                                bool
}

func (n *note) json() map[string]any {
	out := map[string]any{"id": n.id, "body": n.body, "contactId": n.contactID, "dateAdded": iso(n.added), "pinned": n.pinned}
	if n.userID != "" {
		out["userId"] = n.userID
	}
	if n.title != "" {
		out["title"] = n.title
	}
	if n.color != "" {
		out["color"] = n.color
	}
	return out
}

var noteDTO = newDTO(
	field{name: "userId", kind: kString},
	field{name: "body", kind: kString, required: true},
	field{name: "title", kind: kString},
	field{name: "color", kind: kString},
	field{name: "pinned", kind: kBool},
)

var updateNoteDTO = noteDTO.with(field{name: "body", kind: kString})

func (n *note) apply(m map[string]any) {
	if has(m, "body") {
		n.body = str(m, "body")
	}
	if has(m, "userId") {
		n.userID = str(m, "userId")
	}
	if has(m, "title") {
		n.title = str(m, "title")
	}
	if has(m, "color") {
		n.color = str(m, "color")
	}
	if has(m, "pinned") {
		n.pinned = boolean(m, "pinned")
	}
}

func (s *Server) createNote(c *call) (response, *apiError) {
	m, err := noteDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	if u := str(m, "userId"); u != "" && !s.userInLocation(u, l.cfg.ID) {
		return fail(errBadRequest("User with id %s not found in this location", u))
	}
	n := &note{meta: s.newMeta(l, c.now), contactID: ct.id}
	n.apply(m)
	l.notes.put(n)
	l.notesOf.add(ct.id, n)
	return created(map[string]any{"note": n.json()})
}

func (s *Server) noteFor(c *call) (*note, *apiError) {
	return ofContact(s, c, c.loc.notes, "id", "Note")
}

func (s *Server) listNotes(c *call) (response, *apiError) {
	return listOfContact(s, c, c.loc.notesOf, "notes")
}

func (s *Server) getNote(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	n, err := s.noteFor(c)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"note": n.json()})
}

func (s *Server) updateNote(c *call) (response, *apiError) {
	m, err := updateNoteDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	n, err := s.noteFor(c)
	if err != nil {
		return fail(err)
	}
	n.apply(m)
	s.touch(&n.meta, c.now)
	return ok(map[string]any{"note": n.json()})
}

func (s *Server) deleteNote(c *call) (response, *apiError) {
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	n, err := s.noteFor(c)
	if err != nil {
		return fail(err)
	}
	return removeOfContact(c.loc.notes, c.loc.notesOf, n)
}

type task struct {
	meta
	contactID, title, body, assignedTo string
	due                                time.Time
	completed                          bool
}

func (t *task) json() map[string]any {
	out := map[string]any{"id": t.id, "title": t.title, "contactId": t.contactID,
		"dueDate": iso(t.due), "completed": t.completed}
	if t.body != "" {
		out["body"] = t.body
	}
	if t.assignedTo != "" {
		out["assignedTo"] = t.assignedTo
	}
	return out
}

var createTaskDTO = newDTO(
	field{name: "title", kind: kString, required: true},
	field{name: "body", kind: kString},
	field{name: "dueDate", kind: kString, required: true},
	field{name: "completed", kind: kBool, required: true},
	field{name: "assignedTo", kind: kString},
)

var updateTaskDTO = newDTO(
	field{name: "title", kind: kString},
	field{name: "body", kind: kString},
	field{name: "dueDate", kind: kString},
	field{name: "completed", kind: kBool},
	field{name: "assignedTo", kind: kString},
)

var taskStatusDTO = newDTO(field{name: "completed", kind: kBool, required: true})

func (s *Server) applyTask(t *task, m map[string]any, locID string) *apiError {
	if has(m, "dueDate") {
		d, err := time.Parse(time.RFC3339, str(m, "dueDate"))
		if err != nil {
			return errUnprocessable("dueDate must be a valid ISO 8601 date string")
		}
		t.due = d
	}
	if u := str(m, "assignedTo"); u != "" && !s.userInLocation(u, locID) {
		return errBadRequest("User with id %s not found in this location", u)
	}
	if has(m, "title") {
		t.title = str(m, "title")
	}
	if has(m, "body") {
		t.body = str(m, "body")
	}
	if has(m, "completed") {
		t.completed = boolean(m, "completed")
	}
	if has(m, "assignedTo") {
		t.assignedTo = str(m, "assignedTo")
	}
	return nil
}

func (s *Server) createTask(c *call) (response, *apiError) {
	m, err := createTaskDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	t := &task{contactID: ct.id}
	if err := s.applyTask(t, m, l.cfg.ID); err != nil {
		return fail(err)
	}
	t.meta = s.newMeta(l, c.now)
	l.tasks.put(t)
	l.tasksOf.add(ct.id, t)
	return created(map[string]any{"task": t.json()})
}

func (s *Server) taskFor(c *call) (*task, *apiError) {
	return ofContact(s, c, c.loc.tasks, "taskId", "Task")
}

func (s *Server) listTasks(c *call) (response, *apiError) {
	return listOfContact(s, c, c.loc.tasksOf, "tasks")
}

func (s *Server) getTask(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	t, err := s.taskFor(c)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"task": t.json()})
}

func (s *Server) updateTask(c *call) (response, *apiError) {
	return s.changeTask(c, updateTaskDTO)
}

func (s *Server) completeTask(c *call) (response, *apiError) {
	return s.changeTask(c, taskStatusDTO)
}

func (s *Server) changeTask(c *call, d *dto) (response, *apiError) {
	m, err := d.decode(c.body)
	if err != nil {
		return fail(err)
	}
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	t, err := s.taskFor(c)
	if err != nil {
		return fail(err)
	}
	if err := s.applyTask(t, m, c.loc.cfg.ID); err != nil {
		return fail(err)
	}
	s.touch(&t.meta, c.now)
	return ok(map[string]any{"task": t.json()})
}

func (s *Server) deleteTask(c *call) (response, *apiError) {
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	t, err := s.taskFor(c)
	if err != nil {
		return fail(err)
	}
	return removeOfContact(c.loc.tasks, c.loc.tasksOf, t)
}
