package pbntest

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // office time zones must resolve on any machine

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Chart is one patient with every record that belongs to them.
type Chart struct {
	Patient         pbn.Patient
	Appointments    []pbn.Appointment
	Procedures      []pbn.Procedure
	TreatmentPlans  []pbn.TreatmentPlan
	Coverages       []pbn.Coverage
	Communications  []pbn.Communication
	FormSubmissions []pbn.FormSubmission
	Documents       []pbn.Document
}

// part selects which records of a chart to build; unrelated parts use
// independent random streams, so building fewer never changes the others.
type part uint8

const (
	partPatient  part = 1 << iota
	partClinical      // appointments, procedures, treatment plans
	partCoverages
	partComms
	partForms // form submissions and documents
	partAll   = partPatient | partClinical | partCoverages | partComms | partForms
)

func partOf(e pbn.Entity) part {
	switch e {
	case pbn.EntityPatients:
		return partPatient
	case pbn.EntityAppointments, pbn.EntityProcedures, pbn.EntityTreatmentPlans:
		return partClinical
	case pbn.EntityCoverages:
		return partCoverages
	case pbn.EntityCommunications:
		return partComms
	case pbn.EntityFormSubmissions, pbn.EntityDocuments:
		return partForms
	}
	return 0
}

// counts are the number of records of each kind a patient has. They are
// drawn from their own stream, so paging through a child entity can skip
// whole patients without building them.
type counts struct {
	appts, procs, plans, covs, comms, forms, docs int
}

func (c counts) of(e pbn.Entity) int {
	switch e {
	case pbn.EntityPatients:
		return 1
	case pbn.EntityAppointments:
		return c.appts
	case pbn.EntityProcedures:
		return c.procs
	case pbn.EntityTreatmentPlans:
		return c.plans
	case pbn.EntityCoverages:
		return c.covs
	case pbn.EntityCommunications:
		return c.comms
	case pbn.EntityFormSubmissions:
		return c.forms
	case pbn.EntityDocuments:
		return c.docs
	}
	return 0
}

func (p *Practice) counts(i int) counts {
	co := p.core(i)
	r := newRNG(p.seed, domCounts, uint64(i))
	var c counts
	light := co.kind == kindPlaceholder || co.status == pbn.PatientStatusProspective
	if light {
		c.appts = r.between(0, 2)
		c.procs = r.intn(2)
		c.covs = r.intn(2)
		c.comms = r.between(0, 3)
		c.forms = r.intn(2)
	} else {
		// Means tuned so that, with the light patients, a practice averages
		// about 6 appointments, 10 procedures, 1.3 coverages and 15
		// communications per patient.
		c.appts = min(maxChildren, r.poisson(expNeg6_3))
		c.procs = min(maxChildren, r.poisson(expNeg10_5))
		switch x := r.intn(100); {
		case x < 13:
			c.covs = 0
		case x < 55:
			c.covs = 1
		default:
			c.covs = 2
		}
		c.comms = min(maxChildren, r.poisson(expNeg15_8))
		c.forms = min(maxChildren/2, r.poisson(expNeg1_3))
		switch x := r.intn(100); {
		case x < 55:
		case x < 90:
			c.plans = 1
		default:
			c.plans = 2
		}
	}
	c.plans = min(c.plans, c.procs)
	formDocs := 0
	for range c.forms {
		if r.chance(0.8) {
			formDocs++
		}
	}
	c.docs = min(maxChildren, formDocs+r.poisson(expNeg0_7))
	return c
}

// Chart builds patient id's chart. ok is false when id is not a generated
// patient.
func (p *Practice) Chart(patientID int64) (Chart, bool) {
	if patientID < 1 || patientID > int64(p.patients) {
		return Chart{}, false
	}
	return p.chart(int(patientID-1), partAll), true
}

func (p *Practice) chart(i int, parts part) Chart {
	var ch Chart
	pt := p.patientAt(i)
	if parts&partPatient != 0 {
		ch.Patient = pt
	} else {
		ch.Patient = pbn.Patient{ID: pt.ID}
	}
	cnt := p.counts(i)
	x := chartCtx{p: p, i: i, pt: pt, core: p.core(i), cnt: cnt}
	x.loc = p.location(num(pt.OfficeID))
	if parts&partClinical != 0 {
		x.clinical(&ch)
	}
	if parts&partCoverages != 0 {
		x.coverages(&ch)
	}
	if parts&partComms != 0 {
		x.communications(&ch)
	}
	if parts&partForms != 0 {
		x.forms(&ch)
	}
	return ch
}

