package pbntest

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// digest hashes the JSON of every record of a practice, entity by entity.
func digest(t *testing.T, p *Practice) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, v := range []any{p.Offices(), p.Staff(), p.InsuranceCarriers(), p.CustomProperties(), p.KPIDefinitions(), p.KPIValues(), p.Cohorts(), p.Automations()} {
		require.NoError(t, enc.Encode(v))
	}
	for ch := range p.Charts() {
		require.NoError(t, enc.Encode(ch))
	}
	return string(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	a, b := MustPractice(42, 300), MustPractice(42, 300)
	assert.Equal(t, digest(t, a), digest(t, b), "same seed must give identical output")
	assert.NotEqual(t, digest(t, a), digest(t, MustPractice(43, 300)), "another seed must give another practice")
}

// The per-entity iterators build partial charts; they must agree with full
// charts (independent random streams per part).
func TestPartsAgreeWithCharts(t *testing.T) {
	p := MustPractice(7, 120)
	var appts []pbn.Appointment
	var comms []pbn.Communication
	var docs []pbn.Document
	var pts []pbn.Patient
	for ch := range p.Charts() {
		pts = append(pts, ch.Patient)
		appts = append(appts, ch.Appointments...)
		comms = append(comms, ch.Communications...)
		docs = append(docs, ch.Documents...)
	}
	assert.Equal(t, pts, collect(p.Patients()))
	assert.Equal(t, appts, collect(p.Appointments()))
	assert.Equal(t, comms, collect(p.Communications()))
	assert.Equal(t, docs, collect(p.Documents()))
	counts := p.Counts()
	assert.Equal(t, len(appts), counts[pbn.EntityAppointments])
	assert.Equal(t, len(comms), counts[pbn.EntityCommunications])
	assert.Equal(t, len(docs), counts[pbn.EntityDocuments])
}

func collect[T any](seq func(func(T) bool)) []T {
	var out []T
	for v := range seq {
		out = append(out, v)
	}
	return out
}

