package pbntest

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// procedureLine writes one line of treatment history as front desks type it
// into free text: "2019-03-04 D1110 prophy adult $95".
func procedureLine(r *rng, at time.Time) string {
	c := pick(r, cdtCodes)
	if r.chance(0.1) {
		c = pick(r, deletedCodes)
	}
	fee := c.fee / 100
	var money string
	switch r.intn(4) {
	case 0:
		money = fmt.Sprintf("$%d.00", fee)
	case 1:
		money = "$" + withCommas(int(fee))
	default:
		money = fmt.Sprintf("$%d", fee)
	}
	desc := strings.ToLower(c.abbr)
	if r.chance(0.3) {
		desc = c.descript
	}
	date := at.Format("2006-01-02")
	if r.chance(0.25) {
		date = at.Format("01/02/2006")
	}
	tooth := ""
	if c.tooth && r.chance(0.7) {
		tooth = fmt.Sprintf(" #%d", r.between(1, 32))
	}
	return fmt.Sprintf("%s %s %s%s %s", date, c.code, desc, tooth, money)
}

// procedureLineRE recognises the lines procedureLine writes (and the
// usual hand-typed variants): a date, a procedure code, text, an amount.
var procedureLineRE = regexp.MustCompile(`(?m)^\s*(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\s+([DZNT]\d{4})\b.*\$[\d,]+(?:\.\d{2})?\s*$`)

// CountProcedureLines counts the lines of text that record a procedure
// ("2019-03-04 D1110 prophy adult $95").
func CountProcedureLines(text string) int {
	if text == "" {
		return 0
	}
	return len(procedureLineRE.FindAllStringIndex(text, -1))
}

var notePreambles = []string{
	"Transferred from Dr. Whitman's office, history below:",
	"Prior treatment (from paper chart):",
	"Converted from Dentrix 2019. Old ledger:",
	"Hx per pt:",
}

var noteRemarks = []string{
	"Pt anxious - prefers morning appts.",
	"Premedicate before cleanings (joint replacement).",
	"Spanish speaking; daughter translates.",
	"Balance on guarantor acct.",
	"Do not text - call only.",
	"VIP - owner's neighbour.",
	"Gag reflex, use small sensors.",
}

func (p *Practice) patientNotes(i int, pt pbn.Patient) string {
	r := newRNG(p.seed, domNotes, uint64(i))
	if !r.chance(0.25) {
		return ""
	}
	var b strings.Builder
	if r.chance(0.5) {
		b.WriteString(pick(&r, notePreambles))
		n := r.between(1, 4)
		at := between(&r, pt.CreatedAt.AddDate(-6, 0, 0), pt.CreatedAt)
		for range n {
			b.WriteString("\n")
			if r.chance(0.2) {
				b.WriteString("  ") // indented, as pasted
			}
			b.WriteString(procedureLine(&r, at))
			at = at.AddDate(0, r.between(0, 8), r.intn(28))
		}
		if r.chance(0.5) {
			b.WriteString("\n" + pick(&r, noteRemarks)) // CSV readers fold \r\n inside quotes to \n, so the data never holds \r
		}
		return b.String()
	}
	b.WriteString(pick(&r, noteRemarks))
	if r.chance(0.3) {
		b.WriteString(" \"Call before 5pm\", per spouse; ok to leave msg")
	}
	return b.String()
}

func (p *Practice) appointmentNote(r *rng, a pbn.Appointment, procs []pbn.Procedure) string {
	switch a.Status {
	case pbn.AppointmentPtNote, pbn.AppointmentPtNoteCompleted:
		return pick(r, []string{"Call pt re: insurance verification", "Pt wants to be on ASAP list", "Sticky: bring x-rays from Dr. Lee", "Remind pt: premed"})
	case pbn.AppointmentBroken:
		return pick(r, []string{"No show, no call.", "Cancelled same day - sick", "Pt called 8:05am, car trouble"})
	case pbn.AppointmentComplete:
		var lines []string
		for _, pr := range procs {
			if pr.AppointmentID == a.ID && pr.Status == pbn.ProcedureComplete {
				lines = append(lines, fmt.Sprintf("%s %s %s $%d", pr.Date, pr.Code, strings.ToLower(abbrOf(pr.Code)), int64(pr.Fee)/100))
			}
		}
		if len(lines) > 0 && r.chance(0.6) {
			return "Completed today:\n" + strings.Join(lines, "\n") + "\nNext: 6 mo recall"
		}
		return pick(r, []string{"Pt arrived late.", "Went well, NV 6 mo", "BP 128/82", "Pt requested \"no music\""})
	}
	return pick(r, []string{"Confirm 2 days before", "Ins: verify eligibility", ""})
}

func abbrOf(code string) string {
	for _, list := range [][]cdtCode{cdtCodes, customCodes, deletedCodes} {
		for _, c := range list {
			if c.code == code {
				return c.abbr
			}
		}
	}
	return code
}
