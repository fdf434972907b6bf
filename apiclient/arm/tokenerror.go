package arm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// errAuthorityUnreachable is a token request that got no answer from Entra
// ID: the credential was not judged, so it is not ErrUnauthorized.
var errAuthorityUnreachable = errors.New("authority unreachable: no answer from Entra ID (DNS, proxy, firewall or authority host?)")

// errTokenRequestFailed is a token request that failed without an answer
// from Entra ID and without a network error, such as a workload identity
// whose token file cannot be read: neither the credential was judged nor
// the authority found unreachable.
var errTokenRequestFailed = errors.New("token request failed")

// tokenError turns a credential's error into one of ours: azidentity's
// messages span many lines and name URLs; ours name the endpoint, the
// status and Entra's own message. Only a 400 or 401 from Entra ID rejects
// the credential. No answer at all means the authority was not reached
// when the request failed on the network; azidentity flattens that cause
// into its message, so attempts tells it too.
func tokenError(ctx context.Context, err error, attempts *tokenAttempts, secret string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", apiclient.EndpointToken, ctx.Err())
	}
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) {
		return fmt.Errorf("%s: %w: %s", apiclient.EndpointToken, apiclient.ErrNoCredential, shorten(err.Error(), secret))
	}
	if afe.RawResponse == nil {
		cause := errTokenRequestFailed
		if isNetworkError(err) || attempts.failedOnNetwork() {
			cause = errAuthorityUnreachable
		}
		return fmt.Errorf("%s: %w: %s", apiclient.EndpointToken, cause, withoutURLs(shorten(err.Error(), secret)))
	}
	se := &apiclient.StatusError{Endpoint: apiclient.EndpointToken, Code: afe.RawResponse.StatusCode,
		Message: withoutURLs(shorten(entraMessage(afe), secret))}
	if se.Code == http.StatusBadRequest || se.Code == http.StatusUnauthorized {
		se.Err = errCredentialRejected
	}
	return se
}

// isNetworkError reports an error that is or wraps a network failure:
// *url.Error, *net.DNSError and *net.OpError are all net.Errors.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// tokenAttempts records how the token requests of one GetToken call ended,
// as the token transport saw them.
type tokenAttempts struct {
	mu sync.Mutex
	// netErr is the last request's network error, nil when it was answered.
	netErr error
}

// record notes a request's outcome: err is the HTTP client's error, nil
// for an answer of any status.
func (a *tokenAttempts) record(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.netErr = nil
	if isNetworkError(err) {
		a.netErr = err
	}
}

// failedOnNetwork reports that the last request got no answer.
func (a *tokenAttempts) failedOnNetwork() bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.netErr != nil
}

// tokenAttemptsKey is the context key of a GetToken call's tokenAttempts.
type tokenAttemptsKey struct{}

// withTokenAttempts has the token transport record into a the outcome of
// the requests sent with ctx.
func withTokenAttempts(ctx context.Context, a *tokenAttempts) context.Context {
	return context.WithValue(ctx, tokenAttemptsKey{}, a)
}