func (p *Practice) location(officeID int64) *time.Location {
	if officeID < 1 || int(officeID) > len(p.offices) {
		return p.locs[0]
	}
	return p.locs[officeID]
}

type chartCtx struct {
	p    *Practice
	i    int
	pt   pbn.Patient
	core core
	cnt  counts
	loc  *time.Location
}

func childID(patientID int64, j int) int64 { return patientID*childStride + int64(j+1) }

// visitTime returns a plausible office-hours start on a weekday between from
// and to, in UTC.
func (x *chartCtx) visitTime(r *rng, from, to time.Time) time.Time {
	t := between(r, from, to).In(x.loc)
	for t.Weekday() == time.Sunday || t.Weekday() == time.Saturday {
		t = t.AddDate(0, 0, 1)
	}
	slot := r.between(7*4, 16*4+2) // quarter hours 07:00..16:30
	local := time.Date(t.Year(), t.Month(), t.Day(), slot/4, (slot%4)*15, 0, 0, x.loc)
	return local.UTC()
}

func (x *chartCtx) staffFor(r *rng, hygiene bool) int64 {
	oi := int(num(x.pt.OfficeID))
	if hygiene {
		return num(pick(r, x.p.hygienists[oi]))
	}
	if r.chance(0.03) {
		return num(pick(r, x.p.hiddenProv))
	}
	return num(pick(r, x.p.dentists[oi]))
}

var aptKinds = newWeighted(
	wv[pbn.AppointmentStatus]{pbn.AppointmentComplete, 80}, // or Scheduled/Broken, by date
	wv[pbn.AppointmentStatus]{pbn.AppointmentPlanned, 7},
	wv[pbn.AppointmentStatus]{pbn.AppointmentUnscheduled, 6},
	wv[pbn.AppointmentStatus]{pbn.AppointmentPtNote, 4},
	wv[pbn.AppointmentStatus]{pbn.AppointmentPtNoteCompleted, 3},
)

var confirmations = []string{"Confirmed", "Unconfirmed", "Left Msg", "Texted", "E-mailed", "Arrived", "Not Called", ""}

var procStatuses = newWeighted(
	wv[pbn.ProcedureStatus]{pbn.ProcedureComplete, 72},
	wv[pbn.ProcedureStatus]{pbn.ProcedureTreatmentPlanned, 8},
	wv[pbn.ProcedureStatus]{pbn.ProcedureExistingCurrent, 5},
	wv[pbn.ProcedureStatus]{pbn.ProcedureExistingOther, 3},
	wv[pbn.ProcedureStatus]{pbn.ProcedureCondition, 3},
	wv[pbn.ProcedureStatus]{pbn.ProcedureDeleted, 5},
	wv[pbn.ProcedureStatus]{pbn.ProcedureReferred, 2},
	wv[pbn.ProcedureStatus]{pbn.ProcedureTPInactive, 2},
)

var planStatuses = newWeighted(
	wv[pbn.TreatmentPlanStatus]{pbn.TreatmentPlanActive, 50},
	wv[pbn.TreatmentPlanStatus]{pbn.TreatmentPlanSaved, 35},
	wv[pbn.TreatmentPlanStatus]{pbn.TreatmentPlanInactive, 15},
)

