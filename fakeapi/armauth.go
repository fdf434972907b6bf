package fakeapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// armToken is an access token the fake issued.
type armToken struct {
	expires  time.Time
	audience string
	cae      bool // issued with the cp1 client capability
	revoked  bool
}

// maxARMTokens bounds the tokens kept; the oldest are forgotten first.
const maxARMTokens = 1000

// managementAudiences are the audiences ARM accepts in a token.
func managementAudiences() []string {
	return []string{"https://management.core.windows.net/", "https://management.core.windows.net",
		"https://management.azure.com/", "https://management.azure.com"}
}

// ARMToken returns a fresh token for https://management.azure.com, as the
// token endpoint would issue it, for tests that do not go through Entra ID.
// It is not counted in Stats.ARMTokensIssued.
func (s *Server) ARMToken() string {
	return s.issueToken("https://management.azure.com", false, s.opts.Now().UTC())
}

// RevokeARMTokens revokes every token issued so far. A revoked token that
// was issued with the cp1 capability (continuous access evaluation, as
// azcore's ARM bearer policy asks) gets a 401 with an insufficient_claims
// challenge, which azcore answers with a new token; any other revoked token
// gets a plain 401.
func (s *Server) RevokeARMTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.arm.tokens {
		t.revoked = true
	}
}

// issueToken makes and stores a JWT-shaped token for audience.
func (s *Server) issueToken(audience string, cae bool, now time.Time) string {
	a := &s.opts.ARM
	exp := now.Add(a.TokenLifetime)
	var random [256 + 24]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never fails
	oid := guid(s.opts.Seed, domARMToken, 1)
	uti := base64.RawURLEncoding.EncodeToString(random[256:272])
	sts := "https://sts.windows.net/" + a.TenantID + "/"
	jw := jsonWriter{q: &Quirks{}}
	jw.open('{')
	jw.str("aud", audience)
	jw.str("iss", sts)
	jw.int("iat", now.Unix())
	jw.int("nbf", now.Add(-5*time.Minute).Unix())
	jw.int("exp", exp.Unix())
	jw.str("aio", base64.RawURLEncoding.EncodeToString(random[272:]))
	jw.str("appid", a.ClientID)
	jw.str("appidacr", "1")
	jw.str("idp", sts)
	jw.str("idtyp", "app")
	jw.str("oid", oid)
	jw.str("sub", oid)
	jw.str("tid", a.TenantID)
	jw.str("uti", uti)
	jw.str("ver", "1.0")
	if cae {
		jw.raw("xms_cc", []byte(`["cp1"]`))
	}
	jw.close('}')
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","x5t":"fakeapi-arm","kid":"fakeapi-arm"}`))
	tok := header + "." + enc.EncodeToString(jw.b) + "." + enc.EncodeToString(random[:256])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm.tokens[tok] = &armToken{expires: exp, audience: audience, cae: cae}
	s.arm.tokenOrder = append(s.arm.tokenOrder, tok)
	if len(s.arm.tokenOrder) > maxARMTokens {
		delete(s.arm.tokens, s.arm.tokenOrder[0])
		s.arm.tokenOrder = s.arm.tokenOrder[1:]
	}
	return tok
}

