package apiclient

import (
	"errors"
	"fmt"
)

// Sentinel errors; test for them with errors.Is.
var (
	// ErrUnauthorized: the API rejected the credential (401). Its text
	// speaks of the EA API key; sources with other credentials say what
	// was rejected with an error made by Unauthorized, which is this one
	// for errors.Is.
	ErrUnauthorized = errors.New("API key rejected: expired or revoked?")
	// ErrBadRequest: the API rejected the request's parameters (400) where
	// the reference does not say that 400 means "no data".
	ErrBadRequest = errors.New("bad request")
	// ErrForeignHost: the API sent a link on a host other than the
	// configured one; it was not followed, so the credential stayed home.
	ErrForeignHost = errors.New("link points to another host")
	// ErrPageLoop: paging did not end (a repeated nextLink or too many pages).
	ErrPageLoop = errors.New("paging did not end")
	// ErrReportFailed: an asynchronous report ended in a failed state.
	ErrReportFailed = errors.New("report failed")
	// ErrNoCredential: the credential could not be read (missing or empty
	// key file, unset environment variable).
	ErrNoCredential = errors.New("no credential")
	// ErrNotModified: a conditional request (UsageQuery.IfNoneMatch) found
	// the data unchanged; nothing was delivered.
	ErrNotModified = errors.New("not modified")
	// ErrBadResponse: the body is not what the reference describes (wrong
	// content type, HTML, garbage, truncated, over the size limit).
	ErrBadResponse = errors.New("unexpected response")
)

// StatusError is an HTTP answer the client could not use. Its message never
// holds a credential, and it holds no URL, only the endpoint name.
type StatusError struct {
	Endpoint string
	Code     int
	// Message is the API's own error message, when it sent one, shortened.
	Message string
	// Err is the sentinel the status maps to (ErrUnauthorized, ...), or nil.
	Err error
	// HTML is true when the body was an HTML page rather than the API's
	// own error: a proxy's or a gateway's answer, which says nothing of
	// the data, whatever its status (a 404 from one is no "no data").
	HTML bool
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d", e.Endpoint, e.Code)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the sentinel the status maps to.
func (e *StatusError) Unwrap() error { return e.Err }

// Unauthorized returns an error that is ErrUnauthorized for errors.Is and
// reads text: what a source whose credential is not an API key says of a
// rejected one.
func Unauthorized(text string) error { return unauthorized(text) }

type unauthorized string

func (u unauthorized) Error() string        { return string(u) }
func (u unauthorized) Is(target error) bool { return target == ErrUnauthorized }
