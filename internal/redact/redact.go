package redact

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Mask replaces a removed value.
const Mask = "[REDACTED]"

var (
	// Credentials first: their shapes overlap with the PHI patterns below.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)
	jwtRE    = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	pitRE    = regexp.MustCompile(`\bpit-[A-Za-z0-9-]+`)
	// key=value and "key":"value" pairs whose key names a secret or PHI.
	pairRE  = regexp.MustCompile(`(?i)("?)\b(access_token|refresh_token|id_token|client_secret|password|token|code|authorization|api[_-]?key|email|phone|number|firstName|lastName|name|dateOfBirth|address1|body|title|query)("?\s*[:=]\s*)("[^"]*"[^\s&,;}]*|[^\s&,;"}]+)`)
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	// A phone number: optional +, then 7 or more digits possibly separated by
	// spaces, dots, dashes or parentheses. Ids of HighLevel (20+ alphanumerics
	// mixing letters and digits) do not match because of the word boundaries.
	phoneRE = regexp.MustCompile(`(?:\+|\b)\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}\b`)
	// Dates such as a birth date: 1984-03-07, 03/07/1984.
	dateRE = regexp.MustCompile(`\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b`)
)

// String removes credentials, e-mail addresses, phone numbers, dates and the
// values of sensitive key=value pairs from s. It is meant for short texts such
// as API error messages; ids and field names survive.
func String(s string) string {
	if s == "" {
		return s
	}
	s = bearerRE.ReplaceAllString(s, "$1 "+Mask)
	s = jwtRE.ReplaceAllString(s, Mask)
	s = pitRE.ReplaceAllString(s, Mask)
	s = pairRE.ReplaceAllString(s, "$1$2$3"+Mask)
	s = emailRE.ReplaceAllString(s, Mask)
	s = dateRE.ReplaceAllString(s, Mask)
	s = phoneRE.ReplaceAllStringFunc(s, func(m string) string {
		if countDigits(m) < 7 {
			return m
		}
		return Mask
	})
	return s
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// structural query parameters carry no personal data and help debugging.
var safeParams = map[string]bool{
	"locationid": true, "location_id": true, "companyid": true, "limit": true,
	"skip": true, "page": true, "pagelimit": true, "model": true, "pipelineid": true,
	"pipeline_id": true, "status": true, "startafter": true, "startafterid": true,
	"objectkey": true, "type": true, "sortby": true, "order": true, "id": true,
}

// URL returns u with user info removed and every query value replaced by
// [Mask], except for structural parameters (locationId, limit, skip, …).
// An unparsable URL is reduced to [Mask].
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mask
	}
	u.User = nil
	u.Fragment = ""
	u.RawQuery = Query(u.Query())
	return u.String()
}

// Query encodes q with the values of non-structural parameters masked.
func Query(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			if safeParams[strings.ToLower(k)] {
				b.WriteString(url.QueryEscape(v))
			} else {
				b.WriteString(Mask)
			}
		}
	}
	return b.String()
}

// sensitiveKeys are attribute or field names whose values are always masked.
var sensitiveKeys = map[string]bool{
	"authorization": true, "token": true, "access_token": true, "refresh_token": true,
	"accesstoken": true, "refreshtoken": true, "client_secret": true, "clientsecret": true,
	"password": true, "secret": true, "code": true, "apikey": true, "api_key": true,
	"email": true, "phone": true, "number": true, "firstname": true, "lastname": true,
	"name": true, "dateofbirth": true, "dob": true, "birthdate": true, "address": true,
	"address1": true, "body": true, "note": true, "notes": true, "value": true,
	"field_value": true, "fieldvalue": true, "query": true, "ssn": true,
}

// IsSensitiveKey reports whether values under key must never be logged.
func IsSensitiveKey(key string) bool {
	return sensitiveKeys[strings.ToLower(key)]
}
