package ea

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/transport"
)

// defaultCacheBytes bounds the answers the client keeps for conditional
// requests. The small endpoints of two periods (billing periods, balance
// summaries, marketplace charges, the price sheet) fit many times over.
const defaultCacheBytes = 32 << 20

// bodyCache keeps, per URL, the ETag and payload of the last answer of the
// small endpoints, so that a refresh can ask for them with If-None-Match
// and decode the kept payload on a 304: unchanged data is not downloaded
// again, and callers cannot tell the difference. When the payloads pass
// the bound, the oldest are forgotten.
type bodyCache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	entries map[string]cachedBody
	order   []string // URLs, oldest first
}

type cachedBody struct {
	etag    string
	payload []byte
}

func newBodyCache(maxBytes int64) *bodyCache {
	return &bodyCache{max: maxBytes, entries: map[string]cachedBody{}}
}

func (c *bodyCache) get(url string) (cachedBody, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[url]
	return e, ok
}

// put keeps payload under etag for url; an answer without an ETag, or one
// too big to keep, only forgets the old one.
func (c *bodyCache) put(url, etag string, payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(url)
	if etag == "" || int64(len(payload)) > c.max {
		return
	}
	c.entries[url] = cachedBody{etag: etag, payload: bytes.Clone(payload)}
	c.order = append(c.order, url)
	c.size += int64(len(payload))
	for c.size > c.max {
		c.dropLocked(c.order[0])
	}
}

func (c *bodyCache) drop(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(url)
}

func (c *bodyCache) dropLocked(url string) {
	e, ok := c.entries[url]
	if !ok {
		return
	}
	delete(c.entries, url)
	c.size -= int64(len(e.payload))
	for i, u := range c.order {
		if u == url {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}

// getCachedJSON is getJSON for the small GET endpoints, made conditional on
// the last answer's ETag: on a 304 the kept payload is decoded instead.
func (c *Client) getCachedJSON(ctx context.Context, endpoint, rawURL string, maxBytes int64, auth transport.Authorizer, decode func([]byte) error) error {
	kept, hasKept := c.cache.get(rawURL)
	var payload []byte
	var etag string
	err := c.doJSON(ctx, transport.Request{Endpoint: endpoint, URL: rawURL, Auth: auth, MaxBytes: maxBytes, IfNoneMatch: kept.etag},
		func(p []byte, h http.Header) error {
			if err := decode(p); err != nil {
				return err
			}
			payload, etag = p, h.Get("ETag")
			return nil
		})
	switch {
	case hasKept && errors.Is(err, apiclient.ErrNotModified):
		return decode(kept.payload)
	case err != nil:
		// "No data" and failures alike: the next answer starts afresh.
		c.cache.drop(rawURL)
		return err
	}
	c.cache.put(rawURL, etag, payload)
	return nil
}

// readParts reads a usage query that takes n requests (the months of a
// custom range), each conditionally on its part of ifNoneMatch, and returns
// the parts' ETags joined. It returns apiclient.ErrNotModified, having
// delivered nothing, only when every part is unchanged. When some part
// changed, the caller replaces all the query covers, so the unchanged parts
// are then read again unconditionally.
func readParts(n int, ifNoneMatch string, read func(i int, ifNoneMatch string) (etag string, err error)) (string, error) {
	conds := splitETags(ifNoneMatch, n)
	etags := make([]string, n)
	var unchanged []int
	for i := range n {
		etag, err := read(i, conds[i])
		if conds[i] != "" && errors.Is(err, apiclient.ErrNotModified) {
			etags[i] = conds[i]
			unchanged = append(unchanged, i)
			continue
		}
		if err != nil {
			return "", err
		}
		etags[i] = etag
	}
	if len(unchanged) == n {
		return "", apiclient.ErrNotModified
	}
	for _, i := range unchanged {
		etag, err := read(i, "")
		if err != nil {
			return "", err
		}
		etags[i] = etag
	}
	return joinETags(etags), nil
}

// etagSeparator joins the ETags of a query's parts: a space cannot occur in
// an entity tag (RFC 9110 8.8.3).
const etagSeparator = " "

// splitETags returns the n parts of a joined ETag, or n empty ones when it
// is empty or has another number of parts (the query was split otherwise).
func splitETags(joined string, n int) []string {
	parts := make([]string, n)
	switch {
	case joined == "":
	case n == 1:
		parts[0] = joined
	default:
		if split := strings.Split(joined, etagSeparator); len(split) == n {
			copy(parts, split)
		}
	}
	return parts
}

// joinETags joins the parts' ETags; "" when a part has none, since the
// query cannot then be asked for conditionally.
func joinETags(etags []string) string {
	if len(etags) == 1 {
		return etags[0]
	}
	for _, e := range etags {
		if e == "" || strings.Contains(e, etagSeparator) {
			return ""
		}
	}
	return strings.Join(etags, etagSeparator)
}

// conditionally runs readParts for q and reports the ETag through q.ETag:
// the new one, or q.IfNoneMatch itself when nothing changed.
func conditionally(q apiclient.UsageQuery, n int, read func(i int, ifNoneMatch string) (string, error)) error {
	etag, err := readParts(n, q.IfNoneMatch, read)
	if errors.Is(err, apiclient.ErrNotModified) {
		etag = q.IfNoneMatch
	}
	if q.ETag != nil && (err == nil || errors.Is(err, apiclient.ErrNotModified)) {
		*q.ETag = etag
	}
	return err
}
