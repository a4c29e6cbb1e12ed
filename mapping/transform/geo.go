package transform

import "strings"

//go:generate go run gen_countries.go

const (
	stateTransform   = "state"
	countryTransform = "country"
)

// usStates lists US states, DC, territories, the military "states" and
// Canadian provinces and territories (their codes do not collide).
var usStates = [...][2]string{
	{"AL", "Alabama"}, {"AK", "Alaska"}, {"AZ", "Arizona"}, {"AR", "Arkansas"},
	{"CA", "California"}, {"CO", "Colorado"}, {"CT", "Connecticut"}, {"DE", "Delaware"},
	{"FL", "Florida"}, {"GA", "Georgia"}, {"HI", "Hawaii"}, {"ID", "Idaho"},
	{"IL", "Illinois"}, {"IN", "Indiana"}, {"IA", "Iowa"}, {"KS", "Kansas"},
	{"KY", "Kentucky"}, {"LA", "Louisiana"}, {"ME", "Maine"}, {"MD", "Maryland"},
	{"MA", "Massachusetts"}, {"MI", "Michigan"}, {"MN", "Minnesota"}, {"MS", "Mississippi"},
	{"MO", "Missouri"}, {"MT", "Montana"}, {"NE", "Nebraska"}, {"NV", "Nevada"},
	{"NH", "New Hampshire"}, {"NJ", "New Jersey"}, {"NM", "New Mexico"}, {"NY", "New York"},
	{"NC", "North Carolina"}, {"ND", "North Dakota"}, {"OH", "Ohio"}, {"OK", "Oklahoma"},
	{"OR", "Oregon"}, {"PA", "Pennsylvania"}, {"RI", "Rhode Island"}, {"SC", "South Carolina"},
	{"SD", "South Dakota"}, {"TN", "Tennessee"}, {"TX", "Texas"}, {"UT", "Utah"},
	{"VT", "Vermont"}, {"VA", "Virginia"}, {"WA", "Washington"}, {"WV", "West Virginia"},
	{"WI", "Wisconsin"}, {"WY", "Wyoming"},
	{"DC", "District of Columbia"},
	{"AS", "American Samoa"}, {"GU", "Guam"}, {"MP", "Northern Mariana Islands"},
	{"PR", "Puerto Rico"}, {"VI", "U.S. Virgin Islands"}, {"UM", "U.S. Minor Outlying Islands"},
	{"FM", "Federated States of Micronesia"}, {"MH", "Marshall Islands"}, {"PW", "Palau"},
	{"AA", "Armed Forces Americas"}, {"AE", "Armed Forces Europe"}, {"AP", "Armed Forces Pacific"},
	{"AB", "Alberta"}, {"BC", "British Columbia"}, {"MB", "Manitoba"}, {"NB", "New Brunswick"},
	{"NL", "Newfoundland and Labrador"}, {"NS", "Nova Scotia"}, {"NT", "Northwest Territories"},
	{"NU", "Nunavut"}, {"ON", "Ontario"}, {"PE", "Prince Edward Island"}, {"QC", "Quebec"},
	{"SK", "Saskatchewan"}, {"YT", "Yukon"},
}

// stateAliases are spellings seen in PMS exports besides the official names
// (keys are in stateKey form).
var stateAliases = map[string]string{
	"washington dc": "DC", "washington d c": "DC", "d c": "DC", "wash dc": "DC",
	"calif": "CA", "cal": "CA", "mass": "MA", "penn": "PA", "penna": "PA", "wash": "WA",
	"n carolina": "NC", "no carolina": "NC", "s carolina": "SC", "so carolina": "SC",
	"n dakota": "ND", "s dakota": "SD", "w virginia": "WV", "w va": "WV", "fla": "FL",
	"tex": "TX", "ariz": "AZ", "colo": "CO", "conn": "CT", "ill": "IL", "mich": "MI",
	"minn": "MN", "miss": "MS", "tenn": "TN", "wis": "WI", "wisc": "WI", "okla": "OK",
	"ore": "OR", "oreg": "OR", "nev": "NV", "ind": "IN", "kans": "KS", "ky": "KY",
	"virgin islands": "VI", "us virgin islands": "VI", "puerto rico pr": "PR",
	"quebec qc": "QC", "québec": "QC", "newfoundland": "NL", "pei": "PE",
	"yukon territory": "YT",
}

var (
	stateByKey  = map[string]string{}
	stateByCode = map[string]string{}
)

func init() {
	for _, st := range usStates {
		stateByCode[st[0]] = st[1]
		stateByKey[stateKey(st[0])] = st[0]
		stateByKey[stateKey(st[1])] = st[0]
	}
	for k, code := range stateAliases {
		stateByKey[k] = code
	}
	for _, c := range isoCountries {
		countryByKey[strings.ToLower(c[0])] = c[0]
		countryByKey[strings.ToLower(c[1])] = c[0]
		countryByKey[countryKey(c[2])] = c[0]
	}
	for k, code := range countryAliases {
		countryByKey[countryKey(k)] = code
	}
}

var punctToSpace = strings.NewReplacer(".", " ", ",", " ")

