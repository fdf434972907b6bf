package arm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/internal/boundedfile"
)

// maxCredentialFileBytes bounds a secret or certificate file read.
const maxCredentialFileBytes = 1 << 20

// tokenRefreshMargin is how long before its expiry a token is replaced,
// when the credential suggests no refresh time of its own.
const tokenRefreshMargin = 5 * time.Minute

// newTokenSource builds the credential that cfg describes and the token
// source that attaches its tokens to management requests.
func newTokenSource(cfg Config, cl cloudConfig) (*tokenSource, error) {
	audience := cl.audience
	if cfg.Audience != "" {
		audience = cfg.Audience
	}
	ts := &tokenSource{scope: audience + "/.default", now: cfg.now}
	if cfg.Credential != nil {
		ts.cred = cfg.Credential
		return ts, nil
	}
	host := authorityHost(cfg, cl)
	opts := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: host},
		Transport: newTokenTransport(cfg),
		Retry:     tokenRetry(cfg.Retry),
	}
	noDiscovery := disableInstanceDiscovery(host)
	cred, secret, err := buildCredential(cfg, opts, noDiscovery)
	if err != nil {
		return nil, err
	}
	ts.cred, ts.secret = cred, secret
	return ts, nil
}

// tokenRetry makes the configured retries those of token requests too;
// unset fields keep azcore's defaults.
func tokenRetry(rc RetryConfig) policy.RetryOptions {
	var ro policy.RetryOptions
	switch {
	case rc.MaxAttempts == 1:
		ro.MaxRetries = -1 // azcore's "no retry"; 0 would be its default
	case rc.MaxAttempts > 1:
		ro.MaxRetries = int32(min(rc.MaxAttempts-1, 100))
	}
	ro.RetryDelay, ro.MaxRetryDelay = rc.BackoffBase, rc.BackoffMax
	return ro
}

// buildCredential returns the explicit service principal's credential, or
// azidentity's default chain, and the secret to keep out of messages.
func buildCredential(cfg Config, opts azcore.ClientOptions, noDiscovery bool) (azcore.TokenCredential, string, error) {
	explicit := cfg.ClientSecretFile != "" || cfg.ClientCertificateFile != ""
	switch {
	case !explicit && cfg.ClientID != "":
		// Ignoring it would use another identity than the one configured.
		return nil, "", errors.New("arm: ClientID needs ClientSecretFile or ClientCertificateFile " +
			"(a managed or workload identity takes its client id from AZURE_CLIENT_ID)")
	case !explicit:
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: noDiscovery, TenantID: cfg.TenantID})
		// The chain's environment credential sends AZURE_CLIENT_SECRET:
		// keep it out of messages as an explicit secret is.
		secret := cfg.getenv("AZURE_CLIENT_SECRET")
		if err != nil {
			return nil, "", fmt.Errorf("arm: %w: default Azure credential: %s", apiclient.ErrNoCredential, shorten(err.Error(), secret))
		}
		return cred, secret, nil
	case cfg.TenantID == "" || cfg.ClientID == "":
		return nil, "", errors.New("arm: a client secret or certificate file needs TenantID and ClientID")
	case cfg.ClientSecretFile != "" && cfg.ClientCertificateFile != "":
		return nil, "", errors.New("arm: set ClientSecretFile or ClientCertificateFile, not both")
	case cfg.ClientSecretFile != "":
		secret, err := readSecret(cfg.ClientSecretFile)
		if err != nil {
			return nil, "", err
		}
		cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, secret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, "", fmt.Errorf("arm: client secret credential: %s", shorten(err.Error(), secret))
		}
		return cred, secret, nil
	}
	return certificateCredential(cfg, opts, noDiscovery)
}

func certificateCredential(cfg Config, opts azcore.ClientOptions, noDiscovery bool) (azcore.TokenCredential, string, error) {
	source := fmt.Sprintf("client certificate file %q", cfg.ClientCertificateFile)
	data, err := boundedfile.Read(cfg.ClientCertificateFile, maxCredentialFileBytes)
	if err != nil {
		return nil, "", fmt.Errorf("arm: %w: %s: %w", apiclient.ErrNoCredential, source, err)
	}
	certs, key, err := azidentity.ParseCertificates(data, nil)
	if err != nil {
		// The parser's message names no key material.
		return nil, "", fmt.Errorf("arm: %w: %s: %w", apiclient.ErrNoCredential, source, err)
	}
	cred, err := azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
	if err != nil {
		return nil, "", fmt.Errorf("arm: client certificate credential: %s", shorten(err.Error(), ""))
	}
	return cred, "", nil
}

