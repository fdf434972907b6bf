package collector

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// HandlerOptions configures Handler.
type HandlerOptions struct {
	// ErrorLog receives gathering and encoding errors, as promhttp's.
	ErrorLog promhttp.Logger
	// MaxRequestsInFlight, when positive, answers scrapes past it with a
	// 503, as promhttp does.
	MaxRequestsInFlight int
}

// Handler returns the /metrics handler: what Gatherer(live) gathers,
// served as promhttp.HandlerFor serves it (same formats, same content
// negotiation, same errors), with one difference in cost. A scrape that
// asks for gzip, as Prometheus always does, gets the snapshots' families
// compressed once per refresh and format, not once per scrape: only live's
// few families are encoded and compressed as it is served. At 100,000
// series, compressing the snapshots is most of a scrape's cost.
//
// The body is one gzip stream: the kept compressed snapshots end with a
// sync flush, and live's families follow as further deflate blocks. The
// snapshots' families come first, then live's; each family stays whole.
// Other scrapes (no gzip, a name[] filter, a gathering error) are served
// by promhttp itself.
func (e *Exporter) Handler(live prometheus.Gatherer, opts HandlerOptions) http.Handler {
	g := &snapshotGatherer{e: e, live: live}
	h := &scrapeHandler{g: g, errorLog: opts.ErrorLog,
		fallback: promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: opts.ErrorLog})}
	if opts.MaxRequestsInFlight > 0 {
		h.inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	return h
}

type scrapeHandler struct {
	g        *snapshotGatherer
	fallback http.Handler
	errorLog promhttp.Logger
	inFlight chan struct{}

	// mu guards parts: the compressed snapshots of generation gen, one
	// per format asked for.
	mu    sync.Mutex
	gen   uint64
	parts []*compressedPart
	// builds counts the parts compressed, for tests.
	builds int
}

// maxParts bounds the formats kept per generation: a format is a media
// type and an escaping scheme, and scrapers use one or two.
const maxParts = 4

// compressedPart is a set of families encoded in one format and compressed
// as the start of a gzip stream that another part can continue.
type compressedPart struct {
	format expfmt.Format
	// stream is the gzip header and deflate blocks that end with a sync
	// flush, not a final block.
	stream []byte
	// crc and size are the CRC-32 and length (mod 2^32) of the encoded
	// families, for the gzip trailer.
	crc  uint32
	size uint32
	// names are the families' names.
	names map[string]bool
}

func (h *scrapeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.inFlight != nil {
		select {
		case h.inFlight <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", cap(h.inFlight)),
				http.StatusServiceUnavailable)
			return
		}
	}
	if !choosesGzip(r.Header) || (r.URL != nil && r.URL.Query().Has("name[]")) {
		h.fallback.ServeHTTP(w, r)
		return
	}
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	part, err := h.part(format)
	if err != nil {
		h.fallback.ServeHTTP(w, r) // it reports the error as promhttp does
		return
	}
	live, err := h.g.live.Gather()
	if err != nil || sharesName(part, live) {
		h.fallback.ServeHTTP(w, r)
		return
	}
	w.Header().Add("Vary", "Accept")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", string(format))
	w.Header().Set("Content-Encoding", "gzip")
	if err := writeContinued(w, part, live); err != nil && h.errorLog != nil {
		h.errorLog.Println("error encoding and sending metric family:", err)
	}
}

// part returns the snapshots' families in format, compressed, from the
// ones kept for the current snapshots when it can.
func (h *scrapeHandler) part(format expfmt.Format) (*compressedPart, error) {
	families, gen, err := h.g.snapshotFamiliesGen()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen < h.gen {
		// Newer snapshots were compressed meanwhile: serve the ones this
		// scrape gathered, without keeping them.
		return compressFamilies(families, format)
	}
	if gen > h.gen {
		h.gen, h.parts = gen, nil
	}
	for _, p := range h.parts {
		if p.format == format {
			return p, nil
		}
	}
	p, err := compressFamilies(families, format)
	if err != nil {
		return nil, err
	}
	h.builds++
	if len(h.parts) == maxParts {
		h.parts = h.parts[1:]
	}
	h.parts = append(h.parts, p)
	return p, nil
}

