package transform

import (
	"strings"
	"unicode"
)

const nameTransform = "name"

// Name is a personal name split into parts.
type Name struct {
	Prefix   string // "Dr.", "Mrs."
	First    string
	Middle   string // middle names or initials, space-separated
	Last     string // family name, with particles: "van Dyke", "De La Cruz"
	Suffix   string // "Jr.", "III", "DDS"; several are comma-separated
	Nickname string // from quotes or parentheses: John "Jack" Smith
}

var namePrefixes = map[string]bool{
	"dr": true, "mr": true, "mrs": true, "ms": true, "miss": true, "mx": true,
	"prof": true, "rev": true, "fr": true, "sir": true, "dame": true, "hon": true,
	"capt": true, "col": true, "sgt": true, "lt": true, "maj": true, "gen": true,
}

var nameSuffixes = map[string]bool{
	"jr": true, "sr": true, "ii": true, "iii": true, "iv": true, "2nd": true, "3rd": true,
	"md": true, "dds": true, "dmd": true, "phd": true, "esq": true, "rdh": true, "rn": true,
	"np": true, "pa": true, "cpa": true, "msd": true, "facs": true,
	// "DO" (osteopath) is left out: Do is a common Vietnamese family name.
}

// Particles start a family name: "Jane van Dyke" → Last "van Dyke".
var nameParticles = map[string]bool{
	"van": true, "von": true, "de": true, "del": true, "della": true, "der": true,
	"den": true, "di": true, "da": true, "dos": true, "das": true, "du": true,
	"la": true, "le": true, "st": true, "ste": true, "saint": true, "bin": true,
	"ibn": true, "al": true, "el": true, "ten": true, "ter": true,
}

func nameWordKey(w string) string {
	return strings.ToLower(strings.Trim(w, ".,"))
}

// SplitName splits a full name as PMSs and spreadsheets write it into parts:
//
//	"Smith, John A."         → First John, Middle A., Last Smith
//	"John A. Smith"          → First John, Middle A., Last Smith
//	"Dr. Jane van Dyke Jr."  → Prefix Dr., First Jane, Last van Dyke, Suffix Jr.
//	"Anh Van Nguyen"         → First Anh, Middle Van, Last Nguyen
//	"Smith Jr., John"        → First John, Last Smith, Suffix Jr.
//	`John "Jack" Smith`      → First John, Last Smith, Nickname Jack
//
// Case is kept as written (see TitleName). A single word is a first name.
// Particles (van, de, von, la...) start the family name when written in
// lower case or chained; a lone capitalised "Van", "Le", "Da", "Di", "Du" or
// "La" is read as a middle name, because in US patient
// lists it is more often Vietnamese (Văn, Lê) than Dutch — so "Jane Van
// Dyke" splits as Middle Van, Last Dyke. A name in "Last, First" form is
// never ambiguous and is the safer input when the source has it.
// Blank gives a zero Name; input without a single letter is an error.
func SplitName(s string) (Name, error) {
	s = Collapse(s)
	if s == "" {
		return Name{}, nil
	}
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return Name{}, newError(nameTransform, ErrInvalid, "no letters in name")
	}
	var n Name
	s, n.Nickname = extractNickname(s)
	for _, w := range strings.Fields(s) {
		if w == "&" || w == "+" || strings.EqualFold(w, "and") {
			// "Mr. and Mrs. Smith", "John & Mary Smith": a household, not a person.
			return Name{}, newError(nameTransform, ErrInvalid, "several people in one name")
		}
	}

	var suffixes []string
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	// Trailing comma-separated parts made only of suffixes: "John Smith, Jr., DDS".
	for len(parts) > 1 && isSuffixPhrase(parts[len(parts)-1]) {
		suffixes = append([]string{parts[len(parts)-1]}, suffixes...)
		parts = parts[:len(parts)-1]
	}
	var words []string
	lastFirst := len(parts) > 1
	if lastFirst {
		// "Last[ Suffix], First Middle"
		lastWords := strings.Fields(parts[0])
		for len(lastWords) > 1 && isSuffix(lastWords[len(lastWords)-1]) {
			suffixes = append([]string{lastWords[len(lastWords)-1]}, suffixes...)
			lastWords = lastWords[:len(lastWords)-1]
		}
		n.Last = strings.Join(lastWords, " ")
		words = strings.Fields(strings.Join(parts[1:], " "))
	} else {
		words = strings.Fields(parts[0])
	}
	for len(words) > 1 && namePrefixes[nameWordKey(words[0])] {
		n.Prefix = joinSpace(n.Prefix, words[0])
		words = words[1:]
	}
	for len(words) > 1 && isSuffix(words[len(words)-1]) && (lastFirst || len(words) > 2) {
		suffixes = append([]string{words[len(words)-1]}, suffixes...)
		words = words[:len(words)-1]
	}
	n.Suffix = strings.Join(suffixes, ", ")
	switch {
	case len(words) == 0:
	case lastFirst:
		n.First = words[0]
		n.Middle = strings.Join(words[1:], " ")
	case len(words) == 1 && n.Prefix == "" && namePrefixes[nameWordKey(words[0])]:
		// A title alone ("Dr.") is not a name.
	case len(words) == 1:
		if n.Prefix != "" {
			n.Last = words[0] // "Dr. Smith"
		} else {
			n.First = words[0]
		}
	default:
		lastStart := len(words) - 1
		for i := 1; i < len(words)-1; i++ {
			if startsFamilyName(words, i) {
				lastStart = i
				break
			}
		}
		n.First = words[0]
		n.Middle = strings.Join(words[1:lastStart], " ")
		n.Last = strings.Join(words[lastStart:], " ")
	}
	if n.First == "" && n.Last == "" {
		return Name{}, newError(nameTransform, ErrInvalid, "no given or family name")
	}
	return n, nil
}