func TestEveryMessyCaseIsPresent(t *testing.T) {
	p := MustPractice(42, 2000)
	s := p.Census()

	assert.GreaterOrEqual(t, s.Records[pbn.EntityOffices], 3, "several offices")
	assert.Positive(t, s.InactiveOffices)
	assert.Positive(t, s.OfficesWithoutPhone)
	assert.Positive(t, s.StaffWithEmail)
	assert.Positive(t, s.StaffWithoutEmail)
	assert.Positive(t, s.HiddenStaff)
	assert.Positive(t, s.MultiOfficeStaff)
	assert.Positive(t, s.Users)
	assert.Positive(t, s.Providers)

	assert.Greater(t, s.Families, 200, "families with a guarantor")
	assert.Greater(t, s.FamilyMembers, 500)
	assert.Greater(t, s.Duplicates, 10, "duplicate patients (same name + birth date in one family)")
	assert.Positive(t, s.Placeholders, "placeholder 'new patient' charts")
	for _, st := range []pbn.PatientStatus{pbn.PatientStatusPatient, pbn.PatientStatusNonPatient, pbn.PatientStatusInactive,
		pbn.PatientStatusArchived, pbn.PatientStatusDeleted, pbn.PatientStatusDeceased, pbn.PatientStatusProspective} {
		assert.Positive(t, s.PatientStatuses[st], "status %s", st)
	}
	for _, g := range []pbn.Gender{pbn.GenderMale, pbn.GenderFemale, pbn.GenderUnknown, pbn.GenderOther} {
		assert.Positive(t, s.Genders[g], "gender %s", g)
	}
	assert.Positive(t, s.NoBirthDate, "0001-01-01 birth dates")
	assert.Positive(t, s.NoOffice, "ClinicNum 0")
	assert.Positive(t, s.HiddenProviderRefs)
	assert.Positive(t, s.StateAbbreviations)
	assert.Positive(t, s.StateFullNames)
	assert.Positive(t, s.NonASCIINames)
	assert.Positive(t, s.PaddedNames)
	for _, f := range PhoneFormats() {
		assert.Positive(t, s.PhoneFormats[f], "phone format %s", f)
	}
	assert.Positive(t, s.EmailMissing)
	assert.Positive(t, s.EmailMalformed)
	assert.Positive(t, s.EmailUnnormalised)
	assert.Greater(t, s.EmailSharedFamily, 50, "children share the guarantor's email")
	assert.Positive(t, s.EmailSharedPlacebo)
	assert.Positive(t, s.SpuriousStamps)
	for _, d := range p.CustomProperties() {
		assert.Positive(t, s.CustomValues[d.Key], "custom property %s has values", d.Key)
	}
	assert.Positive(t, s.CustomOffList)
	for _, ty := range []pbn.CustomPropertyType{pbn.CustomText, pbn.CustomNumber, pbn.CustomDate, pbn.CustomPickList} {
		assert.Positive(t, s.CustomPropertyTypes[ty], "custom property type %s", ty)
	}

	for _, st := range []pbn.AppointmentStatus{pbn.AppointmentScheduled, pbn.AppointmentComplete, pbn.AppointmentUnscheduled,
		pbn.AppointmentBroken, pbn.AppointmentPlanned, pbn.AppointmentPtNote, pbn.AppointmentPtNoteCompleted} {
		assert.Positive(t, s.AppointmentStatuses[st], "appointment status %s", st)
	}
	assert.Positive(t, s.UndatedAppointments)
	for _, st := range []pbn.ProcedureStatus{pbn.ProcedureTreatmentPlanned, pbn.ProcedureComplete, pbn.ProcedureExistingCurrent,
		pbn.ProcedureExistingOther, pbn.ProcedureReferred, pbn.ProcedureDeleted, pbn.ProcedureCondition, pbn.ProcedureTPInactive} {
		assert.Positive(t, s.ProcedureStatuses[st], "procedure status %s", st)
	}
	assert.Positive(t, s.CustomCodes)
	assert.Positive(t, s.DeletedCodes)
	assert.Positive(t, s.UndatedProcedures)
	assert.Len(t, s.Pipelines, len(pipelines))
	assert.GreaterOrEqual(t, len(s.Stages), 8)
	assert.Positive(t, s.CoverageOrdinals[1])
	assert.Positive(t, s.CoverageOrdinals[2])
	assert.Positive(t, s.UndatedCoverages)
	assert.Positive(t, s.TermedCoverages)
	for _, c := range []pbn.Channel{pbn.ChannelSMS, pbn.ChannelEmail, pbn.ChannelCall, pbn.ChannelLetter, pbn.ChannelReminder, pbn.ChannelRecall} {
		assert.Positive(t, s.Channels[c], "channel %s", c)
	}
	assert.Positive(t, s.Directions[pbn.DirectionInbound])
	assert.Positive(t, s.Directions[pbn.DirectionOutbound])
	assert.Positive(t, s.SMSThreads)
	for _, f := range []pbn.FormType{pbn.FormPatient, pbn.FormConsent, pbn.FormMedicalHistory} {
		assert.Positive(t, s.FormTypes[f], "form type %s", f)
	}
	assert.Positive(t, s.UnsignedForms)
	assert.GreaterOrEqual(t, len(s.MimeTypes), 4)
	assert.Positive(t, s.MultiLineTexts)
	assert.Greater(t, s.TextsWithProcedures, 100, "free text that embeds procedure lines")
	assert.Greater(t, s.ProcedureLines, s.TextsWithProcedures)
	assert.Positive(t, s.KPIDefinitions)
	assert.Positive(t, s.KPIValues)
	assert.Positive(t, s.Cohorts)
	assert.Positive(t, s.Automations)
}

