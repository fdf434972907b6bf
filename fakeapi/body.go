package fakeapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// flushThreshold is how much a response builds up before it is written, so
// that large answers stream in chunks from one reused buffer.
const flushThreshold = 64 << 10

// errStopBody ends the generation of a body that a fault cut short or that
// the client stopped reading.
var errStopBody = errors.New("fakeapi: body stopped")

// countingWriter counts body bytes for Stats.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

// Write counts p before it writes it, and takes back what was not written:
// a client that has read the last byte of an answer must find it counted,
// and it can read it before the underlying Write returns.
func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	n, err := c.ResponseWriter.Write(p)
	if n < len(p) {
		c.n.Add(int64(n - len(p)))
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// bodyWriter streams a generated body and applies the body faults
// (FaultTruncated, FaultSlowBody, FaultWrongContentType) while doing so.
type bodyWriter struct {
	w           http.ResponseWriter
	ctx         context.Context
	status      int
	contentType string
	fault       Fault
	delay       time.Duration
	buf         []byte
	started     bool
	slowed      bool
	err         error
}

// full reports whether the buffer should be flushed.
func (bw *bodyWriter) full() bool { return len(bw.buf) >= flushThreshold }

// flushIfFull writes the buffer when it is full. It returns an error once
// the body must not continue.
func (bw *bodyWriter) flushIfFull() error {
	if bw.err == nil && bw.full() {
		bw.write(false)
	}
	return bw.err
}

// finish writes what is left. Call it once, at the end.
func (bw *bodyWriter) finish() error {
	if bw.err == nil {
		bw.write(true)
	}
	if bw.err == errStopBody {
		return nil
	}
	return bw.err
}

func (bw *bodyWriter) write(final bool) {
	if !bw.started {
		bw.started = true
		h := bw.w.Header()
		h.Set("Content-Type", bw.contentType)
		if bw.fault == FaultWrongContentType {
			h.Set("Content-Type", "text/html; charset=utf-8")
		}
		if bw.fault == FaultTruncated {
			bw.truncate(final)
			return
		}
		if final {
			h.Set("Content-Length", strconv.Itoa(len(bw.buf)))
		}
		bw.w.WriteHeader(bw.status)
	}
	if bw.fault == FaultSlowBody && !bw.slowed {
		bw.slowed = true
		half := len(bw.buf) / 2
		bw.send(bw.buf[:half])
		_ = http.NewResponseController(bw.w).Flush()
		if bw.err == nil && !sleepCtx(bw.ctx, bw.delay) {
			bw.err = errStopBody
		}
		bw.send(bw.buf[half:])
	} else {
		bw.send(bw.buf)
	}
	bw.buf = bw.buf[:0]
}

// truncate declares more bytes than it sends. With the whole body at hand it
// sends half of it; otherwise it declares twice the first chunk and sends the
// chunk. net/http closes the connection when a handler writes less than its
// Content-Length, so the client sees an unexpected EOF.
func (bw *bodyWriter) truncate(final bool) {
	send, declared := len(bw.buf), 2*len(bw.buf)
	if final {
		send, declared = len(bw.buf)/2, len(bw.buf)
	}
	if declared <= send {
		declared = send + 1
	}
	bw.w.Header().Set("Content-Length", strconv.Itoa(declared))
	bw.w.WriteHeader(bw.status)
	bw.send(bw.buf[:send])
	if bw.err == nil {
		bw.err = errStopBody
	}
}

func (bw *bodyWriter) send(p []byte) {
	if bw.err != nil || len(p) == 0 {
		return
	}
	if _, err := bw.w.Write(p); err != nil {
		bw.err = errStopBody
	}
}

// sleepCtx waits for d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeError writes the API's JSON error shape with code = the status.
func writeError(w http.ResponseWriter, status int, message string) {
	b := append([]byte(`{"error":{"code":"`), strconv.Itoa(status)...)
	b = append(b, `","message":`...)
	b = appendJSONString(b, message, false)
	b = append(b, "}}"...)
	writeBody(w, status, "application/json; charset=utf-8", b)
}

// writeBody writes a small complete body.
func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
