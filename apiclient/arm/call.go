package arm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
)

// clientType is sent as the ClientType header, which gives this client's
// calls their own Cost Management quota bucket (reference 6.5.3).
const clientType = "azure-ea-exporter"

// mgmtCall is one Resource Manager call.
type mgmtCall struct {
	endpoint string
	// scope is the billing scope the call reads, the key of its pacing.
	scope  string
	method string
	url    string
	// body is the JSON body of a POST; nil sends none.
	body []byte
}

// call paces and sends a management call with the token. The JSON payload
// of a 200 or 201 answer is passed to decode before call returns, so that a
// damaged body is fetched again; 202 and 204 answers have no payload.
func (c *Client) call(ctx context.Context, mc mgmtCall, decode func(payload []byte) error) (*transport.Response, error) {
	res, challenged, err := c.send(ctx, mc, decode)
	if challenged {
		// A continuous access evaluation challenge: the token was revoked
		// before its expiry. One more attempt, with a token asked for with
		// the challenge's claims, as azcore's bearer policy does.
		res, _, err = c.send(ctx, mc, decode)
	}
	if err != nil {
		return nil, withHint(err)
	}
	return res, nil
}

// send makes one call. After a 401 it drops the token that was refused, and
// says whether the answer challenged for claims, which the next token
// request will carry.
func (c *Client) send(ctx context.Context, mc mgmtCall, decode func(payload []byte) error) (*transport.Response, bool, error) {
	if err := c.pace.wait(ctx, mc.scope); err != nil {
		return nil, false, fmt.Errorf("%s: waiting for the scope's pace: %w", mc.endpoint, err)
	}
	auth := &mgmtAuth{tokens: c.tokens, body: mc.body, endpoint: mc.endpoint, quota: c.quota}
	var buf bytes.Buffer
	res, err := c.tr.Do(ctx, transport.Request{
		Endpoint: mc.endpoint, Method: mc.method, URL: mc.url, Auth: auth, Answered: auth.answered,
		Check: func(r *transport.Response) error {
			if decode == nil || r.StatusCode == http.StatusAccepted || r.StatusCode == http.StatusNoContent {
				return nil
			}
			payload, err := jsonPayload(r.Header.Get("Content-Type"), r.Body)
			if err != nil {
				return transport.Damaged(err)
			}
			return decode(payload)
		},
	}, &buf)
	if err != nil {
		if !isStatus(err, http.StatusUnauthorized) || auth.sent == "" {
			return nil, false, err
		}
		claims := auth.answers.challenge()
		c.tokens.forget(auth.sent, claims)
		return nil, claims != "", err
	}
	return res, false, nil
}

// mgmtAuth prepares one management request for each of its attempts: the
// bearer token, the ClientType header and the JSON body. The transport
// calls it only for requests to the management endpoint.
type mgmtAuth struct {
	tokens *tokenSource
	body   []byte
	// endpoint names the call, for the quotas its answers report.
	endpoint string
	quota    *quotaReporter
	// sent is the token the last attempt carried.
	sent string
	// answers records what the answers to the attempts said.
	answers answers
}

// answered is shown each answer to an attempt (transport.Request.Answered). Every
// answer reports the remaining quotas, a throttled one (429, quota 0)
// above all.
func (a *mgmtAuth) answered(resp *http.Response) {
	a.quota.observe(a.endpoint, resp.Header)
	a.answers.record(resp)
}

// Authorize implements transport.Authorizer.
func (a *mgmtAuth) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := a.tokens.token(ctx)
	if err != nil {
		return err
	}
	a.sent = tok
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("ClientType", clientType)
	if a.body != nil {
		body := a.body
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	return nil
}

// String keeps the token out of anything that prints the value.
func (a *mgmtAuth) String() string { return "[management token]" }

// GoString keeps the token out of %#v.
func (a *mgmtAuth) GoString() string { return "[management token]" }

// pacer spaces calls to one scope at least interval apart: Cost Management
// counts calls per scope (30 a minute), and a refresh makes several at once.
type pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	mu   sync.Mutex
	next map[string]time.Time // the earliest time of the next call per scope
}

// wait reserves the scope's next slot and sleeps until it comes.
func (p *pacer) wait(ctx context.Context, scope string) error {
	if p.interval <= 0 {
		return nil
	}
	p.mu.Lock()
	now := p.now()
	at := p.next[scope]
	if at.Before(now) {
		at = now
	}
	p.next[scope] = at.Add(p.interval)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

// jsonPayload is flex.Payload, which also refuses invalid JSON (a truncated
// body).
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	trimmed, err := flex.Payload(contentType, body)
	if err == nil && !json.Valid(trimmed) {
		return nil, fmt.Errorf("%w: the body is not valid JSON (truncated?)", apiclient.ErrBadResponse)
	}
	return trimmed, err
}

// isStatus reports a management answer with the given HTTP status. Entra
// ID's answers do not count: a 404 from a wrong authority host is no "no
// data" of the call that needed the token.
func isStatus(err error, code int) bool {
	var se *apiclient.StatusError
	return errors.As(err, &se) && se.Code == code && se.Endpoint != apiclient.EndpointToken
}

// isNoData reports a management 404 with the API's own answer, which means
// "no data". One with an HTML page comes from a proxy or gateway, which
// knows nothing of the data: it is a failure, as in the EA client.
func isNoData(err error) bool {
	var se *apiclient.StatusError
	return isStatus(err, http.StatusNotFound) && errors.As(err, &se) && !se.HTML
}