func TestRatiosPerPatient(t *testing.T) {
	s := MustPractice(11, 3000).Census()
	for e, want := range map[pbn.Entity]float64{
		pbn.EntityAppointments:   6,
		pbn.EntityProcedures:     10,
		pbn.EntityCoverages:      1.3,
		pbn.EntityCommunications: 15,
	} {
		assert.InDelta(t, want, s.PerPatient(e), want*0.08, "%s per patient", e)
	}
}

func TestRecordsAreConsistent(t *testing.T) {
	p := MustPractice(5, 400)
	asOf := p.AsOf()
	staff := map[int64]bool{}
	for _, s := range p.Staff() {
		staff[num(s.ID)] = true
	}
	for ch := range p.Charts() {
		pt := ch.Patient
		require.True(t, num(pt.GuarantorID) >= 1 && num(pt.GuarantorID) <= num(pt.ID), "guarantor precedes the member")
		assert.False(t, pt.UpdatedAt.After(asOf))
		assert.False(t, pt.UpdatedAt.Before(pt.CreatedAt))
		assert.Equal(t, time.UTC, pt.CreatedAt.Location())
		if pt.ProviderID != pbn.NoKey {
			assert.True(t, staff[num(pt.ProviderID)], "provider exists")
		}
		apptIDs := map[int64]bool{}
		for _, a := range ch.Appointments {
			apptIDs[num(a.ID)] = true
			assert.Equal(t, pt.ID, a.PatientID)
			assert.False(t, a.UpdatedAt.After(asOf), "appointment %d stamp", a.ID)
			assert.Equal(t, a.Start.IsZero(), a.Status == pbn.AppointmentPlanned || a.Status == pbn.AppointmentUnscheduled)
			if a.Start.After(asOf) {
				assert.Contains(t, []pbn.AppointmentStatus{pbn.AppointmentScheduled, pbn.AppointmentPtNote, pbn.AppointmentPtNoteCompleted}, a.Status)
			}
		}
		procIDs := map[int64]bool{}
		for _, pr := range ch.Procedures {
			procIDs[num(pr.ID)] = true
			if pr.AppointmentID != pbn.NoKey {
				assert.True(t, apptIDs[num(pr.AppointmentID)], "procedure %d appointment exists", pr.ID)
			}
		}
		for _, pl := range ch.TreatmentPlans {
			require.NotEmpty(t, pl.ProcedureIDs, "plan %d has procedures", pl.ID)
			var sum pbn.Cents
			for _, id := range pl.ProcedureIDs {
				assert.True(t, procIDs[num(id)])
			}
			for _, pr := range ch.Procedures {
				if pr.TreatmentPlanID == pl.ID {
					sum += pr.Fee
				}
			}
			assert.Equal(t, sum, pl.Amount, "plan amount is the sum of its procedures")
			assert.LessOrEqual(t, pl.AcceptedAmount, pl.Amount)
		}
		docIDs := map[int64]bool{}
		for _, d := range ch.Documents {
			docIDs[num(d.ID)] = true
		}
		for _, f := range ch.FormSubmissions {
			for _, id := range f.DocumentIDs {
				assert.True(t, docIDs[num(id)], "form %d document exists", f.ID)
			}
		}
		for _, c := range ch.Coverages {
			assert.Contains(t, []int{1, 2}, c.Ordinal)
			assert.NotZero(t, c.SubscriberPatientID)
		}
	}
}