func (x *chartCtx) clinical(ch *Chart) {
	r := newRNG(x.p.seed, domAppointments, uint64(x.i))
	pid := x.pt.ID
	start := x.pt.CreatedAt
	asOf := x.p.asOf
	isChild := x.pt.BirthDate != (pbn.Date{}) && x.pt.BirthDate.Year() > asOf.Year()-13

	appts := make([]pbn.Appointment, x.cnt.appts)
	for j := range appts {
		a := pbn.Appointment{ID: kid(childID(num(pid), j)), PatientID: pid, OfficeID: x.pt.OfficeID}
		a.IsHygiene = r.chance(0.5)
		a.ProviderID = kid(x.staffFor(&r, false))
		if a.IsHygiene {
			a.HygienistID = kid(x.staffFor(&r, true))
		}
		a.DurationMinutes = 10 * r.between(3, 12)
		a.Status = aptKinds.draw(&r)
		if x.core.status == pbn.PatientStatusProspective || x.core.kind == kindPlaceholder {
			a.Status = pbn.AppointmentScheduled
		}
		var when time.Time
		switch a.Status {
		case pbn.AppointmentPlanned, pbn.AppointmentUnscheduled:
			// not on the schedule: no start time
		default:
			when = x.visitTime(&r, start, asOf.AddDate(0, 6, 0))
			if a.Status == pbn.AppointmentComplete || a.Status == pbn.AppointmentScheduled {
				switch {
				case when.After(asOf):
					a.Status = pbn.AppointmentScheduled
				case r.chance(0.1):
					a.Status = pbn.AppointmentBroken
				default:
					a.Status = pbn.AppointmentComplete
				}
			}
		}
		a.Start = when
		if !when.IsZero() {
			a.Confirmation = pick(&r, confirmations)
		}
		created := when.AddDate(0, 0, -r.between(1, 120))
		if when.IsZero() || created.Before(start) {
			created = between(&r, start, asOf)
		}
		if created.After(asOf) {
			created = asOf
		}
		a.CreatedAt = created
		upd := when.Add(time.Duration(a.DurationMinutes) * time.Minute)
		if when.IsZero() || upd.After(asOf) || upd.Before(created) {
			upd = between(&r, created, asOf)
		}
		a.UpdatedAt = upd
		appts[j] = a
	}
	// Chronological order, then the first completed visit is the new-patient visit.
	slices.SortStableFunc(appts, func(a, b pbn.Appointment) int { return a.Start.Compare(b.Start) })
	for j := range appts {
		appts[j].ID = kid(childID(num(pid), j))
	}
	for j := range appts {
		if appts[j].Status == pbn.AppointmentComplete {
			appts[j].IsNewPatient = true
			break
		}
	}
	var completed, scheduled []int
	for j, a := range appts {
		switch a.Status {
		case pbn.AppointmentComplete:
			completed = append(completed, j)
		case pbn.AppointmentScheduled:
			scheduled = append(scheduled, j)
		}
	}

	rp := newRNG(x.p.seed, domProcedures, uint64(x.i))
	// float64(...) around products forbids fused multiply-add (Go may fuse on
	// arm64), so every platform computes the same fees.
	feeScale := 0.9 + float64(0.05*float64(num(x.pt.OfficeID)%5))
	procs := make([]pbn.Procedure, x.cnt.procs)
	plans := make([]pbn.TreatmentPlan, x.cnt.plans)
	planPipes := make([]int, len(plans))
	for k := range plans {
		planPipes[k] = rp.intn(len(pipelines))
	}
	descByAppt := make([][]string, len(appts))
	for j := range procs {
		pr := pbn.Procedure{ID: kid(childID(num(pid), j)), PatientID: pid, OfficeID: x.pt.OfficeID}
		var code cdtCode
		if j < len(plans) {
			// every plan holds at least one treatment-planned procedure
			pr.Status = pbn.ProcedureTreatmentPlanned
		} else {
			pr.Status = procStatuses.draw(&rp)
		}
		switch x := rp.intn(100); {
		case x < 3:
			code = pick(&rp, customCodes)
		case x < 6:
			code = pick(&rp, deletedCodes)
		default:
			code = pick(&rp, cdtCodes)
		}
		planIdx := -1
		if pr.Status == pbn.ProcedureTreatmentPlanned && len(plans) > 0 && (j < len(plans) || rp.chance(0.6)) {
			planIdx = j % len(plans)
			code = codeByName(pick(&rp, pipelines[planPipes[planIdx]].codes))
		}
		if isChild && code.code == "D1110" {
			code = codeByName("D1120")
		}
		pr.Code, pr.Description = code.code, code.descript
		if rp.chance(0.05) {
			pr.Description = strings.ToUpper(code.descript)
		}
		pr.Fee = pbn.Cents(int64(float64(code.fee)*feeScale/100) * 100)
		if code.tooth {
			if isChild {
				pr.Tooth = string(rune('A' + rp.intn(20)))
			} else {
				pr.Tooth = fmt.Sprint(rp.between(1, 32))
			}
			if code.surfaces {
				pr.Surface = pick(&rp, surfaces)
			}
		}
		pr.ProviderID = kid(x.staffFor(&rp, code.hygiene))
		switch pr.Status {
		case pbn.ProcedureComplete, pbn.ProcedureDeleted:
			if len(completed) > 0 && rp.chance(0.9) {
				aj := pick(&rp, completed)
				pr.AppointmentID = appts[aj].ID
				pr.Date = pbn.DateOf(appts[aj].Start.In(x.loc))
				pr.ProviderID = appts[aj].ProviderID
				if code.hygiene && appts[aj].HygienistID != pbn.NoKey {
					pr.ProviderID = appts[aj].HygienistID
				}
				if pr.Status == pbn.ProcedureComplete {
					descByAppt[aj] = append(descByAppt[aj], code.abbr)
				}
			} else {
				pr.Date = pbn.DateOf(between(&rp, start, asOf).In(x.loc))
			}
		case pbn.ProcedureTreatmentPlanned:
			if planIdx < 0 && len(scheduled) > 0 {
				aj := pick(&rp, scheduled)
				pr.AppointmentID = appts[aj].ID
				pr.Date = pbn.DateOf(appts[aj].Start.In(x.loc))
				descByAppt[aj] = append(descByAppt[aj], code.abbr)
			}
			// otherwise 0001-01-01: treatment-planned, not yet dated
		case pbn.ProcedureExistingCurrent, pbn.ProcedureExistingOther, pbn.ProcedureCondition:
			pr.Fee = 0
			if rp.chance(0.5) {
				pr.Date = pbn.DateOf(between(&rp, start, asOf).In(x.loc))
			}
		default:
			pr.Date = pbn.DateOf(between(&rp, start, asOf).In(x.loc))
		}
		if rp.chance(0.06) {
			pr.Note = pick(&rp, procNotes)
		}
		pr.CreatedAt = between(&rp, start, asOf)
		if pr.AppointmentID != pbn.NoKey {
			pr.CreatedAt = appts[(num(pr.AppointmentID)%childStride)-1].CreatedAt
		}
		pr.UpdatedAt = between(&rp, pr.CreatedAt, asOf)
		if planIdx >= 0 {
			plans[planIdx].ProcedureIDs = append(plans[planIdx].ProcedureIDs, pr.ID)
			plans[planIdx].Amount += pr.Fee
			pr.TreatmentPlanID = kid(childID(num(pid), planIdx))
		}
		procs[j] = pr
	}
	for aj := range appts {
		appts[aj].ProcedureDescription = strings.Join(descByAppt[aj], ", ")
		if rp.chance(0.18) {
			appts[aj].Note = x.p.appointmentNote(&rp, appts[aj], procs)
		}
	}
	for k := range plans {
		pl := &plans[k]
		pipe := pipelines[planPipes[k]]
		pl.ID, pl.PatientID, pl.OfficeID = kid(childID(num(pid), k)), pid, x.pt.OfficeID
		pl.Pipeline = pipe.name
		pl.Stage = pick(&rp, pipe.stages)
		pl.Status = planStatuses.draw(&rp)
		pl.Probability = stageProbability[pl.Stage]
		switch pl.Stage {
		case "Accepted":
			pl.AcceptedAmount = pl.Amount
		case "Scheduled", "Financing":
			pl.AcceptedAmount = pbn.Cents(int64(pl.Amount) / 200 * 100)
		}
		if pl.Stage == "Declined" {
			pl.Status = pbn.TreatmentPlanInactive
		}
		presented := between(&rp, start, asOf)
		pl.PresentedOn = pbn.DateOf(presented.In(x.loc))
		if rp.chance(0.05) {
			pl.PresentedOn = pbn.Date{}
		}
		pl.Heading = fmt.Sprintf("%s plan %d", pipe.name, presented.Year())
		if rp.chance(0.5) {
			pl.StaffID = pick(&rp, x.p.users[int(num(x.pt.OfficeID))])
		} else {
			pl.StaffID = pick(&rp, x.p.dentists[int(num(x.pt.OfficeID))])
		}
		if rp.chance(0.3) {
			pl.Note = pick(&rp, planNotes)
		}
		pl.CreatedAt = presented
		pl.UpdatedAt = between(&rp, presented, asOf)
	}
	ch.Appointments, ch.Procedures, ch.TreatmentPlans = appts, procs, plans
}