// ambiguousParticles, capitalised and not followed by another particle, are
// more often Vietnamese middle or family names (Anh Van Nguyen, Minh Le
// Tran) than the start of a Dutch or French family name; written in lower
// case ("van Dyke") or chained ("Van Der Berg") they are particles.
var ambiguousParticles = map[string]bool{"van": true, "le": true, "da": true, "di": true, "du": true, "la": true}

// startsFamilyName reports whether words[i] is a particle that begins the
// family name.
func startsFamilyName(words []string, i int) bool {
	key := nameWordKey(words[i])
	if !nameParticles[key] {
		return false
	}
	if r := []rune(words[i])[0]; unicode.IsLower(r) {
		return true
	}
	if i+2 < len(words) && nameParticles[nameWordKey(words[i+1])] {
		return true // "Van Der Berg", "De La Cruz"
	}
	return !ambiguousParticles[key]
}

func isSuffix(w string) bool { return nameSuffixes[nameWordKey(w)] }

func isSuffixPhrase(p string) bool {
	words := strings.Fields(p)
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if !isSuffix(w) {
			return false
		}
	}
	return true
}

func joinSpace(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// extractNickname removes the first "…" or (…) group and returns it.
func extractNickname(s string) (rest, nick string) {
	for _, q := range [...][2]string{{`"`, `"`}, {"“", "”"}, {"(", ")"}, {"'", "'"}} {
		i := strings.Index(s, q[0])
		if i < 0 {
			continue
		}
		// A single quote inside a word is an apostrophe (O'Brien), not a quote.
		if q[0] == "'" && i > 0 && s[i-1] != ' ' {
			continue
		}
		j := strings.Index(s[i+len(q[0]):], q[1])
		if j < 0 {
			continue
		}
		nick = strings.TrimSpace(s[i+len(q[0]) : i+len(q[0])+j])
		rest = Collapse(s[:i] + " " + s[i+len(q[0])+j+len(q[1]):])
		if nick != "" && rest != "" {
			return rest, nick
		}
	}
	return s, ""
}

// placeholderSurnames are what schedulers type as the family name of a
// chart opened before the patient is known ("New Patient", "Call In").
var placeholderSurnames = map[string]bool{
	"patient": true, "appointment": true, "new patient": true, "new pt": true, "pt": true,
	"call in": true, "call-in": true, "walk in": true, "walk-in": true, "walkin": true,
	"unknown": true, "test": true, "tbd": true, "emergency": true, "none": true, "na": true,
	"n/a": true, "placeholder": true, "do not use": true, "dnu": true,
}

var placeholderGiven = map[string]bool{"new": true, "test": true, "unknown": true, "pt": true, "tbd": true, "xx": true, "x": true}

// IsPlaceholderName reports whether a chart's name is a scheduling
// placeholder rather than a person: a family name such as "Patient",
// "Appointment", "New Patient", "Call In", "Walk-In", "Unknown", or a
// given name such as "New"/"Test" with a placeholder family name. Such
// charts should be reviewed, not migrated as contacts.
func IsPlaceholderName(first, last string) bool {
	l := strings.ToLower(Collapse(last))
	if placeholderSurnames[l] {
		return true
	}
	f := strings.ToLower(Collapse(first))
	return placeholderGiven[f] && (l == "" || placeholderGiven[l])
}
