package pbntest

// automationSeeds are the practice's workflows, campaigns and message
// templates as a dental office runs them in PbN: recall, reminders,
// birthday, review requests, reactivation, treatment follow-up and missed
// appointments. The quoted texts are the message templates with PbN's merge
// fields ({first}, {{first_name}}, {office}, {date}, {time}, ...), some of
// which HighLevel has no custom value for ({provider}, {review_link},
// {last_visit}, {plan_amount}): what a handover guide must translate or
// flag. They hold no patient's name, address or number: a template
// addresses its reader only through merge fields.
//
// The names decide kind and channel (buildAutomations): keep them.
var automationSeeds = []struct {
	name, trigger, steps string
}{
	{"Appointment reminder 48h", "appointment.scheduled",
		"wait until 48h before\n" +
			`send SMS "Hi {first}, this is {office} reminding you of your visit on {date} at {time}. Reply C to confirm or call {office_phone}."` + "\n" +
			`if no reply in 4h: send email "{first}, we look forward to seeing you on {date} at {time} with {provider}."`},
	{"Recall 6 months", "procedure.completed D1110|D1120|D4910",
		"wait 5 months\n" +
			`send email "Hi {first}, it's time for your cleaning with {provider} at {office}. Book online or call {office_phone}."` + "\n" +
			"wait 14 days\n" +
			`send SMS "{first}, you are due for your 6-month visit at {office}. Reply YES and we will call you."` + "\n" +
			"create task for front desk"},
	{"Birthday greeting", "patient.birthday",
		`send SMS "Happy birthday {{first_name}}! All of us at {office} wish you a wonderful year."`},
	{"Review request", "appointment.completed",
		"wait 2h\n" +
			`send SMS "Thanks for visiting {office} today, {first}! How did we do? {review_link}"`},
	{"Reactivation campaign", "patient.last_visit > 18 months",
		`send email "We miss you, {first}! Your last visit to {office} was on {last_visit}. Reply to book your check-up."` + "\n" +
			"wait 7 days\nsend letter\nwait 14 days\ncall task"},
	{"Unscheduled treatment follow-up", "treatment_plan.presented",
		"wait 3 days\n" +
			`send email "{first}, your treatment plan ({plan_amount}) is ready to schedule. Call {office_phone} with any questions."` + "\n" +
			"wait 7 days\ncreate call task for treatment coordinator"},
	{"Missed appointment", "appointment.broken",
		`send SMS "Sorry we missed you today, {first}. Call {office_phone} to find a new time."` + "\n" +
			"add to cohort No-show risk"},
}