var procNotes = []string{
	"Pt tolerated well.", "Anesthetic: 1 carp 2% lido 1:100k", "Recement next visit", "Ins denied - see EOB",
	"Fractured cusp DL.\nMonitor.", "Referred to Dr. Okafor (endo)", "Shade A2",
}

var planNotes = []string{
	"Pt wants to wait for new insurance year.", "Phased: start with #14 crown.", "Financing via CareCredit discussed",
	"Pt declined, cost.", "Presented by TC; follow up in 2 weeks.\nSpouse to attend consult.",
}

func codeByName(code string) cdtCode {
	for _, c := range cdtCodes {
		if c.code == code {
			return c
		}
	}
	return cdtCodes[0]
}

var relationshipsOfChild = []pbn.Relationship{pbn.RelationshipChild, pbn.RelationshipChild, pbn.RelationshipChild, pbn.RelationshipDependent, pbn.RelationshipHandicapDep}

var planTypes = newWeighted(
	wv[pbn.PlanType]{pbn.PlanPPO, 60}, wv[pbn.PlanType]{pbn.PlanPercentage, 25},
	wv[pbn.PlanType]{pbn.PlanFlatCopay, 10}, wv[pbn.PlanType]{pbn.PlanCapitation, 5},
)

func (x *chartCtx) coverages(ch *Chart) {
	r := newRNG(x.p.seed, domCoverages, uint64(x.i))
	h := x.p.householdOf(x.core.fam.head).h
	pid := x.pt.ID
	headID := int64(x.core.fam.head + 1)
	covs := make([]pbn.Coverage, x.cnt.covs)
	for k := range covs {
		c := pbn.Coverage{ID: kid(childID(num(pid), k)), PatientID: pid, Ordinal: k + 1}
		c.CarrierID = kid(h.carrierID)
		c.SubscriberPatientID = kid(headID)
		c.SubscriberID = h.subscriber
		c.GroupName, c.GroupNumber = h.group, h.groupNumber
		switch x.core.role {
		case roleHead:
			c.Relationship = pbn.RelationshipSelf
		case roleSpouse:
			c.Relationship = pick(&r, []pbn.Relationship{pbn.RelationshipSpouse, pbn.RelationshipSpouse, pbn.RelationshipLifePartner, pbn.RelationshipSignifOther})
		default:
			c.Relationship = pick(&r, relationshipsOfChild)
		}
		if k == 1 || (x.core.role == roleHead && k > 0) {
			// Secondary: the spouse's employer plan, or the patient's own.
			c.CarrierID = kid(h.carrier2ID)
			c.SubscriberID = fmt.Sprintf("%09d", r.intn(1_000_000_000))
			c.GroupName = pick(&r, groupNames)
			c.GroupNumber = fmt.Sprint(r.between(1000, 999999))
			if x.core.role == roleSpouse || x.core.role == roleHead {
				c.Relationship = pbn.RelationshipSelf
				c.SubscriberPatientID = pid
			} else if x.core.fam.size > 1 {
				c.SubscriberPatientID = kid(headID + 1)
			}
		}
		if c.Relationship == pbn.RelationshipSelf {
			c.SubscriberPatientID = pid
		}
		c.PlanType = planTypes.draw(&r)
		if !r.chance(0.12) {
			eff := between(&r, x.pt.CreatedAt.AddDate(-2, 0, 0), x.p.asOf)
			c.EffectiveDate = pbn.NewDate(eff.Year(), eff.Month(), 1)
			if r.chance(0.15) {
				term := eff.AddDate(r.between(1, 4), 0, 0)
				c.TermDate = pbn.NewDate(term.Year(), 12, 31)
			}
		}
		c.CreatedAt = between(&r, x.pt.CreatedAt, x.p.asOf)
		c.UpdatedAt = between(&r, c.CreatedAt, x.p.asOf)
		covs[k] = c
	}
	ch.Coverages = covs
}

