package practicebynumbers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ManifestFile is the optional file of an export folder that says when the
// export was taken (CONTRACT.md, "Export time").
const ManifestFile = "manifest.json"

// Manifest is the content of [ManifestFile].
type Manifest struct {
	// Contract is the contract version the folder follows ("v1").
	Contract string `json:"contract,omitempty"`
	// ExportedAt is the instant the export's snapshot was taken: every
	// change made after it carries a later change stamp.
	ExportedAt time.Time `json:"exportedAt"`
}

// stampSkew is how far past the reading host's clock a change stamp may be
// and still count for the export time; later stamps are bad data (a
// mis-set workstation clock), and a watermark in the future would make the
// next delta miss every change.
const stampSkew = 5 * time.Minute

// readManifest reads the folder's manifest; ok is false when there is none.
func (r *ExportReader) readManifest() (m Manifest, ok bool, err error) {
	if r.manifest == "" {
		return Manifest{}, false, nil
	}
	f, err := r.fsys.Open(r.manifest)
	if err != nil {
		return Manifest{}, false, &FileError{File: r.manifest, Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return Manifest{}, false, &FileError{File: r.manifest, Err: err}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, false, &FileError{File: r.manifest, Err: fmt.Errorf("not a manifest: %w", jsonErr(err))}
	}
	if m.ExportedAt.IsZero() {
		return Manifest{}, false, &FileError{File: r.manifest, Err: errors.New(`no "exportedAt"`)}
	}
	m.ExportedAt = utc(m.ExportedAt)
	return m, true, nil
}

// stampFinder returns, for entity e's file, the column of its change stamp
// (updated_at; deleted_at for deletions) given the file's header, or -1.
func stampFinder(e Entity) func(header []string) int {
	switch e {
	case EntityOffices:
		return stampIndex(officeMeta, "updated_at")
	case EntityStaff:
		return stampIndex(staffMeta, "updated_at")
	case EntityPatients:
		return stampIndex(patientMeta, "updated_at")
	case EntityAppointments:
		return stampIndex(appointmentMeta, "updated_at")
	case EntityProcedures:
		return stampIndex(procedureMeta, "updated_at")
	case EntityTreatmentPlans:
		return stampIndex(treatmentPlanMeta, "updated_at")
	case EntityInsuranceCarriers:
		return stampIndex(carrierMeta, "updated_at")
	case EntityCoverages:
		return stampIndex(coverageMeta, "updated_at")
	case EntityCommunications:
		return stampIndex(communicationMeta, "updated_at")
	case EntityFormSubmissions:
		return stampIndex(formSubmissionMeta, "updated_at")
	case EntityDocuments:
		return stampIndex(documentMeta, "updated_at")
	case EntityCustomProperties:
		return stampIndex(customPropertyMeta, "updated_at")
	case EntityKPIDefinitions:
		return stampIndex(kpiDefinitionMeta, "updated_at")
	case EntityKPIValues:
		return stampIndex(kpiValueMeta, "updated_at")
	case EntityCohorts:
		return stampIndex(cohortMeta, "updated_at")
	case EntityAutomations:
		return stampIndex(automationMeta, "updated_at")
	case "deletions":
		return stampIndex(deletionMeta, "deleted_at")
	}
	return func([]string) int { return -1 }
}

func stampIndex[T any](m *meta[T], name string) func([]string) int {
	return func(header []string) int {
		b, err := bindHeader(m, header)
		if err != nil {
			return -1
		}
		for i, j := range b.field {
			if j >= 0 && m.cols[j].name == name {
				return i
			}
		}
		return -1
	}
}

// newestStamp tracks the newest plausible change stamp of a folder.
type newestStamp struct {
	loc      *time.Location
	limit    time.Time // stamps after this are ignored
	newest   time.Time
	ignored  int
	lastCell string // rows of one bulk update share a stamp: parse it once
}

func (s *newestStamp) see(cell string) {
	cell = strings.TrimSpace(cell)
	if cell == "" || cell == s.lastCell {
		return
	}
	s.lastCell = cell
	t, err := ParseTimestamp(cell, s.loc)
	if err != nil || t.IsZero() {
		return // the row is reported when read; it does not date the export
	}
	if t.After(s.limit) {
		s.ignored++
		return
	}
	if t.After(s.newest) {
		s.newest = t
	}
}

// exportTime is the manifest's ExportedAt, else the newest change stamp.
func (r *ExportReader) exportTime(ctx context.Context, stamps *newestStamp) (time.Time, error) {
	m, ok, err := r.readManifest()
	if err != nil {
		return time.Time{}, err
	}
	if ok {
		return m.ExportedAt, nil
	}
	if r.dels != "" {
		if _, err := r.countRows(ctx, r.dels, stampFinder("deletions"), stamps); err != nil {
			return time.Time{}, err
		}
	}
	if stamps.ignored > 0 {
		r.log.Warn("pbn export: change stamps in the future ignored for the export time", "rows", stamps.ignored)
	}
	return stamps.newest, nil
}