// readSecret reads a client secret file; errors name the file, never its
// content.
func readSecret(path string) (string, error) {
	source := fmt.Sprintf("client secret file %q", path)
	b, err := boundedfile.Read(path, maxCredentialFileBytes)
	if err != nil {
		return "", fmt.Errorf("arm: %w: %s: %w", apiclient.ErrNoCredential, source, err)
	}
	secret := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(b)), "\ufeff"))
	switch {
	case secret == "":
		return "", fmt.Errorf("arm: %w: %s is empty", apiclient.ErrNoCredential, source)
	case strings.ContainsAny(secret, "\r\n"):
		return "", fmt.Errorf("arm: %w: %s holds more than one line", apiclient.ErrNoCredential, source)
	}
	return secret, nil
}

// tokenSource hands out a cached bearer token for the management scope.
type tokenSource struct {
	cred  azcore.TokenCredential
	scope string
	// secret is redacted from token errors, should a server echo it.
	secret string
	now    func() time.Time

	mu  sync.Mutex
	tok azcore.AccessToken
	// claims are what a continuous access evaluation challenge asked for,
	// to be sent with the next token request.
	claims string
}

// token returns a valid token, asking the credential for a new one when
// the cached one is due for refresh. The lock is held while asking, so
// that concurrent calls make one token request. Tokens are asked for with
// continuous access evaluation, as azcore's bearer policy does: a token the
// API revokes before its expiry is then refused with a claims challenge,
// and the claims make the credential ask Entra ID again instead of
// answering from its cache.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.tok.Token != "" && now.Before(refreshTime(t.tok)) {
		return t.tok.Token, nil
	}
	attempts := &tokenAttempts{}
	tok, err := t.cred.GetToken(withTokenAttempts(ctx, attempts),
		policy.TokenRequestOptions{Scopes: []string{t.scope}, EnableCAE: true, Claims: t.claims})
	if err != nil {
		if t.tok.Token != "" && now.Add(time.Minute).Before(t.tok.ExpiresOn) {
			return t.tok.Token, nil // Entra is down, the old token still works
		}
		return "", tokenError(ctx, err, attempts, t.secret)
	}
	if tok.Token == "" {
		return "", fmt.Errorf("%s: %w: the credential returned an empty token", apiclient.EndpointToken, apiclient.ErrNoCredential)
	}
	t.tok, t.claims = tok, ""
	return tok.Token, nil
}

// forget drops the cached token after the API refused it, so that the next
// call asks for a new one, with the claims of the refusal's challenge when
// it had one. A token already replaced is left alone.
func (t *tokenSource) forget(token, claims string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Token == token {
		t.tok = azcore.AccessToken{}
		if claims != "" {
			t.claims = claims
		}
	}
}

func refreshTime(tok azcore.AccessToken) time.Time {
	if !tok.RefreshOn.IsZero() && tok.RefreshOn.Before(tok.ExpiresOn) {
		return tok.RefreshOn
	}
	return tok.ExpiresOn.Add(-tokenRefreshMargin)
}

// tokenTransport sends azidentity's requests through the configured HTTP
// client, counts them under the token endpoint, and follows no redirect:
// a token request carries the secret in its body.
type tokenTransport struct {
	client *http.Client
	obs    apiclient.Observer
	now    func() time.Time
}

func newTokenTransport(cfg Config) *tokenTransport {
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: http.DefaultTransport}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &tokenTransport{client: hc, obs: cfg.Observer, now: cfg.now}
}

// Do implements policy.Transporter.
func (t *tokenTransport) Do(req *http.Request) (*http.Response, error) {
	start := t.now()
	resp, err := t.client.Do(req)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	if attempts, ok := req.Context().Value(tokenAttemptsKey{}).(*tokenAttempts); ok {
		attempts.record(err)
	}
	t.obs.ObserveRequest(apiclient.EndpointToken, code, t.now().Sub(start))
	return resp, err
}
