package transform_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

func ExampleDate() {
	for _, in := range []string{"3/4/1985", "1985-03-04 00:00:00", "0001-01-01", "Mar 4, 1985"} {
		d, err := transform.Date(in, transform.DateOptions{})
		fmt.Printf("%q %v\n", d, err)
	}
	_, err := transform.Date("1985-02-30", transform.DateOptions{})
	fmt.Println(err)
	// Output:
	// "1985-03-04" <nil>
	// "1985-03-04" <nil>
	// "" <nil>
	// "1985-03-04" <nil>
	// transform date: day out of range for the month
}

func ExampleTimestamp() {
	chicago, _ := time.LoadLocation("America/Chicago")
	ts, _ := transform.Timestamp("03/04/2019 3:04 PM", transform.DateOptions{Location: chicago})
	fmt.Println(ts)
	// Output: 2019-03-04T21:04:00Z
}

func ExampleParsePhone() {
	for _, in := range []string{"(536)624-5871", "536.624.5871 x12", "+44 20 7946 0958"} {
		p, _ := transform.ParsePhone(in, transform.PhoneOptions{Region: "US"})
		fmt.Printf("%s ext=%q\n", p.E164, p.Extension)
	}
	_, err := transform.ParsePhone("624-5871", transform.PhoneOptions{})
	fmt.Println(err)
	// Output:
	// +15366245871 ext=""
	// +15366245871 ext="12"
	// +442079460958 ext=""
	// transform phone: missing area code
}

func ExampleEmail() {
	e, _ := transform.Email("  Jane.Doe@Example.COM ")
	fmt.Println(e)
	_, err := transform.Email("jane@example")
	var te *transform.Error
	if errors.As(err, &te) {
		fmt.Println(te.Transform, "|", te.Reason, "|", errors.Is(err, transform.ErrInvalid))
	}
	// Output:
	// Jane.Doe@example.com
	// email | domain has no top-level domain | true
}

func ExampleParseCents() {
	c, ok, _ := transform.ParseCents("$1,234.50")
	fmt.Println(c, ok, transform.FormatCents(c), transform.CentsToFloat(c))
	// Output: 123450 true 1234.50 1234.5
}

func ExampleStateCode() {
	for _, in := range []string{"CA", "Maine", "n. carolina"} {
		code, _ := transform.StateCode(in)
		fmt.Print(code, " ")
	}
	country, _ := transform.CountryCode("United States of America")
	fmt.Println(country)
	// Output: CA ME NC US
}

func ExamplePickList() {
	stages, _ := transform.NewPickList(
		map[string]string{"Saved": "presented", "Active": "accepted", "Inactive": "declined"},
		transform.PickListOptions{Unknown: transform.UnknownDefault, Default: "presented"},
	)
	for _, in := range []string{"ACTIVE", "Archived"} {
		v, keep, err := stages.Map(in)
		fmt.Println(v, keep, err)
	}
	// Output:
	// accepted true <nil>
	// presented true <nil>
}

func ExampleJoin() {
	langs := []string{"Spanish", " ", "English", "Spanish"}
	fmt.Println(transform.Join(langs, ", ", transform.FlattenOptions{Dedupe: true}))
	fmt.Println(transform.First(langs))
	fmt.Println(transform.JSONArray(langs, transform.FlattenOptions{}))
	// Output:
	// Spanish, English
	// Spanish
	// ["Spanish","English","Spanish"]
}

func ExampleJSONBlob() {
	type sms struct {
		At   string `json:"at"`
		Body string `json:"body"`
	}
	var log []any
	for i := 1; i <= 6; i++ {
		log = append(log, sms{At: fmt.Sprintf("2024-01-0%dT09:00:00Z", i), Body: "Reminder: cleaning tomorrow"})
	}
	out, rep, _ := transform.JSONBlob(log, transform.BlobOptions{MaxBytes: 250, KeepNewest: true})
	fmt.Println(string(out))
	fmt.Printf("kept %d of %d, dropped %d, %d bytes\n", rep.Kept, rep.Entries, rep.Dropped, rep.Bytes)
	// Output:
	// [{"_truncated":{"dropped":3,"total":6}},{"at":"2024-01-04T09:00:00Z","body":"Reminder: cleaning tomorrow"},{"at":"2024-01-05T09:00:00Z","body":"Reminder: cleaning tomorrow"},{"at":"2024-01-06T09:00:00Z","body":"Reminder: cleaning tomorrow"}]
	// kept 3 of 6, dropped 3, 241 bytes
}

func ExampleCDTCode() {
	for _, in := range []string{"d1110", "D 1110", "1110", "01110", "T1234"} {
		c, _ := transform.CDTCode(in)
		fmt.Println(c.Code, c.Custom)
	}
	// Output:
	// D1110 false
	// D1110 false
	// D1110 false
	// D1110 false
	// T1234 true
}

func ExampleSplitName() {
	for _, in := range []string{"Smith, John A.", "Dr. Jane van Dyke Jr."} {
		n, _ := transform.SplitName(in)
		fmt.Printf("%+v\n", n)
	}
	// Output:
	// {Prefix: First:John Middle:A. Last:Smith Suffix: Nickname:}
	// {Prefix:Dr. First:Jane Middle: Last:van Dyke Suffix:Jr. Nickname:}
}

func ExampleTitleName() {
	fmt.Println(transform.TitleName("  MARY-JANE   MCDONALD III "))
	// Output: Mary-Jane McDonald III
}

func ExampleParseTreatmentNotes() {
	note := "2019-03-04 D1110 prophy adult $95\n" +
		"03/04/2019 - D2392 - post comp 2s #30 MOD - $210.50\n" +
		"Pt tolerated well."
	res := transform.ParseTreatmentNotes(note, transform.NotesOptions{})
	for _, r := range res.Rows {
		fmt.Println(transform.FormatDate(r.Date), r.Code.Code, r.Tooth, r.Surface, r.Description, transform.FormatCents(r.FeeCents))
	}
	fmt.Println("remainder:", res.Remainder)
	// Output:
	// 2019-03-04 D1110   prophy adult 95.00
	// 2019-03-04 D2392 30 MOD post comp 2s 210.50
	// remainder: Pt tolerated well.
}

func ExampleNeutralizeFormula() {
	fmt.Println(transform.NeutralizeFormula("=cmd|' /C calc'!A0"))
	fmt.Println(transform.NeutralizeFormula("-12.50"))
	// Output:
	// '=cmd|' /C calc'!A0
	// -12.50
}