func TestDocumentContent(t *testing.T) {
	p := MustPractice(3, 50)
	n := 0
	for d := range p.Documents() {
		got, ok := p.Document(num(d.ID))
		require.True(t, ok)
		require.Equal(t, d, got)
		b, err := io.ReadAll(p.DocumentContent(d))
		require.NoError(t, err)
		require.Len(t, b, int(d.Size))
		if d.MimeType == "application/pdf" {
			assert.Equal(t, "%PDF-", string(b[:5]))
		}
		// Reading in odd-sized chunks gives the same bytes.
		var chunked []byte
		r := p.DocumentContent(d)
		buf := make([]byte, 7)
		for {
			k, err := r.Read(buf)
			chunked = append(chunked, buf[:k]...)
			if err == io.EOF {
				break
			}
		}
		require.Equal(t, b, chunked)
		n++
		if n == 20 {
			break
		}
	}
	require.Positive(t, n)
	_, ok := p.Document(999_999_999)
	assert.False(t, ok)
}

func TestSizes(t *testing.T) {
	for _, n := range []int{1, 2, 7, 9, 100, 20_001, 1_000_000} {
		p, err := NewPractice(int64(n), n)
		require.NoError(t, err)
		for _, i := range []int{0, n / 2, n - 1} {
			ch := p.chart(i, partAll)
			require.Equal(t, kid(int64(i+1)), ch.Patient.ID)
			require.LessOrEqual(t, num(ch.Patient.GuarantorID), num(ch.Patient.ID))
		}
	}
}

func TestNewPracticeRejectsBadSizes(t *testing.T) {
	for _, n := range []int{0, -1, MaxPatients + 1} {
		_, err := NewPractice(1, n)
		assert.Error(t, err, "%d patients", n)
	}
}

func TestClassifyPhone(t *testing.T) {
	for in, want := range map[string]PhoneFormat{
		"": PhoneBlank, "(536)624-5871": PhoneParens, "(536) 624-5871": PhoneParensSpace,
		"536.624.5871": PhoneDots, "536.624.5871 x12": PhoneDotsExt, "5552523366": PhoneDigits,
		"536-624-5871": PhoneDashes, "+15366245871": PhoneE164, "+1 536 624 5871": PhonePlusSpaced,
		"1-536-624-5871": PhoneLeadingOne, "624-5871": PhoneLocalSeven, "(536) 624-5871 ext. 204": PhoneExtWord,
		"+44 20 7946 0958": PhoneInternational, "call mom": PhoneOther,
	} {
		assert.Equal(t, want, ClassifyPhone(in), in)
	}
}

func TestPhoneFormatText(t *testing.T) {
	for _, f := range PhoneFormats() {
		b, err := f.MarshalText()
		require.NoError(t, err)
		var g PhoneFormat
		require.NoError(t, g.UnmarshalText(b))
		assert.Equal(t, f, g)
	}
	var g PhoneFormat
	assert.Error(t, g.UnmarshalText([]byte("nope")))
}

func TestCountProcedureLines(t *testing.T) {
	assert.Equal(t, 2, CountProcedureLines("Hx:\n2019-03-04 D1110 prophy adult $95\n  03/04/2019 D0274 4BW $70.00\nok"))
	assert.Equal(t, 0, CountProcedureLines("Pt called about D1110"))
}

func TestEmailShape(t *testing.T) {
	for in, want := range map[string]string{
		"": "missing", "a.b@gmail.com": "valid", " A.b@Gmail.com ": "unnormalised",
		"a@gmail": "malformed", "a b@x.com": "malformed", "a@@x.com": "malformed", "N/A": "malformed",
		"a.@x.com": "malformed", "a@x.com; b@x.com": "malformed",
	} {
		assert.Equal(t, want, EmailShape(in), in)
	}
}

func FuzzClassifyPhone(f *testing.F) {
	for _, s := range []string{"(536)624-5871", "+44 20 7946 0958", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ClassifyPhone(s)
		if got >= phoneFormatCount {
			t.Fatalf("format %d out of range", got)
		}
	})
}

func FuzzCountProcedureLines(f *testing.F) {
	f.Add("2019-03-04 D1110 prophy adult $95")
	f.Fuzz(func(t *testing.T, s string) {
		if n := CountProcedureLines(s); n < 0 || n > len(s) {
			t.Fatalf("count %d", n)
		}
	})
}
