package mapping

import pbn "github.com/pbnhl/pbnhl/practicebynumbers"

func testProperties() []pbn.CustomPropertyDefinition {
	return []pbn.CustomPropertyDefinition{
		{ID: "1", Key: "case_type", Name: "Case type", Type: pbn.CustomPickList, Entity: pbn.EntityPatients, Options: []string{"Ortho", "Implant", "Perio", "Cosmetic"}},
		{ID: "2", Key: "lifetime_value", Name: "Lifetime value", Type: pbn.CustomNumber, Entity: pbn.EntityPatients},
		{ID: "3", Key: "last_recall", Name: "Last recall", Type: pbn.CustomDate, Entity: pbn.EntityPatients},
		{ID: "4", Key: "referral_source", Name: "Referral source", Type: pbn.CustomText, Entity: pbn.EntityPatients},
	}
}
