package pbntest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// MutateOptions say how many changes one Mutate makes.
type MutateOptions struct {
	// Update changes the content of existing records (patients, staff,
	// appointments, procedures, plans, coverages, communications) and bumps
	// their change stamp.
	Update int
	// Create adds records: new patients with their whole chart, and new
	// appointments and messages for existing patients.
	Create int
	// Delete removes appointments, coverages, communications and uploaded
	// documents (they move to the deletions feed). Deleting an appointment
	// detaches its procedures, which counts as an update of each.
	Delete int
	// Touch bumps change stamps without changing content, as PMS bulk
	// programs do (deltas must compare content, not only stamps).
	Touch int
	// SeenElsewhere moves completed appointments to another office of the
	// practice, as when a group's patient is seen at a second office (an
	// update of each; the patient keeps its own office). Generated
	// practices book every visit at the patient's office.
	SeenElsewhere int
}

// Changes is exactly what one Mutate did. Every id listed under Updated,
// Created and Touched now has updatedAt == At; every id under Deleted is in
// the deletions feed with deletedAt == At. An id appears under one heading
// only.
type Changes struct {
	At      time.Time
	Updated map[pbn.Entity][]pbn.Key
	Created map[pbn.Entity][]pbn.Key
	Deleted map[pbn.Entity][]pbn.Key
	Touched map[pbn.Entity][]pbn.Key
}

// Changed returns the ids of e whose records a delta (updated_since <= At)
// must return: updated, created and touched, in ascending order.
func (c Changes) Changed(e pbn.Entity) []pbn.Key {
	out := slices.Concat(c.Updated[e], c.Created[e], c.Touched[e])
	slices.SortFunc(out, pbn.CompareKeys)
	return out
}

// Count returns the number of records changed in any way.
func (c Changes) Count() int {
	n := 0
	for _, m := range []map[pbn.Entity][]pbn.Key{c.Updated, c.Created, c.Deleted, c.Touched} {
		for _, ids := range m {
			n += len(ids)
		}
	}
	return n
}

// Mutate makes n content updates, about n/5 creations, n/10 deletions and
// n/10 spurious touches (each at least one), all stamped with the same
// instant, and returns exactly what changed.
func (s *Simulator) Mutate(n int) Changes {
	n = max(n, 1)
	return s.MutateWith(MutateOptions{Update: n, Create: max(1, n/5), Delete: max(1, n/10), Touch: max(1, n/10)})
}