var channels = newWeighted(
	wv[pbn.Channel]{pbn.ChannelSMS, 35}, wv[pbn.Channel]{pbn.ChannelEmail, 20}, wv[pbn.Channel]{pbn.ChannelCall, 20},
	wv[pbn.Channel]{pbn.ChannelReminder, 15}, wv[pbn.Channel]{pbn.ChannelRecall, 7}, wv[pbn.Channel]{pbn.ChannelLetter, 3},
)

func (x *chartCtx) communications(ch *Chart) {
	r := newRNG(x.p.seed, domCommunications, uint64(x.i))
	pid := x.pt.ID
	office := x.p.offices[max(0, int(num(x.pt.OfficeID))-1)].Name
	first := strings.TrimSpace(x.pt.FirstName)
	comms := make([]pbn.Communication, x.cnt.comms)
	for k := range comms {
		c := pbn.Communication{ID: kid(childID(num(pid), k)), PatientID: pid, OfficeID: x.pt.OfficeID}
		c.Channel = channels.draw(&r)
		c.At = between(&r, x.pt.CreatedAt, x.p.asOf)
		c.Direction = pbn.DirectionOutbound
		fill := func(s string) string {
			s = strings.ReplaceAll(s, "{first}", first)
			s = strings.ReplaceAll(s, "{office}", office)
			return strings.ReplaceAll(s, "{date}", c.At.In(x.loc).AddDate(0, 0, 2).Format("Mon Jan 2 3:04 PM"))
		}
		switch c.Channel {
		case pbn.ChannelSMS:
			if r.chance(0.4) {
				c.Direction = pbn.DirectionInbound
			}
			c.Source = "e-services"
			if r.chance(0.15) {
				c.Source = "pbn"
				c.Body = smsThread(&r, c.At.In(x.loc), fill)
			} else {
				c.Body = fill(pick(&r, smsBodies))
			}
		case pbn.ChannelEmail:
			if r.chance(0.2) {
				c.Direction = pbn.DirectionInbound
			}
			c.Source = "user"
			c.Subject = fill(pick(&r, emailSubjects))
			c.Body = fill("Hello {first},\n\nPlease find the details below.\n\nThank you,\n{office}")
		case pbn.ChannelCall:
			if r.chance(0.5) {
				c.Direction = pbn.DirectionInbound
			}
			c.Source = "user"
			c.Subject = pick(&r, callSubjects)
			c.Body = fmt.Sprintf("%s. Duration %d:%02d", c.Subject, r.intn(15), r.intn(60))
		case pbn.ChannelLetter:
			c.Source = "user"
			c.Subject = pick(&r, []string{"Welcome letter", "Recall card", "Past due statement", "Referral thank-you"})
			c.Body = "Mailed to address on file."
		case pbn.ChannelReminder:
			c.Source = "reminder"
			c.Subject = "Appointment reminder"
			c.Body = fill("Reminder: {first}, you have an appointment at {office} on {date}.")
		case pbn.ChannelRecall:
			c.Source = "recall"
			c.Subject = "Recall due"
			c.Body = fill("Hi {first}, you are due for your cleaning at {office}.")
		}
		if c.Source == "user" {
			c.StaffID = pick(&r, x.p.users[int(num(x.pt.OfficeID))])
		}
		if r.chance(0.05) {
			c.Body += "\n" + procedureLine(&r, between(&r, x.pt.CreatedAt, x.p.asOf).In(x.loc))
		}
		c.CreatedAt = c.At
		c.UpdatedAt = c.At
		if r.chance(0.1) {
			c.UpdatedAt = between(&r, c.At, x.p.asOf)
		}
		comms[k] = c
	}
	slices.SortStableFunc(comms, func(a, b pbn.Communication) int { return a.At.Compare(b.At) })
	for k := range comms {
		comms[k].ID = kid(childID(num(pid), k))
	}
	ch.Communications = comms
}

