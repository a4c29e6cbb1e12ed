package pbntest

// Vocabulary the generator draws from. The lists are deliberately varied:
// accents, apostrophes, hyphens and suffixes all occur in real charts.

var firstNamesFemale = []string{
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
	"Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia",
	"Amy", "Kathleen", "Angela", "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha",
	"Katherine", "Christine", "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Catherine", "Heather",
	"Diane", "Olivia", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren", "Kelly", "Christina",
	"Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan", "Cheryl", "Jacqueline", "Martha", "Madison",
	"Zoë", "Chloé", "Renée", "María José", "Siobhan", "Aaliyah", "Priya", "Mei", "Fatima", "Guadalupe",
	"Ximena", "Nguyet", "Yuki", "Ngozi", "Ana-Lucía", "Marie-Claire", "Søren", "Ayşe", "Leilani", "Saoirse",
}

var firstNamesMale = []string{
	"James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
	"Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Andrew", "Paul", "Joshua",
	"Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Jason", "Edward", "Jeffrey", "Ryan",
	"Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
	"Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
	"Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Zachary", "Douglas", "Peter", "Kyle",
	"José", "Jesús", "François", "Björn", "Sean", "Dmitri", "Raj", "Wei", "Hiroshi", "Oluwaseun",
	"Juan Carlos", "Jean-Luc", "Mohammed", "Thanh", "Kai", "Luis", "Mateo", "Tomás", "Ian", "Declan",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"O'Brien", "O'Connor", "McDonald", "MacLeod", "Smith-Jones", "García-López", "Nguyễn", "Müller", "Zhang", "Patel",
	"De La Cruz", "Van der Berg", "St. John", "D'Angelo", "Øverland", "Kowalski", "Abu-Bakr", "Le", "Ng", "Yamamoto",
}

var middleInitials = []string{"", "", "", "A", "B", "C", "D", "E", "J", "K", "L", "M", "R", "S", "T", "W", "Ann", "Lee", "M."}

var nameSuffixes = []string{" Jr", " Jr.", " Sr.", " II", " III"}

var streetNames = []string{
	"Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd", "Lakeview Dr",
	"Park Ave", "Sunset Blvd", "Hillcrest Rd", "Highland Ave", "Meadow Ln", "Forest Dr", "River Rd",
	"Church St", "Willow Way", "Birch Ct", "Spring St", "Valley View Rd", "Country Club Dr", "Jefferson St",
	"Madison Ave", "Lincoln Way", "Franklin Pkwy", "2nd St", "3rd Ave", "5th St NW", "Old Mill Rd", "Bay St",
}

var address2s = []string{"Apt 4B", "Unit 12", "#203", "Suite 100", "Apt. 7", "Bldg 3 Apt 21", "PO Box 442", "Lot 17"}

type cityState struct {
	city, abbr, full, zip string
	tz                    string
}

var cities = []cityState{
	{"Sacramento", "CA", "California", "958", "America/Los_Angeles"},
	{"San Diego", "CA", "California", "921", "America/Los_Angeles"},
	{"Fresno", "CA", "California", "937", "America/Los_Angeles"},
	{"Portland", "ME", "Maine", "041", "America/New_York"},
	{"Bangor", "ME", "Maine", "044", "America/New_York"},
	{"Austin", "TX", "Texas", "787", "America/Chicago"},
	{"Plano", "TX", "Texas", "750", "America/Chicago"},
	{"Phoenix", "AZ", "Arizona", "850", "America/Phoenix"},
	{"Denver", "CO", "Colorado", "802", "America/Denver"},
	{"Orlando", "FL", "Florida", "328", "America/New_York"},
	{"Tampa", "FL", "Florida", "336", "America/New_York"},
	{"Columbus", "OH", "Ohio", "432", "America/New_York"},
	{"Nashville", "TN", "Tennessee", "372", "America/Chicago"},
	{"Raleigh", "NC", "North Carolina", "276", "America/New_York"},
	{"Seattle", "WA", "Washington", "981", "America/Los_Angeles"},
	{"Boise", "ID", "Idaho", "837", "America/Boise"},
}