// MutateWith applies the given changes. It is deterministic for a given
// simulator seed and sequence of calls. The server clock reads at least one
// second past the change stamp afterwards (a floor, not a shift: a clock
// already past it is unchanged), so a delta started from any serverTime
// issued later excludes this mutation.
func (s *Simulator) MutateWith(o MutateOptions) Changes {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	at := s.Now()
	gen := s.mutations.Add(1)
	m := &mutation{st: st, at: at, r: newRNG(st.p.seed, domMutate, uint64(gen)), seen: map[pbn.Entity]map[int64]bool{},
		ch: Changes{At: at, Updated: map[pbn.Entity][]pbn.Key{}, Created: map[pbn.Entity][]pbn.Key{}, Deleted: map[pbn.Entity][]pbn.Key{}, Touched: map[pbn.Entity][]pbn.Key{}}}
	for range o.Delete {
		m.deleteOne()
	}
	for range o.Update {
		m.updateOne()
	}
	for range o.SeenElsewhere {
		m.seenElsewhere()
	}
	for k := range o.Create {
		if k%3 == 0 {
			m.createPatient()
		} else {
			m.createChild()
		}
	}
	for range o.Touch {
		m.touchOne()
	}
	var dels []pbn.Deletion
	for e, ids := range m.ch.Deleted {
		for _, id := range ids {
			dels = append(dels, pbn.Deletion{Entity: e, ID: id, DeletedAt: at})
		}
	}
	slices.SortFunc(dels, func(a, b pbn.Deletion) int {
		if c := strings.Compare(string(a.Entity), string(b.Entity)); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	st.deletions = append(st.deletions, dels...)
	for _, mm := range []map[pbn.Entity][]pbn.Key{m.ch.Updated, m.ch.Created, m.ch.Deleted, m.ch.Touched} {
		for e := range maps.Keys(mm) {
			slices.SortFunc(mm[e], pbn.CompareKeys)
		}
	}
	s.clockMu.Lock()
	if next := at.Add(time.Second); s.floor.Before(next) {
		s.floor = next
	}
	s.clockMu.Unlock()
	return m.ch
}

type mutation struct {
	st   *store
	at   time.Time
	r    rng
	seen map[pbn.Entity]map[int64]bool // records already changed by this mutation
	ch   Changes
}

func (m *mutation) claim(e pbn.Entity, id int64) bool {
	s := m.seen[e]
	if s == nil {
		s = map[int64]bool{}
		m.seen[e] = s
	}
	if s[id] {
		return false
	}
	s[id] = true
	return true
}

// randomPatient picks a live patient id.
func (m *mutation) randomPatient() int64 {
	return int64(1 + m.r.intn(int(m.st.patientLimit())))
}

// randomChild picks a live record of e not yet changed by this mutation.
func (m *mutation) randomChild(e pbn.Entity, ok func(any) bool) (any, bool) {
	for range 50 {
		pid := m.randomPatient()
		recs := m.st.patientChildren(e, pid)
		if len(recs) == 0 {
			continue
		}
		rec := recs[m.r.intn(len(recs))]
		if ok != nil && !ok(rec) {
			continue
		}
		if m.claim(e, recordID(rec)) {
			return rec, true
		}
	}
	return nil, false
}

func (m *mutation) record(heading map[pbn.Entity][]pbn.Key, e pbn.Entity, rec any, created bool) {
	rec = stamped(rec, m.at, created)
	m.st.put(e, rec)
	heading[e] = append(heading[e], kid(recordID(rec)))
}

var mutableEntities = newWeighted(
	wv[pbn.Entity]{pbn.EntityPatients, 40}, wv[pbn.Entity]{pbn.EntityAppointments, 20},
	wv[pbn.Entity]{pbn.EntityProcedures, 10}, wv[pbn.Entity]{pbn.EntityCommunications, 8},
	wv[pbn.Entity]{pbn.EntityCoverages, 8}, wv[pbn.Entity]{pbn.EntityTreatmentPlans, 8},
	wv[pbn.Entity]{pbn.EntityStaff, 6},
)

func (m *mutation) updateOne() {
	r := &m.r
	e := mutableEntities.draw(r)
	switch e {
	case pbn.EntityPatients:
		for range 50 {
			pid := m.randomPatient()
			pt, ok := m.st.patient(pid)
			if !ok || !m.claim(e, pid) {
				continue
			}
			switch r.intn(6) {
			case 0:
				pt.MobilePhone = formatPhone(r, phoneStyles.draw(r), r.between(201, 989), r.between(200, 999), r.intn(10000))
			case 1:
				pt.Email = fmt.Sprintf("%s.%d@%s", asciiLower(pt.FirstName), r.between(1, 999), pick(r, emailDomains))
			case 2:
				pt.Address.Line1 = fmt.Sprintf("%d %s", r.between(1, 29999), pick(r, streetNames))
			case 3:
				if pt.Status == pbn.PatientStatusPatient {
					pt.Status = pbn.PatientStatusInactive
				} else {
					pt.Status = pbn.PatientStatusPatient
				}
			case 4:
				pt.LastName = strings.TrimSpace(pt.LastName) + "-" + pick(r, lastNames)
			default:
				pt.PreferredName = pick(r, []string{"Sunny", "BJ", "Teddy", "Lulu"})
			}
			m.record(m.ch.Updated, e, pt, false)
			return
		}
	case pbn.EntityStaff:
		staff := m.st.p.staff
		for range 20 {
			s := staff[r.intn(len(staff))]
			if v, ok := m.st.over[e][num(s.ID)]; ok {
				s = v.(pbn.Staff)
			}
			if !m.claim(e, num(s.ID)) {
				continue
			}
			s.OfficeIDs = slices.Clone(s.OfficeIDs)
			if s.Email == "" {
				s.Email = emailFor(s.FirstName, s.LastName, "brightsmiles.com", r) // the user list caught up
			} else {
				s.Active = !s.Active
			}
			m.record(m.ch.Updated, e, s, false)
			return
		}
	default:
		rec, ok := m.randomChild(e, nil)
		if !ok {
			return
		}
		switch v := rec.(type) {
		case pbn.Appointment:
			switch v.Status {
			case pbn.AppointmentScheduled:
				v.Status = pick(r, []pbn.AppointmentStatus{pbn.AppointmentComplete, pbn.AppointmentBroken})
			case pbn.AppointmentUnscheduled, pbn.AppointmentPlanned:
				v.Status = pbn.AppointmentScheduled
				v.Start = m.at.Add(time.Duration(r.between(2, 60)) * 24 * time.Hour).Truncate(time.Hour)
			default:
				v.Confirmation = pick(r, confirmations)
				v.Note = strings.TrimSpace(v.Note + "\nRescheduled per pt request")
			}
			rec = v
		case pbn.Procedure:
			if v.Status == pbn.ProcedureTreatmentPlanned {
				v.Status = pbn.ProcedureComplete
				v.Date = pbn.DateOf(m.at)
			} else {
				v.Fee += pbn.Cents(r.between(1, 50) * 100)
			}
			rec = v
		case pbn.Communication:
			v.Subject = strings.TrimSpace(v.Subject + " (edited)")
			rec = v
		case pbn.Coverage:
			v.TermDate = pbn.DateOf(m.at.AddDate(0, 1, 0))
			rec = v
		case pbn.TreatmentPlan:
			v.Stage = "Accepted"
			v.Probability = 100
			v.AcceptedAmount = v.Amount
			rec = v
		}
		m.record(m.ch.Updated, e, rec, false)
	}
}

// seenElsewhere books a completed appointment not yet changed by this
// mutation at another office than the one it was at.
func (m *mutation) seenElsewhere() {
	offices := m.st.p.offices
	if len(offices) < 2 {
		return
	}
	rec, ok := m.randomChild(pbn.EntityAppointments, func(rec any) bool {
		return rec.(pbn.Appointment).Status == pbn.AppointmentComplete
	})
	if !ok {
		return
	}
	a := rec.(pbn.Appointment)
	for {
		if o := offices[m.r.intn(len(offices))].ID; o != a.OfficeID {
			a.OfficeID = o
			break
		}
	}
	m.record(m.ch.Updated, pbn.EntityAppointments, a, false)
}

func (m *mutation) touchOne() {
	for range 50 {
		pid := m.randomPatient()
		pt, ok := m.st.patient(pid)
		if ok && m.claim(pbn.EntityPatients, pid) {
			m.record(m.ch.Touched, pbn.EntityPatients, pt, false)
			return
		}
	}
}

var deletableEntities = []pbn.Entity{pbn.EntityCommunications, pbn.EntityAppointments, pbn.EntityCoverages, pbn.EntityDocuments}

func (m *mutation) deleteOne() {
	e := pick(&m.r, deletableEntities)
	var ok func(any) bool
	if e == pbn.EntityDocuments {
		// Form copies stay: a submission refers to them.
		ok = func(rec any) bool { return rec.(pbn.Document).Category != "Forms" }
	}
	rec, found := m.randomChild(e, ok)
	if !found {
		return
	}
	id := recordID(rec)
	if m.st.deleted[e] == nil {
		m.st.deleted[e] = map[int64]bool{}
	}
	m.st.deleted[e][id] = true
	m.ch.Deleted[e] = append(m.ch.Deleted[e], kid(id))
	if e != pbn.EntityAppointments {
		return
	}
	// Open Dental detaches the procedures of a deleted appointment.
	pid := id / childStride
	for _, prec := range m.st.patientChildren(pbn.EntityProcedures, pid) {
		pr := prec.(pbn.Procedure)
		if num(pr.AppointmentID) != id {
			continue
		}
		pr.AppointmentID = pbn.NoKey
		if m.claim(pbn.EntityProcedures, num(pr.ID)) {
			m.record(m.ch.Updated, pbn.EntityProcedures, pr, false)
		} else {
			// already changed in this mutation: keep its heading, refresh content
			m.st.put(pbn.EntityProcedures, stamped(pr, m.at, false))
		}
	}
}

// createPatient registers a new patient with a whole generated chart.
func (m *mutation) createPatient() {
	st := m.st
	i := st.p.patients + st.extra
	if i >= MaxPatients {
		return
	}
	st.extra++
	ch := st.p.chart(i, partAll)
	add := func(e pbn.Entity, recs []any) {
		for _, rec := range recs {
			m.claim(e, recordID(rec))
			m.record(m.ch.Created, e, rec, true)
			st.created[e]++
		}
	}
	for _, e := range pbn.Entities() {
		if e == pbn.EntityPatients || e.PatientOwned() {
			add(e, chartRecords(&ch, e))
		}
	}
}

// createChild books an appointment or logs a message for an existing
// patient, in the patient's next free id slot.
func (m *mutation) createChild() {
	r := &m.r
	st := m.st
	for range 50 {
		pid := m.randomPatient()
		pt, ok := st.patient(pid)
		if !ok {
			continue
		}
		e := pbn.EntityCommunications
		if r.chance(0.5) {
			e = pbn.EntityAppointments
		}
		j := st.nextFreeSlot(e, pid)
		if j < 0 {
			continue
		}
		id := childID(pid, j)
		var rec any
		if e == pbn.EntityAppointments {
			oi := int(num(pt.OfficeID))
			rec = pbn.Appointment{ID: kid(id), PatientID: kid(pid), OfficeID: pt.OfficeID, ProviderID: pick(r, st.p.dentists[oi]),
				Status: pbn.AppointmentScheduled, Start: m.at.Add(time.Duration(r.between(1, 90)) * 24 * time.Hour).Truncate(time.Hour),
				DurationMinutes: 10 * r.between(3, 9), Confirmation: "Unconfirmed", ProcedureDescription: "PerEx, prophy adult",
				Note: "Booked online"}
		} else {
			rec = pbn.Communication{ID: kid(id), PatientID: kid(pid), OfficeID: pt.OfficeID, Channel: pbn.ChannelSMS,
				Direction: pbn.DirectionInbound, At: m.at, Body: pick(r, smsBodies), Source: "e-services"}
		}
		m.claim(e, id)
		m.record(m.ch.Created, e, rec, true)
		st.created[e]++
		return
	}
}

// nextFreeSlot returns the first child index of pid not used by a
// generated, created or deleted record of e, or -1 when the range is full.
func (s *store) nextFreeSlot(e pbn.Entity, pid int64) int {
	j := 0
	if pid <= int64(s.p.patients) {
		j = s.p.counts(int(pid - 1)).of(e)
	}
	for ; j < maxChildren; j++ {
		id := childID(pid, j)
		if _, used := s.over[e][id]; !used && !s.deleted[e][id] {
			return j
		}
	}
	return -1
}