// sharesName says whether a live family has a snapshot family's name;
// promhttp then reports the clash.
func sharesName(part *compressedPart, live []*dto.MetricFamily) bool {
	for _, mf := range live {
		if part.names[mf.GetName()] {
			return true
		}
	}
	return false
}

// gzipHeader is a gzip member header without name, time or extra fields
// (RFC 1952 2.3), OS "unknown".
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// compressFamilies encodes families in format and compresses them as the
// start of a gzip stream.
func compressFamilies(families []*dto.MetricFamily, format expfmt.Format) (*compressedPart, error) {
	var buf bytes.Buffer
	buf.Write(gzipHeader[:])
	zw, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	cw := crcWriter{w: zw}
	enc := expfmt.NewEncoder(&cw, format)
	names := make(map[string]bool, len(families))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", mf.GetName(), err)
		}
		names[mf.GetName()] = true
	}
	// A sync flush ends the blocks on a byte boundary without a final
	// block: the stream goes on with the next deflate writer's blocks.
	if err := zw.Flush(); err != nil {
		return nil, err
	}
	return &compressedPart{format: format, stream: bytes.Clone(buf.Bytes()), crc: cw.crc, size: cw.size, names: names}, nil
}

// flateWriters are the deflate writers of the live part (600 KB each).
var flateWriters = sync.Pool{New: func() any {
	zw, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return zw
}}

// writeContinued writes part's stream, then live's families encoded in the
// same format as the stream's final deflate blocks, then the gzip trailer.
func writeContinued(w io.Writer, part *compressedPart, live []*dto.MetricFamily) error {
	if _, err := w.Write(part.stream); err != nil {
		return err
	}
	zw := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(zw)
	zw.Reset(w)
	cw := crcWriter{w: zw, crc: part.crc, size: part.size}
	enc := expfmt.NewEncoder(&cw, part.format)
	for _, mf := range live {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encoding %s: %w", mf.GetName(), err)
		}
	}
	if closer, ok := enc.(expfmt.Closer); ok {
		if err := closer.Close(); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], cw.crc)
	binary.LittleEndian.PutUint32(trailer[4:], cw.size)
	_, err := w.Write(trailer[:])
	return err
}

// crcWriter keeps the CRC-32 and length of what goes through it, going on
// from a previous part's.
type crcWriter struct {
	w    io.Writer
	crc  uint32
	size uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc = crc32.Update(c.crc, crc32.IEEETable, p)
	c.size += uint32(len(p))
	return c.w.Write(p)
}

// choosesGzip says whether promhttp, offering identity and gzip, would
// answer with gzip: the offer with the highest q, identity first on a tie
// (as its negotiation does). A header it cannot read plainly is left to
// promhttp.
func choosesGzip(h http.Header) bool {
	best, bestQ := "identity", -1.0
	var specs []encodingSpec
	for _, line := range h.Values("Accept-Encoding") {
		for elem := range strings.SplitSeq(line, ",") {
			spec, ok := parseEncoding(elem)
			if !ok {
				return false
			}
			if spec.value != "" {
				specs = append(specs, spec)
			}
		}
	}
	for _, offer := range [...]string{"identity", "gzip"} {
		for _, s := range specs {
			if s.q > bestQ && (s.value == "*" || s.value == offer) {
				best, bestQ = offer, s.q
			}
		}
	}
	return best == "gzip" && bestQ > 0
}

type encodingSpec struct {
	value string
	q     float64
}

// parseEncoding reads one element of Accept-Encoding: a coding and an
// optional q. It is not ok for anything else (other parameters, a bad q).
// Codings are compared as written, as promhttp compares them.
func parseEncoding(elem string) (encodingSpec, bool) {
	coding, params, hasParams := strings.Cut(elem, ";")
	spec := encodingSpec{value: strings.TrimSpace(coding), q: 1}
	if !hasParams {
		return spec, true
	}
	name, value, ok := strings.Cut(strings.TrimSpace(params), "=")
	if !ok || strings.TrimSpace(name) != "q" {
		return spec, false
	}
	q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil || q < 0 || q > 1 {
		return spec, false
	}
	spec.q = q
	return spec, true
}
