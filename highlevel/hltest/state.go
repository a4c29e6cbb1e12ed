package hltest

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// state is everything Reset forgets.
type state struct {
	locs  map[string]*location
	order []string
	auth  authStore
	// limits counts requests per (app, resource); see ratelimit.go.
	limits limits
	// owner maps every id ever issued to its location, so a request for
	// another location's object is told 403, not 404, without taking
	// another location's lock. Kept only when the simulator serves several
	// locations (multi): with one, no id is another location's.
	owner owners
	multi bool
}

// foreign reports whether id belongs to a location other than l.
func (st *state) foreign(l *location, id string) bool {
	o, ok := st.owner.load(id)
	return ok && o != l
}

// relKey names a relation by association and its two records: the
// relation's own strings, no key string made per relation.
type relKey struct{ association, first, second string }

// owners maps ids to locations by 64-bit hashes of the ids, in shards: a
// row is about 20 bytes where a sync.Map entry took about 150 (the
// simulator holds one per object). Two ids of a run colliding is about 1
// in 10^8 at a million objects, and would only turn a 404 into a 403.
type owners struct {
	seed   maphash.Seed
	shards [16]ownerShard
}

type ownerShard struct {
	mu sync.RWMutex
	m  map[uint64]*location
}

func newOwners() owners { return owners{seed: maphash.MakeSeed()} }

func (o *owners) shard(id string) (*ownerShard, uint64) {
	h := maphash.String(o.seed, id)
	return &o.shards[h%uint64(len(o.shards))], h
}

func (o *owners) store(id string, l *location) {
	s, h := o.shard(id)
	s.mu.Lock()
	if s.m == nil {
		s.m = map[uint64]*location{}
	}
	s.m[h] = l
	s.mu.Unlock()
}

func (o *owners) load(id string) (*location, bool) {
	s, h := o.shard(id)
	s.mu.RLock()
	l, ok := s.m[h]
	s.mu.RUnlock()
	return l, ok
}

// location is one sub-account's data. Its RWMutex guards every table; a
// request touches one location, so locations never contend.
type location struct {
	mu  sync.RWMutex
	st  *state
	cfg Location
	seq uint64
	// lastAdded is the latest creation stamp handed out (see newMeta).
	lastAdded time.Time

	contacts   *table[*contact]
	byEmail    map[string][]*contact
	byPhone    map[string][]*contact
	businesses *table[*business]
	notes      *table[*note]
	tasks      *table[*task]
	fields     *table[*customField] // location custom fields and Custom Fields V2
	folders    *table[*fieldFolder]
	schemas    map[string]*objectSchema // by key
	records    map[string]*table[*record]
	assocs     *table[*association]
	relations  *table[*relation]
	notesOf    multiIndex[*note]     // by contact id
	tasksOf    multiIndex[*task]     // by contact id
	relsOf     multiIndex[*relation] // by record id (both ends)
	relByKey   map[relKey]*relation
	oppsOf     multiIndex[*opportunity] // by contact id
	pipelines  *table[*pipeline]
	opps       *table[*opportunity]
	media      *table[*mediaFile]
	// calendars.go and conversations.go
	calendars     *table[*calendar]
	events        *table[*event]
	eventsOf      multiIndex[*event] // by contact id
	bySlot        multiIndex[*event] // by calendar and start day (slotKey)
	longestEvent  map[string]time.Duration
	notifications []Notification
	conversations *table[*conversation]
	convOf        map[string]*conversation // by contact id
	messages      *table[*message]
	messagesOf    multiIndex[*message] // by conversation id
}

