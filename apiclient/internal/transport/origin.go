package transport

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxRedirects bounds the redirects one attempt follows.
const maxRedirects = 10

// originOf is u's scheme, host and port, with the default port made
// explicit, so that https://h and https://h:443 compare equal.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	switch {
	case port != "":
	case scheme == "https":
		port = "443"
	case scheme == "http":
		port = "80"
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// credentialOf returns the credential an Authorizer put on req, without its
// scheme, so that it can be scrubbed from messages.
func credentialOf(req *http.Request) string {
	v := strings.TrimSpace(req.Header.Get("Authorization"))
	if i := strings.IndexByte(v, ' '); i >= 0 {
		v = strings.TrimSpace(v[i+1:])
	}
	return v
}

// checkRedirect never lets Authorization follow a redirect off the base
// URL's origin: net/http alone would keep it for a subdomain or another
// port of the same host.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("stopped after 10 redirects")
	}
	if originOf(req.URL) != c.origin {
		req.Header.Del("Authorization")
	}
	return nil
}

// buildHTTPClient returns the configured client with checkRedirect, or a
// new one with timeouts, gzip and the environment's proxy.
func (c *Client) buildHTTPClient() *http.Client {
	if c.cfg.HTTPClient != nil {
		hc := *c.cfg.HTTPClient
		hc.CheckRedirect = c.checkRedirect
		return &hc
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   c.cfg.TLSHandshakeTimeout,
			ResponseHeaderTimeout: c.cfg.ResponseHeaderTimeout,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: c.checkRedirect,
	}
}