func smsThread(r *rng, at time.Time, fill func(string) string) string {
	var b strings.Builder
	n := r.between(2, 6)
	for k := range n {
		who := "Office"
		if k%2 == 1 {
			who = "Patient"
		}
		fmt.Fprintf(&b, "[%s] %s: %s", at.Format("2006-01-02 3:04 PM"), who, fill(pick(r, smsBodies)))
		if k < n-1 {
			b.WriteString("\n")
		}
		at = at.Add(time.Duration(r.between(1, 180)) * time.Minute)
	}
	return b.String()
}

var docKinds = []struct {
	name, mime, category string
	minKB, maxKB         int
}{
	{"FMX %s.jpg", "image/jpeg", "X-Rays", 40, 256},
	{"Pano %s.jpg", "image/jpeg", "X-Rays", 60, 256},
	{"insurance_card_front_%s.png", "image/png", "Insurance", 20, 120},
	{"Referral letter %s.pdf", "application/pdf", "Correspondence", 8, 64},
	{"Scan%s.tif", "image/tiff", "Scans", 30, 200},
	{"Intraoral photo %s.jpg", "image/jpeg", "Photos", 30, 180},
	{"EOB %s.pdf", "application/pdf", "Insurance", 6, 40},
}

func (x *chartCtx) forms(ch *Chart) {
	r := newRNG(x.p.seed, domForms, uint64(x.i))
	pid := x.pt.ID
	forms := make([]pbn.FormSubmission, x.cnt.forms)
	docs := make([]pbn.Document, 0, x.cnt.docs)
	addDoc := func(d pbn.Document) int64 {
		d.ID = kid(childID(num(pid), len(docs)))
		d.PatientID = pid
		docs = append(docs, d)
		return num(d.ID)
	}
	for k := range forms {
		seed := pick(&r, formSeeds)
		f := pbn.FormSubmission{ID: kid(childID(num(pid), k)), PatientID: pid, FormName: seed.name}
		switch seed.kind {
		case "consent":
			f.FormType = pbn.FormConsent
		case "medical_history":
			f.FormType = pbn.FormMedicalHistory
		default:
			f.FormType = pbn.FormPatient
		}
		f.SubmittedAt = between(&r, x.pt.CreatedAt, x.p.asOf)
		if f.FormType == pbn.FormConsent || r.chance(0.4) {
			f.SignedOn = pbn.DateOf(f.SubmittedAt.In(x.loc))
			if r.chance(0.08) {
				f.SignedOn = pbn.Date{} // submitted unsigned: 0001-01-01
			}
		}
		for _, name := range seed.fields {
			f.Fields = append(f.Fields, pbn.FormField{Name: name, Value: x.formValue(&r, name)})
		}
		f.CreatedAt = f.SubmittedAt
		f.UpdatedAt = f.SubmittedAt
		// The stored PDF copy (PbN keeps completed forms as documents).
		if len(docs) < x.cnt.docs && r.chance(0.8) {
			id := addDoc(pbn.Document{Name: fmt.Sprintf("%s %s.pdf", seed.name, f.SubmittedAt.In(x.loc).Format("2006-01-02")),
				MimeType: "application/pdf", Size: int64(r.between(12, 180)) * 1024, Category: "Forms",
				CreatedAt: f.SubmittedAt, UpdatedAt: f.SubmittedAt})
			f.DocumentIDs = []pbn.Key{kid(id)}
		}
		forms[k] = f
	}
	for len(docs) < x.cnt.docs {
		k := pick(&r, docKinds)
		at := between(&r, x.pt.CreatedAt, x.p.asOf)
		size := int64(r.between(k.minKB, k.maxKB))*1024 + int64(r.intn(1024))
		addDoc(pbn.Document{Name: fmt.Sprintf(k.name, at.In(x.loc).Format("2006-01-02")), MimeType: k.mime, Size: size,
			Category: k.category, CreatedAt: at, UpdatedAt: at})
	}
	ch.FormSubmissions, ch.Documents = forms, docs
}