var emailDomains = []string{"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "comcast.net", "att.net", "msn.com", "protonmail.com"}

// sharedEmails are the placeholder addresses front desks type when a patient
// has none; many unrelated patients end up sharing them.
var sharedEmails = []string{"noemail@noemail.com", "none@none.com", "frontdesk@smileclinic.com", "na@na.com"}

var languages = []string{"English", "English", "English", "English", "English", "English", "Spanish", "Spanish", "Vietnamese", "Chinese", "Tagalog", "", "", "en", "es", "eng"}

// cdtCode is a procedure code with its description and usual fee in cents.
type cdtCode struct {
	code, descript, abbr string
	fee                  int64
	hygiene              bool
	tooth                bool // charted on a tooth
	surfaces             bool
}

var cdtCodes = []cdtCode{
	{"D0120", "periodic oral evaluation - established patient", "PerEx", 5500, true, false, false},
	{"D0140", "limited oral evaluation - problem focused", "LimEx", 7500, false, false, false},
	{"D0150", "comprehensive oral evaluation - new or established patient", "CompEx", 9500, false, false, false},
	{"D0210", "intraoral - comprehensive series of radiographic images", "FMX", 15000, true, false, false},
	{"D0220", "intraoral - periapical first radiographic image", "PA", 3000, false, true, false},
	{"D0274", "bitewings - four radiographic images", "4BW", 7000, true, false, false},
	{"D0330", "panoramic radiographic image", "Pano", 12000, false, false, false},
	{"D1110", "prophylaxis - adult", "prophy adult", 9500, true, false, false},
	{"D1120", "prophylaxis - child", "prophy child", 7000, true, false, false},
	{"D1206", "topical application of fluoride varnish", "FlVarn", 4000, true, false, false},
	{"D1351", "sealant - per tooth", "Seal", 5000, true, true, false},
	{"D2140", "amalgam - one surface, primary or permanent", "A1", 14000, false, true, true},
	{"D2150", "amalgam - two surfaces, primary or permanent", "A2", 17500, false, true, true},
	{"D2330", "resin-based composite - one surface, anterior", "C1", 15000, false, true, true},
	{"D2391", "resin-based composite - one surface, posterior", "C1P", 16500, false, true, true},
	{"D2392", "resin-based composite - two surfaces, posterior", "C2P", 21000, false, true, true},
	{"D2740", "crown - porcelain/ceramic", "CrnPorc", 125000, false, true, false},
	{"D2750", "crown - porcelain fused to high noble metal", "PFM", 115000, false, true, false},
	{"D2950", "core buildup, including any pins when required", "BU", 27500, false, true, false},
	{"D3310", "endodontic therapy, anterior tooth", "RCT Ant", 85000, false, true, false},
	{"D3330", "endodontic therapy, molar tooth", "RCT Mol", 120000, false, true, false},
	{"D4341", "periodontal scaling and root planing - four or more teeth per quadrant", "SRP", 26000, true, false, false},
	{"D4342", "periodontal scaling and root planing - one to three teeth per quadrant", "SRP 1-3", 18000, true, false, false},
	{"D4910", "periodontal maintenance", "PerioMaint", 14000, true, false, false},
	{"D5110", "complete denture - maxillary", "FUD", 180000, false, false, false},
	{"D6010", "surgical placement of implant body: endosteal implant", "Implant", 220000, false, true, false},
	{"D6065", "implant supported porcelain/ceramic crown", "ImpCrn", 180000, false, true, false},
	{"D7140", "extraction, erupted tooth or exposed root", "Ext", 18000, false, true, false},
	{"D7210", "extraction, erupted tooth requiring removal of bone", "SurgExt", 32000, false, true, false},
	{"D8090", "comprehensive orthodontic treatment of the adult dentition", "Ortho", 600000, false, false, false},
	{"D9110", "palliative treatment of dental pain - per visit", "Palliative", 9500, false, false, false},
	{"D9944", "occlusal guard - hard appliance, full arch", "NightGuard", 55000, false, false, false},
}

// customCodes are practice-defined codes: not CDT, still billed.
var customCodes = []cdtCode{
	{"Z0001", "missed appointment fee", "MissedApt", 5000, false, false, false},
	{"N4101", "insurance claim narrative", "Narr", 0, false, false, false},
	{"T1234", "in-office whitening (practice code)", "Whiten", 45000, false, false, false},
	{"WHTKIT", "take-home whitening trays", "WhtKit", 25000, false, false, false},
	{"00001", "legacy conversion balance", "Conv", 0, false, false, false},
}

// deletedCodes were removed from CDT years ago but survive in old charts.
var deletedCodes = []cdtCode{
	{"D1201", "topical application of fluoride (including prophylaxis) - child", "Prophy+Fl", 8000, true, false, false},
	{"D1203", "topical application of fluoride - child", "FlChild", 3000, true, false, false},
	{"D0360", "cone beam ct - craniofacial data capture", "CBCT", 35000, false, false, false},
	{"D2970", "temporary crown (fractured tooth)", "TempCrn", 25000, false, true, false},
}

var surfaces = []string{"M", "O", "D", "B", "L", "MO", "DO", "MOD", "OB", "F", "I", "MODBL"}

type carrierSeed struct {
	name, payerID, phone string
}

var carrierSeeds = []carrierSeed{
	{"Delta Dental of California", "77777", "(800) 765-6003"},
	{"DELTA DENTAL OF CA", "CDCA1", "8007656003"},
	{"MetLife", "65978", "1-800-942-0854"},
	{"Cigna Dental", "62308", "800.244.6224"},
	{"Aetna Dental", "60054", "(877)238-6200"},
	{"Guardian", "64246", "888-600-1600"},
	{"United Concordia", "CX014", ""},
	{"Humana Dental", "73288", "8002337101"},
	{"Blue Cross Blue Shield", "BCBS1", "(800) 222-2583 x4"},
	{"Principal Financial Group", "61271", "800-247-4695"},
	{"Ameritas", "47009", "800.487.5553"},
	{"Sun Life Financial", "SLF01", ""},
	{"Denti-Cal (Medi-Cal Dental)", "94146", "800-322-6384"},
	{"UnitedHealthcare Dental", "52133", "877-816-3596"},
	{"Self Pay / No Insurance", "", ""},
}

var groupNames = []string{"ACME CORP", "State of California", "Walmart Associates", "County Schools", "Kaiser Employees", "City of Austin", "Self-Employed", "Retired Teachers Assn", "Local 332 Union", ""}

var formSeeds = []struct {
	name, kind string
	fields     []string
}{
	{"New Patient Registration", "patient_form", []string{"first_name", "last_name", "date_of_birth", "address", "phone", "email", "emergency_contact", "referral_source"}},
	{"Medical History", "medical_history", []string{"allergies", "medications", "heart_condition", "diabetes", "pregnant", "smoker", "last_physical"}},
	{"HIPAA Acknowledgement", "consent", []string{"acknowledged", "signature_name"}},
	{"Consent for Treatment - Extraction", "consent", []string{"procedure", "risks_explained", "signature_name"}},
	{"Financial Policy", "consent", []string{"agree_payment_terms", "signature_name"}},
	{"COVID-19 Screening", "patient_form", []string{"fever", "cough", "travel_recent", "contact_positive"}},
	{"Insurance Update", "patient_form", []string{"carrier", "subscriber_id", "group_number", "relationship"}},
}

var pipelines = []struct {
	name   string
	stages []string
	codes  []string
}{
	{"Restorative", []string{"Diagnosed", "Presented", "Follow-up", "Scheduled", "Accepted", "Declined"}, []string{"D2740", "D2750", "D2950", "D2392", "D3330"}},
	{"Implants", []string{"Consult", "Presented", "Financing", "Scheduled", "Accepted", "Declined"}, []string{"D6010", "D6065", "D7210"}},
	{"Perio", []string{"Diagnosed", "Presented", "Scheduled", "Accepted", "Declined"}, []string{"D4341", "D4342", "D4910"}},
	{"Ortho / Aligners", []string{"Lead", "Consult", "Presented", "Accepted", "Declined"}, []string{"D8090"}},
}

var stageProbability = map[string]int{
	"Lead": 10, "Consult": 20, "Diagnosed": 25, "Presented": 40, "Follow-up": 50, "Financing": 60,
	"Scheduled": 80, "Accepted": 100, "Declined": 0,
}

var cohortNames = []string{
	"Overdue for hygiene", "Unscheduled treatment", "New patients this year", "VIP", "Invisalign leads",
	"No-show risk", "Perio patients", "Insurance: Delta", "Birthday this month", "Lapsed 18+ months",
}

var smsBodies = []string{
	"Hi {first}, this is {office} confirming your appointment on {date}. Reply C to confirm.",
	"C",
	"Can we move it to the afternoon?",
	"Your appointment is confirmed. See you soon!",
	"Running 10 min late sorry",
	"Hi {first}! It's time for your 6-month cleaning. Call us or book online.",
	"STOP",
	"Thank you for visiting {office}! How did we do? https://g.page/r/review",
	"Is my crown ready yet?",
	"👍",
}

var callSubjects = []string{"Confirmed appointment", "Left voicemail", "Insurance question", "Billing question", "Scheduled recall", "No answer", "Pt called to reschedule", "Toothache - emergency"}

var emailSubjects = []string{"Your upcoming appointment", "Treatment plan estimate", "Statement from {office}", "Welcome to {office}", "We miss you!", "Re: insurance card", "Post-op instructions"}
