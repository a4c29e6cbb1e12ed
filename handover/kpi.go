package handover

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// KPI is one row of kpis.csv / kpis.json.
type KPI struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Period string `json:"period"`
	// Formula is PbN's own wording; SourceFields says which source
	// records and fields it is computed from.
	Formula      string `json:"formula"`
	SourceFields string `json:"sourceFields"`
	// HighLevelField is the custom field an input of the KPI was migrated
	// to ("" when none).
	HighLevelField string `json:"highLevelField,omitempty"`
	// Rebuild says how to get the same number in HighLevel, or
	// NotComputable.
	Rebuild string `json:"rebuild"`
}

// NotComputable is the rebuild advice of a KPI HighLevel holds no inputs
// for (procedures, payments, schedules stay in the practice system).
const NotComputable = "not computable in HighLevel: keep exported (kpi_values.csv holds its history)"

// kpiRecipe is what the pack knows about a standard PbN KPI key.
type kpiRecipe struct {
	fields string
	// input is the source entity and field whose HighLevel field the
	// rebuild uses; "" when HighLevel holds no input.
	inputObject, inputField string
	// rebuild is the advice when the input was migrated ("%s" is the
	// field); without the input the KPI is NotComputable.
	rebuild string
}

var kpiRecipes = map[string]kpiRecipe{
	"gross_production": {fields: "procedures.fee where procedures.status = completed, by procedures.date"},
	"net_production":   {fields: "procedures.fee (completed) − adjustments − insurance write-offs"},
	"collections":      {fields: "payments.amount by payment date (patient and insurance)"},
	"case_acceptance": {fields: "sum(treatment_plans.acceptedAmount) ÷ sum(treatment_plans.amount) of plans presented (treatment_plans.presentedOn) in the period",
		inputObject: "treatment_plans", inputField: "acceptedAmount",
		rebuild: "Opportunities on the Cases pipeline (treatment plans are opportunities, amount = opportunity value): sum of %s ÷ sum of opportunity value, filtered on pbn_presented_on within the period"},
	"patient_acceptance": {fields: "count(patients with an accepted plan) ÷ count(patients presented a plan), treatment_plans.status and presentedOn",
		inputObject: "treatment_plans", inputField: "status",
		rebuild: "Opportunities report on the Cases pipeline: won count ÷ total count of opportunities presented in the period (%s holds the PbN status)"},
	"hygiene_preappointed":  {fields: "appointments (hygiene, completed) whose patient has a later hygiene appointment booked at checkout"},
	"hygiene_reappointment": {fields: "appointments (hygiene, completed) whose patient has a later hygiene appointment booked at checkout"},
	"new_patients_seen": {fields: "count(patients.firstVisit within the period)",
		inputObject: "patients", inputField: "firstVisit",
		rebuild: "Contacts: smart list filter %s is within the period (count shown on the list); a dashboard 'Contacts' widget with the same filter"},
	"new_patients": {fields: "count(patients.firstVisit within the period)",
		inputObject: "patients", inputField: "firstVisit",
		rebuild: "Contacts: smart list filter %s is within the period (count shown on the list); a dashboard 'Contacts' widget with the same filter"},
	"active_patients_12":  {fields: "count(patients with appointments.status = completed in the last 12 months)"},
	"active_patients_18":  {fields: "count(patients with appointments.status = completed in the last 18 months)"},
	"production_per_hour": {fields: "procedures.fee (completed) ÷ scheduled provider hours (appointments.durationMinutes ÷ 60)"},
	"avg_chair_time":      {fields: "mean(appointments.durationMinutes) of completed appointments"},
}

func buildKPIs(d *data, m *mapping.Map) []KPI {
	out := make([]KPI, 0, len(d.kpis))
	for _, k := range d.kpis {
		row := KPI{Key: k.Key, Name: k.Name, Unit: unitWords(k.Unit), Period: k.Period, Formula: k.Formula, Rebuild: NotComputable}
		if row.Formula == "" {
			row.Formula = k.Description
		}
		if row.Formula == "" {
			row.Formula = "not given by PbN"
		}
		rec, ok := kpiRecipes[k.Key]
		if !ok {
			row.SourceFields = "not known for this KPI: see its formula"
		} else {
			row.SourceFields = rec.fields
			if rec.inputObject != "" {
				if f := migratedField(m, rec.inputObject, rec.inputField); f != "" {
					row.HighLevelField = f
					row.Rebuild = fmt.Sprintf(rec.rebuild, f)
				}
			}
		}
		out = append(out, row)
	}
	return out
}

// migratedField is the HighLevel field the map writes the source field of
// the object reading entity to ("" when it does not).
func migratedField(m *mapping.Map, entity, field string) string {
	if m == nil {
		return ""
	}
	for _, o := range m.Objects {
		if o.Source != entity {
			continue
		}
		for _, f := range o.Fields {
			if f.From == field && f.To != "" {
				if o.Key != "" && o.Target == mapping.TargetCustomObject {
					return o.Key + "." + f.To
				}
				return f.To
			}
		}
	}
	return ""
}

func unitWords(u pbn.KPIUnit) string {
	switch u {
	case pbn.KPICurrency:
		return "currency (USD)"
	case pbn.KPIPercent:
		return "percent"
	case pbn.KPICount:
		return "count"
	case pbn.KPIDuration:
		return "minutes"
	}
	return string(u)
}

// scaled renders a value in its unit: cents as dollars, basis points as a
// percentage with two decimals.
func scaled(u pbn.KPIUnit, v int64) string {
	switch u {
	case pbn.KPICurrency, pbn.KPIPercent:
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
	}
	return strconv.FormatInt(v, 10)
}

func writeKPIsCSV(b *bytes.Buffer, kpis []KPI) error {
	w := csv.NewWriter(b)
	w.Write([]string{"key", "name", "unit", "period", "formula", "source_fields", "highlevel_field", "rebuild_in_highlevel"})
	for _, k := range kpis {
		w.Write([]string{k.Key, k.Name, k.Unit, k.Period, k.Formula, k.SourceFields, k.HighLevelField, k.Rebuild})
	}
	w.Flush()
	return w.Error()
}

func writeKPIValuesCSV(b *bytes.Buffer, d *data) error {
	defs := map[pbn.Key]pbn.KPIDefinition{}
	for _, k := range d.kpis {
		defs[k.ID] = k
	}
	w := csv.NewWriter(b)
	w.Write([]string{"kpi_key", "office_id", "office", "period_start", "period_end", "value", "unit"})
	for _, v := range d.values {
		k, ok := defs[v.KPIID]
		key := k.Key
		if !ok {
			key = fmt.Sprintf("kpi %s (no definition)", v.KPIID)
		}
		office, officeID := "whole practice", "0"
		if v.OfficeID != pbn.NoKey {
			office, officeID = d.offices[v.OfficeID], string(v.OfficeID)
		}
		w.Write([]string{key, officeID, office, v.PeriodStart.String(), v.PeriodEnd.String(),
			scaled(k.Unit, v.Value), unitWords(k.Unit)})
	}
	w.Flush()
	return w.Error()
}

func writeJSON(b *bytes.Buffer, v any) error {
	e := json.NewEncoder(b)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(v)
}