func (x *chartCtx) formValue(r *rng, field string) string {
	pt := x.pt
	switch field {
	case "first_name", "signature_name":
		return strings.TrimSpace(pt.FirstName) + map[bool]string{true: " " + strings.TrimSpace(pt.LastName), false: ""}[field == "signature_name"]
	case "last_name":
		return strings.TrimSpace(pt.LastName)
	case "date_of_birth":
		if pt.BirthDate.IsZero() {
			return ""
		}
		return pt.BirthDate.Time(time.UTC).Format("01/02/2006")
	case "address":
		return strings.TrimSpace(pt.Address.Line1 + ", " + pt.Address.City + " " + pt.Address.State)
	case "phone":
		return pt.MobilePhone
	case "email":
		return pt.Email
	case "allergies":
		return pick(r, []string{"None", "NKDA", "Penicillin", "Latex, codeine", "Sulfa drugs", ""})
	case "medications":
		return pick(r, []string{"None", "Lisinopril 10mg", "Metformin", "Aspirin 81mg daily\nAtorvastatin", ""})
	case "emergency_contact":
		return pick(r, []string{"Spouse", "Mother", "See chart", ""})
	case "referral_source":
		return pick(r, referralSources)
	case "carrier":
		return x.p.carriers[r.intn(len(x.p.carriers))].Name
	case "subscriber_id", "group_number":
		return fmt.Sprint(r.between(100000, 99999999))
	case "relationship":
		return pick(r, []string{"Self", "Spouse", "Child"})
	case "procedure":
		return pick(r, []string{"Extraction #32", "Extraction #1, #16, #17, #32", "Extraction #19"})
	case "last_physical":
		return x.p.messyDate(r, between(r, x.p.asOf.AddDate(-3, 0, 0), x.p.asOf))
	}
	return pick(r, []string{"Yes", "No", "yes", "N", "true", "false", ""})
}