func (s *Server) newState() *state {
	st := &state{locs: map[string]*location{}, owner: newOwners(), multi: len(s.opts.Locations) > 1}
	st.auth.init()
	for _, cfg := range s.opts.Locations {
		l := &location{
			st:         st,
			cfg:        cfg,
			contacts:   newTable[*contact](),
			byEmail:    map[string][]*contact{},
			byPhone:    map[string][]*contact{},
			businesses: newTable[*business](),
			notes:      newTable[*note](),
			tasks:      newTable[*task](),
			fields:     newTable[*customField](),
			folders:    newTable[*fieldFolder](),
			schemas:    map[string]*objectSchema{},
			records:    map[string]*table[*record]{},
			assocs:     newTable[*association](),
			relations:  newTable[*relation](),
			notesOf:    multiIndex[*note]{},
			tasksOf:    multiIndex[*task]{},
			relsOf:     multiIndex[*relation]{},
			relByKey:   map[relKey]*relation{},
			oppsOf:     multiIndex[*opportunity]{},
			pipelines:  newTable[*pipeline](),
			opps:       newTable[*opportunity](),
			media:      newTable[*mediaFile](),

			calendars:     newTable[*calendar](),
			events:        newTable[*event](),
			eventsOf:      multiIndex[*event]{},
			bySlot:        multiIndex[*event]{},
			longestEvent:  map[string]time.Duration{},
			conversations: newTable[*conversation](),
			convOf:        map[string]*conversation{},
			messages:      newTable[*message](),
			messagesOf:    multiIndex[*message]{},
		}
		s.seedStandardObjects(l)
		st.locs[cfg.ID] = l
		st.order = append(st.order, cfg.ID)
		if cfg.Token != "" {
			st.auth.access[cfg.Token] = &principal{userType: "Location", locationID: cfg.ID, companyID: s.opts.CompanyID, pit: true,
				app: Token{Value: cfg.Token}.appOf()}
		}
	}
	s.addTokens(st)
	return st
}

// newMeta stamps a new object. Callers hold l.mu for writing. Stamps never
// go backwards within a location: a write that took its time under load
// (or was applied late) is not dated before one committed ahead of it, so
// creation order and dateAdded order agree and a searchAfter cursor never
// has a record slip in behind it.
func (s *Server) newMeta(l *location, now time.Time) meta {
	if now.Before(l.lastAdded) {
		now = l.lastAdded
	}
	l.lastAdded = now
	l.seq++
	id := s.ids.next()
	if l.st.multi {
		l.st.owner.store(id, l)
	}
	return meta{id: id, seq: l.seq, added: now, updated: now, visibleAt: now.Add(s.opts.SearchLag)}
}

// touch marks an update; the search index catches up after SearchLag.
func (s *Server) touch(m *meta, now time.Time) {
	m.updated = now
	m.visibleAt = now.Add(s.opts.SearchLag)
}

// principal is who a bearer token speaks for.
type principal struct {
	userType   string // "Location" or "Company"
	locationID string
	companyID  string
	expires    time.Time // zero: never (Private Integration tokens)
	clientID   string
	pit        bool
	// app is what the rate limits count by: the OAuth client id, or the
	// Private Integration (see Token.App).
	app string
	// bucket caches the (app, resource) counters; see limits.of.
	bucket atomic.Pointer[bucket]
}

type authCode struct {
	clientID, userType, locationID, redirectURI string
	expires                                     time.Time
}

type refreshGrant struct {
	clientID, userType, locationID, companyID string
	expires                                   time.Time
}

type authStore struct {
	mu      sync.RWMutex
	access  map[string]*principal
	refresh map[string]*refreshGrant
	codes   map[string]*authCode
}

func (a *authStore) init() {
	a.access = map[string]*principal{}
	a.refresh = map[string]*refreshGrant{}
	a.codes = map[string]*authCode{}
}

// authenticate resolves the bearer token, checks Version and that the
// token may call this route.
func (s *Server) authenticate(c *call) *apiError {
	tok := bearer(c.r)
	if tok == "" {
		return errUnauthorized("Unauthorized")
	}
	c.st.auth.mu.RLock()
	p := c.st.auth.access[tok]
	c.st.auth.mu.RUnlock()
	if p == nil {
		if strings.HasPrefix(tok, "pit-") {
			return errUnauthorized(msgInvalidPIT)
		}
		return errUnauthorized(msgInvalidJWT)
	}
	if !p.expires.IsZero() && !c.now.Before(p.expires) {
		return errUnauthorized(msgInvalidJWT)
	}
	if err := checkVersion(c.r); err != nil {
		return err
	}
	c.p = p
	if p.userType == "Company" {
		if !c.route.agency {
			return errUnauthorized(msgScopeUnauthorized)
		}
		return nil
	}
	c.loc = c.st.locs[p.locationID]
	if c.loc == nil {
		return errUnauthorized(msgInvalidJWT)
	}
	return nil
}
