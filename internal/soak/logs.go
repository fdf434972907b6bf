package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// Log messages of the exporter that the soak counts.
const (
	msgRefreshed      = "refreshed"
	msgRefreshFailed  = "refresh failed; serving the last good data"
	msgFirstFailed    = "refresh failed; no data yet"
	msgRefreshSkipped = "previous refresh still running; skipping this one"
	msgAPIRequest     = "API request"
	keyRejected       = "API key rejected"
)

// maxKept bounds the log lines kept as examples.
const maxKept = 8

// logCounts is what the exporter's output said.
type logCounts struct {
	lines          int
	refreshOK      map[string]int // by dataset
	refreshFailed  map[string]int // by dataset
	refreshSkipped int
	keyRejected    int            // failed refreshes that said "API key rejected"
	causes         map[string]int // failed refreshes by cause
	apiRequests    int
	// errors are error lines other than failed refreshes.
	errors int
	// crashes are the first lines of panics, fatal errors and race
	// reports; unstructured counts the other lines that are no JSON record.
	crashes      int
	unstructured int
	// leaks are lines that hold a key or a part of one.
	leaks    int
	examples []string // of errors, crashes and leaks; never the key itself
}

// logScanner reads the exporter's JSON log lines and counts them. It is
// safe for concurrent use: stdout and stderr are read at once.
type logScanner struct {
	secrets *secretIndex
	mu      sync.Mutex
	c       logCounts
}

func newLogScanner(secrets *secretIndex) *logScanner {
	return &logScanner{secrets: secrets, c: logCounts{refreshOK: map[string]int{}, refreshFailed: map[string]int{}, causes: map[string]int{}}}
}

// scan counts the lines of r until it ends.
func (l *logScanner) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		l.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		l.line("soak: reading the exporter's output: " + err.Error())
	}
}

func (l *logScanner) line(s string) {
	leak := l.secrets.find(s)
	var rec struct {
		Msg     string `json:"msg"`
		Level   string `json:"level"`
		Dataset string `json:"dataset"`
		Err     string `json:"err"`
	}
	isRecord := json.Unmarshal([]byte(s), &rec) == nil && rec.Msg != ""
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &l.c
	c.lines++
	switch {
	case leak:
		c.leaks++
		l.keep("key leaked in a log line (not shown)")
	case !isRecord && isCrash(s):
		c.crashes++
		l.keep(s)
	case !isRecord:
		c.unstructured++
	case rec.Msg == msgRefreshed:
		c.refreshOK[rec.Dataset]++
	case rec.Msg == msgRefreshFailed || rec.Msg == msgFirstFailed:
		c.refreshFailed[rec.Dataset]++
		c.causes[cause(rec.Err)]++
		if strings.Contains(rec.Err, keyRejected) {
			c.keyRejected++
		}
	case rec.Msg == msgRefreshSkipped:
		c.refreshSkipped++
	case rec.Msg == msgAPIRequest:
		c.apiRequests++
	case strings.EqualFold(rec.Level, "error"):
		c.errors++
		l.keep(s)
	}
}

// causes maps what a failed refresh's error says to a short cause, first
// match first.
var causes = []struct{ text, cause string }{
	{keyRejected, "key rejected"},
	{"link points to another host", "foreign link refused"},
	{"paging did not end", "paging loop"},
	{"deadline exceeded", "deadline"},
	{"unexpected response", "bad body"},
	{"HTTP 5", "5xx"},
	{"HTTP 429", "throttled"},
}

func cause(err string) string {
	for _, c := range causes {
		if strings.Contains(err, c.text) {
			return c.cause
		}
	}
	return "other"
}

// isCrash reports the first line of a Go panic, a fatal runtime error or a
// race detector report.
func isCrash(line string) bool {
	for _, p := range []string{"panic:", "fatal error:", "WARNING: DATA RACE", "SIGSEGV", "SIGABRT"} {
		if strings.HasPrefix(strings.TrimSpace(line), p) {
			return true
		}
	}
	return false
}

func (l *logScanner) keep(s string) {
	if len(l.c.examples) < maxKept {
		l.c.examples = append(l.c.examples, truncate(s, 300))
	}
}

// counts returns a copy of the counts.
func (l *logScanner) counts() logCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.c
	c.refreshOK = copyCounts(l.c.refreshOK)
	c.refreshFailed = copyCounts(l.c.refreshFailed)
	c.causes = copyCounts(l.c.causes)
	c.examples = append([]string(nil), l.c.examples...)
	return c
}

func copyCounts[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// secretIndex finds a key, or any run of partLen characters of a key's
// payload or signature, in text. The JWT header is left out: it is the same
// for every key and says nothing secret.
type secretIndex struct {
	mu    sync.RWMutex
	parts map[string]struct{}
}

// partLen is the shortest piece of a key that counts as a leak.
const partLen = 16

func newSecretIndex() *secretIndex { return &secretIndex{parts: map[string]struct{}{}} }

// add makes key, and each of its pieces, a secret.
func (x *secretIndex) add(key string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	segments := strings.Split(key, ".")
	if len(segments) == 3 {
		segments = segments[1:]
	}
	for _, seg := range segments {
		for i := 0; i+partLen <= len(seg); i++ {
			x.parts[seg[i:i+partLen]] = struct{}{}
		}
	}
}

// find reports whether text holds a secret piece.
func (x *secretIndex) find(text string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := 0; i+partLen <= len(text); i++ {
		if _, ok := x.parts[text[i:i+partLen]]; ok {
			return true
		}
	}
	return false
}
