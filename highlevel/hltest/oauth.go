package hltest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// authCodeTTL is how long an authorization code may be exchanged.
const authCodeTTL = 10 * time.Minute

// refreshTTL is the lifetime of a refresh token (one year, replaced on use).
const refreshTTL = 365 * 24 * time.Hour

// AuthorizationCode mints the code HighLevel would send to the app's
// redirect URI after a user installs it: userType "Location" (for
// locationID) or "Company" (agency). Exchange it at POST /oauth/token.
func (s *Server) AuthorizationCode(clientID, userType, locationID string) string {
	code := s.ids.token(40)
	st := s.st.Load()
	st.auth.mu.Lock()
	redirect := ""
	for _, c := range s.opts.OAuthClients {
		if c.ID == clientID {
			redirect = c.RedirectURI
		}
	}
	st.auth.codes[code] = &authCode{clientID: clientID, userType: userType, locationID: locationID,
		redirectURI: redirect, expires: s.clock().Add(authCodeTTL)}
	st.auth.mu.Unlock()
	return code
}

func oauthError(status int, code, desc string) *apiError {
	return &apiError{status: status, message: desc, label: code}
}

// jwtLike returns an opaque token shaped like HighLevel's JWT access tokens.
func (s *Server) jwtLike(p *principal) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(map[string]any{"authClass": p.userType, "authClassId": p.locationID + p.companyID,
		"oauthMeta": map[string]any{"client": p.clientID}, "iat": time.Now().Unix(), "jti": s.ids.next()})
	return head + "." + enc.EncodeToString(body) + "." + s.ids.token(43)
}

// issue creates an access + refresh token pair. Callers hold auth.mu.
func (s *Server) issue(st *state, clientID, userType, locationID, companyID string, now time.Time) map[string]any {
	// Every token of one marketplace app counts against that app's budget
	// in the location (or company) it is for: a refreshed token, or a
	// location token minted by the app's agency token, does not start a
	// new budget (docs/Authorization.md: limits are "for each Marketplace
	// app (i.e., client) per resource").
	p := &principal{userType: userType, locationID: locationID, companyID: companyID,
		clientID: clientID, app: clientID, expires: now.Add(s.opts.AccessTokenTTL)}
	if userType == "Company" {
		p.locationID = ""
	}
	access := s.jwtLike(p)
	refresh := s.jwtLike(p)
	st.auth.access[access] = p
	st.auth.refresh[refresh] = &refreshGrant{clientID: clientID, userType: userType, locationID: p.locationID,
		companyID: companyID, expires: now.Add(refreshTTL)}
	out := map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int(s.opts.AccessTokenTTL.Seconds()) - 1,
		"refresh_token": refresh, "scope": "contacts.write contacts.readonly businesses.write objects/record.write",
		"userType": userType, "companyId": companyID, "userId": s.installerID(),
		"isBulkInstallation": false,
	}
	if p.locationID != "" {
		out["locationId"] = p.locationID
	}
	return out
}

// installerID is the user who installed the app: the first configured
// user, or a fixed id.
func (s *Server) installerID() string {
	if len(s.opts.Users) > 0 {
		return s.opts.Users[0].ID
	}
	return "hlsimInstallerUser01"
}

// oauthToken is POST /oauth/token (form-encoded).
func (s *Server) oauthToken(c *call) (response, *apiError) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return fail(errBadRequest("body must be application/x-www-form-urlencoded"))
	}
	var client *OAuthClient
	for i, oc := range s.opts.OAuthClients {
		if oc.ID == form.Get("client_id") && oc.Secret == form.Get("client_secret") {
			client = &s.opts.OAuthClients[i]
		}
	}
	if client == nil {
		return fail(oauthError(http.StatusUnauthorized, "invalid_client", "Invalid client credentials"))
	}
	st := c.st
	st.auth.mu.Lock()
	defer st.auth.mu.Unlock()
	switch form.Get("grant_type") {
	case "authorization_code":
		code := st.auth.codes[form.Get("code")]
		if code == nil || code.clientID != client.ID || !c.now.Before(code.expires) {
			return fail(oauthError(http.StatusBadRequest, "invalid_grant", "Invalid authorization code"))
		}
		if code.redirectURI != "" && form.Get("redirect_uri") != code.redirectURI {
			return fail(oauthError(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match"))
		}
		if ut := form.Get("user_type"); ut != "" && ut != code.userType {
			return fail(oauthError(http.StatusBadRequest, "invalid_grant", "user_type does not match the installation"))
		}
		delete(st.auth.codes, form.Get("code"))
		return ok(s.issue(st, client.ID, code.userType, code.locationID, s.opts.CompanyID, c.now))
	case "refresh_token":
		tok := form.Get("refresh_token")
		g := st.auth.refresh[tok]
		if g == nil || g.clientID != client.ID || !c.now.Before(g.expires) {
			return fail(oauthError(http.StatusBadRequest, "invalid_grant", "Invalid refresh token"))
		}
		// Rotation: the refresh token is single-use.
		delete(st.auth.refresh, tok)
		return ok(s.issue(st, client.ID, g.userType, g.locationID, g.companyID, c.now))
	}
	return fail(errUnprocessable("grant_type must be one of the following values: authorization_code, refresh_token, client_credentials"))
}

// locationToken is POST /oauth/locationToken: an agency token gets a
// location token.
func (s *Server) locationToken(c *call) (response, *apiError) {
	if c.p.userType != "Company" {
		return fail(errUnauthorized(msgScopeUnauthorized))
	}
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return fail(errBadRequest("body must be application/x-www-form-urlencoded"))
	}
	var msgs []string
	for _, k := range []string{"companyId", "locationId"} {
		if form.Get(k) == "" {
			msgs = append(msgs, k+" should not be empty")
		}
	}
	if len(msgs) > 0 {
		return fail(errUnprocessable(msgs...))
	}
	if form.Get("companyId") != c.p.companyID || !slices.Contains(c.st.order, form.Get("locationId")) {
		return fail(errLocationAccess)
	}
	st := c.st
	st.auth.mu.Lock()
	defer st.auth.mu.Unlock()
	out := s.issue(st, c.p.clientID, "Location", form.Get("locationId"), c.p.companyID, c.now)
	// The location token belongs to the agency token's app, which for an
	// agency Private Integration is not an OAuth client.
	st.auth.access[out["access_token"].(string)].app = c.p.app
	delete(st.auth.refresh, out["refresh_token"].(string))
	delete(out, "refresh_token")
	return ok(out)
}