// serveEntra answers the OpenID configuration and the token endpoint.
func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request, ar *armRequest) {
	c := s.newARMCall(w, r, ar)
	if !c.begin(flavourEntra) {
		return
	}
	if !strings.EqualFold(ar.tenant, s.opts.ARM.TenantID) {
		c.tokenError(http.StatusBadRequest, "invalid_tenant", 90002, "Tenant '"+ar.tenant+
			"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	if ar.route == RouteARMMetadata {
		c.serveOpenIDConfiguration()
		return
	}
	c.serveToken()
}

// tokenError counts and writes a refused Entra request.
func (c *armCall) tokenError(status int, errName string, aadsts int, message string) {
	c.s.count(func(st *Stats) { st.ARMTokenErrors++ })
	writeEntraError(c.w, status, errName, aadsts, message, c.now)
}

// serveOpenIDConfiguration answers the tenant's OpenID configuration with
// endpoints on this host: MSAL needs authorization_endpoint, token_endpoint
// and an issuer whose scheme and host are the authority's.
func (c *armCall) serveOpenIDConfiguration() {
	base, tenant := c.baseURL(), c.s.opts.ARM.TenantID
	bw, w := c.json(http.StatusOK)
	defer c.end(bw, w)
	w.open('{')
	w.str("token_endpoint", base+"/"+tenant+"/oauth2/v2.0/token")
	w.raw("token_endpoint_auth_methods_supported", []byte(`["client_secret_post","private_key_jwt","client_secret_basic"]`))
	w.str("jwks_uri", base+"/"+tenant+"/discovery/v2.0/keys")
	w.raw("response_modes_supported", []byte(`["query","fragment","form_post"]`))
	w.raw("subject_types_supported", []byte(`["pairwise"]`))
	w.raw("id_token_signing_alg_values_supported", []byte(`["RS256"]`))
	w.raw("response_types_supported", []byte(`["code","id_token","code id_token","id_token token"]`))
	w.raw("scopes_supported", []byte(`["openid","profile","email","offline_access"]`))
	w.str("issuer", base+"/"+tenant+"/v2.0")
	w.bool("request_uri_parameter_supported", false)
	w.str("authorization_endpoint", base+"/"+tenant+"/oauth2/v2.0/authorize")
	w.str("device_authorization_endpoint", base+"/"+tenant+"/oauth2/v2.0/devicecode")
	w.str("end_session_endpoint", base+"/"+tenant+"/oauth2/v2.0/logout")
	w.str("tenant_region_scope", "EU")
	w.str("cloud_instance_name", "microsoftonline.com")
	w.close('}')
}

// serveToken answers a client credentials grant (reference 6.5.1).
func (c *armCall) serveToken() {
	a := &c.s.opts.ARM
	if err := c.r.ParseForm(); err != nil {
		c.tokenError(http.StatusBadRequest, "invalid_request", 900144, "The request body must be form-encoded.")
		return
	}
	form := c.r.PostForm
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	if user, pass, ok := c.r.BasicAuth(); ok { // client_secret_basic
		clientID, _ = url.QueryUnescape(user)
		secret, _ = url.QueryUnescape(pass)
	}
	switch grant := form.Get("grant_type"); {
	case grant != "client_credentials":
		c.tokenError(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'.")
	case clientID == "":
		c.tokenError(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
	case !strings.EqualFold(clientID, a.ClientID):
		c.tokenError(http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+
			"' was not found in the directory '"+a.TenantID+"'. This can happen if the application has not been installed by the administrator of the tenant.")
	case secret == "":
		c.tokenError(http.StatusUnauthorized, "invalid_client", 7000216,
			"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
	case secret != a.ClientSecret:
		c.tokenError(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent "+
			"in the request is the client secret value, not the client secret ID, for a secret added to app '"+a.ClientID+"'.")
	default:
		c.issueFromForm(form)
	}
}

// issueFromForm checks the scope and answers with a new token.
func (c *armCall) issueFromForm(form url.Values) {
	scope := form.Get("scope")
	resource, ok := defaultScopeResource(scope)
	if !ok {
		c.tokenError(http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+scope+" is not valid. "+
			"Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	// azidentity asks for "CP1"; Entra matches capabilities case-insensitively.
	tok := c.s.issueToken(resource, strings.Contains(strings.ToLower(form.Get("claims")), `"cp1"`), c.now)
	c.s.count(func(st *Stats) { st.ARMTokensIssued++ })
	lifetime := int64(c.s.opts.ARM.TokenLifetime / time.Second)
	c.w.Header().Set("Cache-Control", "no-store, no-cache")
	c.w.Header().Set("Pragma", "no-cache")
	bw, w := c.json(http.StatusOK)
	defer c.end(bw, w)
	w.open('{')
	w.str("token_type", "Bearer")
	w.int("expires_in", lifetime)
	w.int("ext_expires_in", lifetime)
	w.str("access_token", tok)
	w.close('}')
}

// defaultScopeResource returns the resource of the one "<resource>/.default"
// scope in scope, ignoring the OpenID scopes MSAL adds.
func defaultScopeResource(scope string) (string, bool) {
	resource := ""
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		r, ok := strings.CutSuffix(sc, "/.default")
		if !ok || r == "" || resource != "" {
			return "", false
		}
		resource = r
	}
	return resource, resource != ""
}

// authorizeToken checks the bearer token of a management request and
// answers 401 itself when it is missing, unknown, expired, revoked or for
// another audience.
func (c *armCall) authorizeToken() bool {
	code, msg, challenge := c.tokenProblem()
	if code == "" {
		return true
	}
	c.s.count(func(st *Stats) { st.ARMUnauthorized++ })
	if challenge != "" {
		c.w.Header().Set("WWW-Authenticate", challenge)
	} else {
		c.wwwAuthenticate("invalid_token", msg)
	}
	writeARMError(c.w, http.StatusUnauthorized, code, msg)
	return false
}

// tokenProblem returns the ARM error code and message for the request's
// token ("" when it is good), and a CAE challenge for a revoked cp1 token.
func (c *armCall) tokenProblem() (code, msg, challenge string) {
	auth := strings.TrimSpace(c.r.Header.Get("Authorization"))
	if auth == "" {
		return "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", ""
	}
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.", ""
	}
	c.s.mu.Lock()
	t, known := c.s.arm.tokens[strings.TrimSpace(tok)]
	var info armToken
	if known {
		info = *t
	}
	c.s.mu.Unlock()
	switch {
	case !known:
		return "InvalidAuthenticationToken", "The access token is invalid.", ""
	case info.revoked && info.cae:
		claims := `{"access_token":{"nbf":{"essential":true,"value":"` + strconv.FormatInt(c.now.Unix(), 10) + `"}}}`
		return "InvalidAuthenticationToken", "The access token has been revoked; acquire a new one with the claims of the challenge.",
			`Bearer authorization_uri="` + c.baseURL() + "/" + c.s.opts.ARM.TenantID + `", error="insufficient_claims", claims="` +
				base64.StdEncoding.EncodeToString([]byte(claims)) + `"`
	case info.revoked:
		return "InvalidAuthenticationToken", "The access token has been revoked.", ""
	case !c.now.Before(info.expires):
		return "ExpiredAuthenticationToken", "The access token expiry UTC time '" + info.expires.UTC().Format("1/2/2006 3:04:05 PM") +
			"' is earlier than current UTC time '" + c.now.Format("1/2/2006 3:04:05 PM") + "'.", ""
	}
	for _, aud := range managementAudiences() {
		if info.audience == aud {
			return "", "", ""
		}
	}
	return "InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource '" + info.audience +
		"'. It should exactly match with one of the allowed audiences '" + strings.Join(managementAudiences(), "','") + "'.", ""
}