// stateKey lower-cases, turns dots and commas into spaces and collapses
// spaces: "N. Carolina" → "n carolina".
func stateKey(s string) string {
	return strings.ToLower(Collapse(punctToSpace.Replace(s)))
}

// StateCode returns the two-letter postal code for a US state, DC, territory,
// military "state" or Canadian province, written as a code ("ca", "N.Y.") or
// a name ("Maine", "north carolina", "Calif."). Blank gives "". Anything
// else is an *Error wrapping ErrUnknownValue.
func StateCode(s string) (string, error) {
	if len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' {
		if _, ok := stateByCode[s]; ok {
			return s, nil // canonical: no allocation
		}
	}
	if isBlank(s) {
		return "", nil
	}
	if code, ok := lookupSimple(stateByKey, s); ok {
		return code, nil
	}
	k := stateKey(s)
	if code, ok := stateByKey[k]; ok {
		return code, nil
	}
	if len(k) == 3 && k[1] == ' ' { // "N.Y." → "n y"
		if code, ok := stateByKey[string([]byte{k[0], k[2]})]; ok {
			return code, nil
		}
	}
	return "", newError(stateTransform, ErrUnknownValue, "not a US state, territory or Canadian province")
}

// StateName returns the full name for a state code or name: "me" → "Maine".
func StateName(s string) (string, error) {
	code, err := StateCode(s)
	if err != nil || code == "" {
		return "", err
	}
	return stateByCode[code], nil
}

// countryAliases are common names that differ from CLDR's English names.
var countryAliases = map[string]string{
	"usa": "US", "u s a": "US", "u s": "US", "us of a": "US", "america": "US",
	"united states of america": "US", "the united states": "US", "estados unidos": "US",
	"uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
	"scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"united kingdom of great britain and northern ireland": "GB",
	"republic of korea": "KR", "korea": "KR", "korea south": "KR", "korea republic of": "KR",
	"democratic people's republic of korea": "KP",
	"russian federation":                    "RU", "viet nam": "VN", "czech republic": "CZ",
	"ivory coast": "CI", "cote d'ivoire": "CI", "côte d'ivoire": "CI",
	"holland": "NL", "the netherlands": "NL", "north macedonia": "MK",
	"burma": "MM", "swaziland": "SZ", "eswatini": "SZ", "cape verde": "CV", "cabo verde": "CV",
	"türkiye": "TR", "turkiye": "TR", "republic of ireland": "IE", "eire": "IE",
	"hong kong": "HK", "macau": "MO", "macao": "MO", "palestine": "PS",
	"vatican": "VA", "holy see": "VA", "méxico": "MX", "deutschland": "DE",
	"españa": "ES", "brasil": "BR", "iran islamic republic of": "IR", "syria": "SY",
	"laos": "LA", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "moldova": "MD",
	"congo-kinshasa": "CD", "democratic republic of the congo": "CD", "drc": "CD",
	"congo-brazzaville": "CG", "republic of the congo": "CG",
	"st lucia": "LC", "st kitts and nevis": "KN", "st vincent and the grenadines": "VC",
	"myanmar": "MM", "east timor": "TL", "sao tome and principe": "ST", "bosnia": "BA",
	"trinidad": "TT", "uae": "AE", "the bahamas": "BS", "the gambia": "GM",
}

var countryByKey = map[string]string{}

var countryPunct = strings.NewReplacer("&", " and ", "’", "'", ",", " ", "(", " ", ")", " ")

// countryKey is stateKey with "&" read as "and" and curly apostrophes straightened.
func countryKey(s string) string { return stateKey(countryPunct.Replace(s)) }

// CountryCode returns the ISO 3166-1 alpha-2 code HighLevel's country field
// takes, from an alpha-2 or alpha-3 code or an English (or common local) name:
// "USA", "United States of America", "u.s." → "US"; "UK", "England" → "GB";
// "Canada", "CAN" → "CA". Blank gives "". Unknown names are an *Error
// wrapping ErrUnknownValue.
func CountryCode(s string) (string, error) {
	if len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s != "UK" {
		if _, ok := countryByKey[string([]byte{s[0] | 0x20, s[1] | 0x20})]; ok {
			return s, nil
		}
	}
	if isBlank(s) {
		return "", nil
	}
	if code, ok := lookupSimple(countryByKey, s); ok {
		return code, nil
	}
	if code, ok := countryByKey[countryKey(s)]; ok {
		return code, nil
	}
	return "", newError(countryTransform, ErrUnknownValue, "not a known country")
}

// lookupSimple looks s up in a table keyed by lower-case names without
// allocating, when s is short, ASCII, and already free of punctuation and
// doubled spaces ("Maine", "United States"); ok=false sends the caller to
// the general normalisation.
func lookupSimple(m map[string]string, s string) (string, bool) {
	var buf [32]byte
	if len(s) > len(buf) {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z':
		case c == ' ' && i > 0 && i < len(s)-1 && s[i-1] != ' ':
		default:
			return "", false
		}
		buf[i] = c
	}
	v, ok := m[string(buf[:len(s)])]
	return v, ok
}
