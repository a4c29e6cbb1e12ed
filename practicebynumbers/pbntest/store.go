package pbntest

import (
	"slices"
	"sync"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// store is the simulator's live dataset: the generated practice (immutable,
// built on demand) plus an overlay of what Mutate changed. Memory grows with
// the number of changes, never with the practice.
type store struct {
	p *Practice

	mu        sync.RWMutex
	extra     int                              // patients added beyond p.patients
	over      map[pbn.Entity]map[int64]any     // current version of changed or created records
	overIDs   map[pbn.Entity][]int64           // sorted keys of over, per entity
	byPatient map[pbn.Entity]map[int64][]int64 // overlay child ids per patient id, sorted
	deleted   map[pbn.Entity]map[int64]bool
	deletions []pbn.Deletion // ordered by (deletedAt, entity, id)
	created   map[pbn.Entity]int

	countsOnce sync.Once
	baseCounts map[pbn.Entity]int
}

func newStore(p *Practice) *store {
	return &store{
		p:         p,
		over:      map[pbn.Entity]map[int64]any{},
		overIDs:   map[pbn.Entity][]int64{},
		byPatient: map[pbn.Entity]map[int64][]int64{},
		deleted:   map[pbn.Entity]map[int64]bool{},
		created:   map[pbn.Entity]int{},
	}
}

func (s *store) patientLimit() int64 { return int64(s.p.patients + s.extra) }

// put records the current version of rec (caller holds the write lock).
func (s *store) put(e pbn.Entity, rec any) {
	id := recordID(rec)
	m := s.over[e]
	if m == nil {
		m = map[int64]any{}
		s.over[e] = m
	}
	if _, ok := m[id]; !ok {
		s.overIDs[e] = insertSorted(s.overIDs[e], id)
		if e.PatientOwned() {
			bp := s.byPatient[e]
			if bp == nil {
				bp = map[int64][]int64{}
				s.byPatient[e] = bp
			}
			pid := id / childStride
			bp[pid] = insertSorted(bp[pid], id)
		}
	}
	m[id] = rec
}

func insertSorted(xs []int64, id int64) []int64 {
	i, found := slices.BinarySearch(xs, id)
	if found {
		return xs
	}
	return slices.Insert(xs, i, id)
}

func (s *store) isDeleted(e pbn.Entity, id int64) bool { return s.deleted[e][id] }

// patientChildren returns the live records of patient-owned entity e for
// patient pid, in id order (caller holds a read lock).
func (s *store) patientChildren(e pbn.Entity, pid int64) []any {
	var base []any
	if pid >= 1 && pid <= int64(s.p.patients) {
		ch := s.p.chart(int(pid-1), partOf(e))
		base = chartRecords(&ch, e)
	}
	extra := s.byPatient[e][pid]
	if len(extra) == 0 && len(s.deleted[e]) == 0 && len(s.over[e]) == 0 {
		return base
	}
	out := make([]any, 0, len(base)+len(extra))
	over := s.over[e]
	k := 0
	for _, rec := range base {
		id := recordID(rec)
		for k < len(extra) && extra[k] < id {
			out = s.appendLive(out, e, extra[k], over[extra[k]])
			k++
		}
		if k < len(extra) && extra[k] == id {
			k++
		}
		if v, ok := over[id]; ok {
			rec = v
		}
		out = s.appendLive(out, e, id, rec)
	}
	for ; k < len(extra); k++ {
		out = s.appendLive(out, e, extra[k], over[extra[k]])
	}
	return out
}

func (s *store) appendLive(out []any, e pbn.Entity, id int64, rec any) []any {
	if s.isDeleted(e, id) {
		return out
	}
	return append(out, rec)
}

// patient returns the live patient pid.
func (s *store) patient(pid int64) (pbn.Patient, bool) {
	if pid < 1 || pid > s.patientLimit() || s.isDeleted(pbn.EntityPatients, pid) {
		return pbn.Patient{}, false
	}
	if v, ok := s.over[pbn.EntityPatients][pid]; ok {
		return v.(pbn.Patient), true
	}
	if pid > int64(s.p.patients) {
		return pbn.Patient{}, false
	}
	return s.p.patientAt(int(pid - 1)), true
}

// get returns the live record e/id.
func (s *store) get(e pbn.Entity, id int64) (any, bool) {
	if id < 1 || s.isDeleted(e, id) {
		return nil, false
	}
	switch {
	case e == pbn.EntityPatients:
		return s.patient(id)
	case e.PatientOwned():
		for _, rec := range s.patientChildren(e, id/childStride) {
			if recordID(rec) == id {
				return rec, true
			}
		}
		return nil, false
	}
	if v, ok := s.over[e][id]; ok {
		return v, true
	}
	for _, rec := range s.p.referenceRecords(e) {
		if recordID(rec) == id {
			return rec, true
		}
	}
	return nil, false
}

// listQuery is one page request.
type listQuery struct {
	entity    pbn.Entity
	after     int64 // resume after this id
	limit     int
	since     time.Time // zero: no filter
	patientID int64     // 0: all patients
}

// maxScanPatients bounds the work of one page of a filtered full scan: the
// page may come back short (even empty) with a cursor, as the contract
// allows.
const maxScanPatients = 2000

// list returns one page and the id to resume after (0 when done).
func (s *store) list(q listQuery) (page []any, next int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keep := func(rec any) bool { return q.since.IsZero() || !recordUpdated(rec).Before(q.since) }

	// A delta after the export instant can only match changed records.
	if !q.since.IsZero() && q.since.After(s.p.asOf) {
		return s.listOverlay(q, keep)
	}
	switch {
	case q.entity == pbn.EntityPatients:
		start := q.after + 1
		if q.patientID != 0 {
			return nil, 0
		}
		scanned := 0
		for pid := start; pid <= s.patientLimit(); pid++ {
			if scanned == maxScanPatients {
				return page, pid - 1
			}
			scanned++
			pt, ok := s.patient(pid)
			if ok && keep(pt) {
				page = append(page, pt)
				if len(page) == q.limit {
					return page, s.nextOrDone(pid, pid)
				}
			}
		}
		return page, 0
	case q.entity.PatientOwned():
		first, last := max(1, q.after/childStride), s.patientLimit()
		if q.patientID != 0 {
			first, last = max(first, q.patientID), min(last, q.patientID)
		}
		scanned := 0
		for pid := first; pid <= last; pid++ {
			if scanned == maxScanPatients {
				return page, pid*childStride - 1
			}
			scanned++
			recs := s.patientChildren(q.entity, pid)
			for i, rec := range recs {
				id := recordID(rec)
				if id <= q.after || !keep(rec) {
					continue
				}
				page = append(page, rec)
				if len(page) == q.limit {
					if i == len(recs)-1 && pid == last {
						return page, 0
					}
					return page, id
				}
			}
		}
		return page, 0
	default:
		recs := s.p.referenceRecords(q.entity)
		for i, rec := range recs {
			id := recordID(rec)
			if id <= q.after || s.isDeleted(q.entity, id) {
				continue
			}
			if v, ok := s.over[q.entity][id]; ok {
				rec = v
			}
			if !keep(rec) {
				continue
			}
			page = append(page, rec)
			if len(page) == q.limit && i < len(recs)-1 {
				return page, id
			}
		}
		return page, 0
	}
}

func (s *store) nextOrDone(lastServed, pid int64) int64 {
	if pid >= s.patientLimit() {
		return 0
	}
	return lastServed
}

func (s *store) listOverlay(q listQuery, keep func(any) bool) (page []any, next int64) {
	ids := s.overIDs[q.entity]
	i, _ := slices.BinarySearch(ids, q.after+1)
	for ; i < len(ids); i++ {
		id := ids[i]
		if s.isDeleted(q.entity, id) {
			continue
		}
		if q.patientID != 0 && id/childStride != q.patientID {
			continue
		}
		rec := s.over[q.entity][id]
		if !keep(rec) {
			continue
		}
		page = append(page, rec)
		if len(page) == q.limit && i < len(ids)-1 {
			return page, id
		}
	}
	return page, 0
}

// deletionsPage returns deletions from offset on.
func (s *store) deletionsPage(offset, limit int, since time.Time, entity pbn.Entity) (page []pbn.Deletion, next int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := offset; i < len(s.deletions); i++ {
		d := s.deletions[i]
		if (!since.IsZero() && d.DeletedAt.Before(since)) || (entity != "" && d.Entity != entity) {
			continue
		}
		page = append(page, d)
		if len(page) == limit && i < len(s.deletions)-1 {
			return page, i + 1
		}
	}
	return page, 0
}

// counts returns live counts per entity.
func (s *store) counts() map[pbn.Entity]int64 {
	s.countsOnce.Do(func() { s.baseCounts = s.p.Counts() })
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[pbn.Entity]int64{}
	for _, e := range pbn.Entities() {
		out[e] = int64(s.baseCounts[e] + s.created[e] - len(s.deleted[e]))
	}
	return out
}
