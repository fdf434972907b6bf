package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
)

// errorBodyBytes bounds how much of a non-2xx body is read for its message.
const errorBodyBytes = 64 << 10

// attemptBuffered sends one attempt of r and reads its body into buf.
func (c *Client) attemptBuffered(ctx context.Context, r Request, buf *bytes.Buffer, n int) (*Response, *failure) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	resp, start, f := c.send(ctx, actx, r, n)
	if f != nil {
		return nil, f
	}
	defer resp.Body.Close()
	if f := c.readBody(ctx, r, resp, buf); f != nil {
		c.observe(r, n, resp.StatusCode, start)
		return nil, f
	}
	c.observe(r, n, resp.StatusCode, start)
	res := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: buf.Bytes()}
	if r.Check != nil {
		if err := r.Check(res); err != nil {
			return nil, checkFailure(r.Endpoint, err)
		}
	}
	return res, nil
}

// send sends one attempt and returns a 2xx response whose body the caller
// reads and closes; any other outcome is a failure, already observed.
func (c *Client) send(ctx, actx context.Context, r Request, n int) (*http.Response, time.Time, *failure) {
	start := c.cfg.Now()
	req, secret, err := c.newRequest(actx, r)
	if err != nil {
		return nil, start, &failure{err: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.observe(r, n, 0, start)
		return nil, start, transportFailure(ctx, r.Endpoint, "request failed", err)
	}
	if r.Answered != nil {
		r.Answered(resp)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, start, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && r.IfNoneMatch != "" {
		c.observe(r, n, resp.StatusCode, start)
		return nil, start, &failure{err: fmt.Errorf("%s: %w", r.Endpoint, apiclient.ErrNotModified)}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes))
	c.observe(r, n, resp.StatusCode, start)
	return nil, start, c.statusFailure(r, resp, body, secret)
}

func (c *Client) observe(r Request, attempt, code int, start time.Time) {
	d := c.cfg.Now().Sub(start)
	c.cfg.Observer.ObserveRequest(r.Endpoint, code, d)
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	c.debug.Log("msg", "API request", "method", method, "endpoint", r.Endpoint,
		"status", code, "duration", d, "attempt", attempt)
}

// readBody reads resp's whole body into buf, bounded by MaxBodyBytes.
func (c *Client) readBody(ctx context.Context, r Request, resp *http.Response, buf *bytes.Buffer) *failure {
	endpoint, limit := r.Endpoint, c.cfg.MaxBodyBytes
	if r.MaxBytes > 0 && r.MaxBytes < limit {
		limit = r.MaxBytes
	}
	if resp.ContentLength > limit {
		return &failure{err: overLimit(endpoint, limit)}
	}
	buf.Reset()
	if resp.ContentLength > 0 {
		// Room for the end of the body to be seen without growing.
		buf.Grow(int(resp.ContentLength) + minFree)
	}
	if err := readAtMost(buf, resp.Body, limit+1); err != nil {
		return bodyFailure(ctx, endpoint, int64(buf.Len()), err)
	}
	if int64(buf.Len()) > limit {
		return &failure{err: overLimit(endpoint, limit)}
	}
	return nil
}

// minFree is the free room below which readAtMost grows the buffer.
const minFree = 512

// readAtMost reads r into buf until its end or until buf holds n bytes. It
// doubles buf as it fills, like bytes.Buffer.ReadFrom, but never past n: a
// body that runs over the limit costs about twice the limit in allocations
// (and one and a half at the peak), where ReadFrom's doubling took up to
// eight times in allocations.
func readAtMost(buf *bytes.Buffer, r io.Reader, n int64) error {
	for int64(buf.Len()) < n {
		if buf.Available() < minFree {
			next := max(2*int64(buf.Cap()), 64<<10)
			if 2*next > n {
				next = n + minFree // the next doubling would pass n anyway
			}
			grown := make([]byte, buf.Len(), next)
			copy(grown, buf.Bytes())
			*buf = *bytes.NewBuffer(grown)
		}
		free := buf.AvailableBuffer()
		free = free[:min(int64(cap(free)), n-int64(buf.Len()))]
		k, err := r.Read(free)
		buf.Write(free[:k]) // already in place: Write copies it onto itself
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func overLimit(endpoint string, limit int64) error {
	return fmt.Errorf("%s: %w: body larger than the %d-byte limit", endpoint, apiclient.ErrBadResponse, limit)
}

// bodyFailure maps an error met while reading a body after read bytes.
func bodyFailure(ctx context.Context, endpoint string, read int64, err error) *failure {
	if errors.Is(err, io.ErrUnexpectedEOF) && ctx.Err() == nil {
		return &failure{reason: apiclient.ReasonTruncated, err: fmt.Errorf(
			"%s: %w: body truncated after %d bytes", endpoint, apiclient.ErrBadResponse, read)}
	}
	return transportFailure(ctx, endpoint, "reading body", err)
}

// Stream is a 2xx answer whose body is read as a stream. Close it.
type Stream struct {
	StatusCode int
	Header     http.Header
	// Body is bounded by MaxStreamBytes; a truncated body reads as an
	// error wrapping apiclient.ErrBadResponse. Errors name the endpoint.
	Body io.ReadCloser
}

// Open sends r, retrying until the response headers of a 2xx answer arrive
// and Request.Check accepts its start, and returns the body as a stream.
// RequestTimeout covers reading it.
func (c *Client) Open(ctx context.Context, r Request) (*Stream, error) {
	if err := c.admit(r); err != nil {
		return nil, err
	}
	var s *Stream
	err := c.retry(ctx, r, func(n int) *failure {
		var f *failure
		s, f = c.attemptStream(ctx, r, n, c.cfg.MaxStreamBytes)
		return f
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Consume sends r, retrying as Do does, and hands each 2xx answer to
// consume, which reads its body as a stream (bounded like Do's, by
// MaxBodyBytes or r.MaxBytes); the body is closed when consume returns.
// Request.Check sees the start of the body first, as with Open. When
// consume fails reading the body (truncated, timed out) or returns an error
// made with Damaged, the request is retried as a damaged buffered body is:
// consume must undo what it did with a failed attempt's body before it
// returns. Any other error from consume is returned at once.
// Without Request.Check, consume reads the body as it arrives; with it,
// through a small buffer that lets Check see the start first.
//
// It reads a large answer without holding it: the caller decodes as the
// bytes arrive.
func (c *Client) Consume(ctx context.Context, r Request, consume func(*Stream) error) error {
	if err := c.admit(r); err != nil {
		return err
	}
	limit := c.cfg.MaxBodyBytes
	if r.MaxBytes > 0 && r.MaxBytes < limit {
		limit = r.MaxBytes
	}
	return c.retry(ctx, r, func(n int) *failure {
		s, f := c.attemptStream(ctx, r, n, limit)
		if f != nil {
			return f
		}
		err := consume(s)
		s.Body.Close()
		if err == nil {
			return nil
		}
		var se *streamError
		if errors.As(err, &se) {
			return &failure{err: err, reason: se.reason}
		}
		return checkFailure(r.Endpoint, err)
	})
}

// attemptStream sends one attempt of r and returns its body as a stream of
// at most limit bytes.
func (c *Client) attemptStream(ctx context.Context, r Request, n int, limit int64) (*Stream, *failure) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	resp, start, f := c.send(ctx, actx, r, n)
	if f != nil {
		cancel()
		return nil, f
	}
	body := &streamBody{ctx: ctx, body: resp.Body, left: limit, endpoint: r.Endpoint}
	body.attempt = streamAttempt{c: c, r: r, n: n, code: resp.StatusCode, start: start, cancel: cancel}
	s := &Stream{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}
	if r.Check == nil {
		return s, nil
	}
	br := bufio.NewReaderSize(body, PeekBytes)
	head, err := br.Peek(PeekBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		body.Close()
		return nil, &failure{err: err, reason: reasonOf(err)}
	}
	if err := r.Check(&Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: head}); err != nil {
		body.Close()
		return nil, checkFailure(r.Endpoint, err)
	}
	s.Body = struct {
		io.Reader
		io.Closer
	}{br, body}
	return s, nil
}

// streamAttempt is what closing a stream ends: the attempt's timeout, and
// its observation. Fields, not a closure: a page costs no allocation for it.
type streamAttempt struct {
	c      *Client
	r      Request
	n      int
	code   int
	start  time.Time
	cancel context.CancelFunc
}

// streamBody bounds a streamed body and maps its errors; Close observes
// the attempt, so that its duration covers the body.
type streamBody struct {
	ctx      context.Context
	body     io.ReadCloser
	endpoint string
	left     int64
	read     int64
	attempt  streamAttempt
	closed   bool
}

func (b *streamBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, b.pastLimit()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	b.read += int64(n)
	if err != nil && err != io.EOF {
		f := bodyFailure(b.ctx, b.endpoint, b.read, err)
		err = &streamError{err: f.err, reason: f.reason}
	}
	return n, err
}

// streamError is a read error of a stream, with the retry reason it would
// have if the stream could still be retried.
type streamError struct {
	err    error
	reason string
}

func (e *streamError) Error() string { return e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// reasonOf is the retry reason of a stream's read error, "" if none.
func reasonOf(err error) string {
	var se *streamError
	if errors.As(err, &se) {
		return se.reason
	}
	return ""
}

// pastLimit tells a body that ends exactly at the limit from a longer one.
// The longer one is a stream error without a retry reason: reading it again
// would only find it as long.
func (b *streamBody) pastLimit() error {
	var one [1]byte
	if n, err := b.body.Read(one[:]); n == 0 && err == io.EOF {
		return io.EOF
	}
	return &streamError{err: fmt.Errorf("%s: %w: body larger than the %d-byte stream limit", b.endpoint, apiclient.ErrBadResponse, b.read)}
}

func (b *streamBody) Close() error {
	err := b.body.Close()
	if !b.closed {
		b.closed = true
		b.attempt.cancel()
		b.attempt.c.observe(b.attempt.r, b.attempt.n, b.attempt.code, b.attempt.start)
	}
	return err
}
