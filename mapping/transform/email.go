package transform

import "strings"

const emailTransform = "email"

// Email validates an email address and returns it normalised: trimmed, a
// "mailto:" prefix or surrounding angle brackets removed, and the domain
// lower-cased (the local part is left as written: RFC 5321 lets servers treat
// it as case-sensitive). Blank input returns "" and nil.
//
// Accepted: a dot-atom local part (letters, digits and !#$%&'*+/=?^_`{|}~-,
// dots not leading, trailing or doubled; at most 64 bytes) and a domain of at
// least two DNS labels with an alphabetic top-level label, at most 253 bytes.
// Quoted local parts, IP-literal domains and non-ASCII addresses are refused:
// they are legal but in a patient list they are typing accidents far more often
// than real addresses, and HighLevel's own validator rejects most of them.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
		s = strings.TrimSpace(s[7:])
	}
	if len(s) >= 2 && s[len(s)-1] == '>' {
		// "<jane@example.com>" or a display-name form "Jane Doe <jane@example.com>".
		if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
			s = strings.TrimSpace(s[lt+1 : len(s)-1])
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", newError(emailTransform, ErrInvalid, "missing @")
	}
	if strings.Count(s, "@") > 1 && strings.ContainsAny(s, ",; ") {
		return "", newError(emailTransform, ErrInvalid, "several addresses in one field")
	}
	local, domain := s[:at], s[at+1:]
	if reason := checkLocalPart(local); reason != "" {
		return "", newError(emailTransform, ErrInvalid, reason)
	}
	lower, reason := checkDomain(domain)
	if reason != "" {
		return "", newError(emailTransform, ErrInvalid, reason)
	}
	if len(s) > 254 {
		return "", newError(emailTransform, ErrInvalid, "address longer than 254 bytes")
	}
	if lower {
		return s, nil
	}
	return local + "@" + strings.ToLower(domain), nil
}

func checkLocalPart(local string) string {
	switch {
	case local == "":
		return "empty local part"
	case len(local) > 64:
		return "local part longer than 64 bytes"
	case local[0] == '.' || local[len(local)-1] == '.':
		return "local part starts or ends with a dot"
	}
	prevDot := false
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.':
			if prevDot {
				return "consecutive dots in local part"
			}
			prevDot = true
			continue
		case c == '@':
			return "more than one @"
		case c == ' ' || c == '\t':
			return "white space inside the address"
		case c >= 0x80:
			return "non-ASCII character in local part"
		case !isAtext(c):
			return "character not allowed in local part"
		}
		prevDot = false
	}
	return ""
}

func isAtext(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// checkDomain validates domain and reports whether it is already lower case.
func checkDomain(domain string) (lower bool, reason string) {
	switch {
	case domain == "":
		return false, "empty domain"
	case len(domain) > 253:
		return false, "domain longer than 253 bytes"
	}
	lower = true
	labels, labelStart := 0, 0
	for i := 0; i <= len(domain); i++ {
		if i == len(domain) || domain[i] == '.' {
			label := domain[labelStart:i]
			switch {
			case label == "":
				return false, "empty label in domain"
			case len(label) > 63:
				return false, "domain label longer than 63 bytes"
			case label[0] == '-' || label[len(label)-1] == '-':
				return false, "domain label starts or ends with a hyphen"
			}
			labels++
			labelStart = i + 1
			continue
		}
		c := domain[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			lower = false
		case c >= '0' && c <= '9' || c == '-':
		case c == ' ' || c == '\t':
			return false, "white space inside the address"
		case c >= 0x80:
			return false, "non-ASCII character in domain"
		default:
			return false, "character not allowed in domain"
		}
	}
	if labels < 2 {
		return false, "domain has no top-level domain"
	}
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	if len(tld) < 2 || !isAlpha(tld) && !strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return false, "top-level domain is not alphabetic"
	}
	return lower, ""
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

// placeholderLocals and placeholderDomains are what front desks type when
// a patient has no email but the PMS demands one.
var (
	placeholderLocals = map[string]bool{
		"none": true, "noemail": true, "no-email": true, "no_email": true, "no.email": true,
		"nomail": true, "na": true, "n-a": true, "noone": true, "nobody": true,
		"donotemail": true, "dontemail": true, "declined": true, "refused": true,
		"unknown": true, "noreply": true, "no-reply": true, "donotreply": true,
		"patient": true, "test": true, "email": true, "null": true, "nil": true,
	}
	placeholderDomains = map[string]bool{
		"none.com": true, "noemail.com": true, "nomail.com": true, "na.com": true,
		"no.com": true, "donotemail.com": true, "unknown.com": true, "test.com": true,
		"invalid": true, "example.invalid": true, "none.none": true,
	}
)

// IsPlaceholderEmail reports whether an address is a stand-in typed to get
// past a required field — "none@none.com", "noemail@gmail.com",
// "na@na.com" — rather than the patient's own. Several patients share such
// an address, and HighLevel's duplicate rules would merge them into one
// contact, so callers should drop it (and keep the record) rather than send
// it.
func IsPlaceholderEmail(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if placeholderDomains[domain] {
		return true
	}
	return placeholderLocals[local]
}
