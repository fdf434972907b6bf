package arm

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/flex"
	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/redact"
)

// maxMessageRunes bounds a message taken from another library or server.
const maxMessageRunes = 300

// roleHint explains the 401 that Resource Manager gives a caller without an
// EA billing role (reference 6.2). Every call reads the billing account's
// scope, which DepartmentReader does not cover.
const roleHint = "no EA billing role? The service principal needs EnrollmentReader on the enrollment; DepartmentReader is not enough"

// withHint adds to a 401 what its message says about the cause.
func withHint(err error) error {
	var se *apiclient.StatusError
	if errors.As(err, &se) && se.Code == http.StatusUnauthorized &&
		strings.Contains(strings.ToLower(se.Message), "no claims present") && !strings.Contains(se.Message, roleHint) {
		se.Message += " (" + roleHint + ")"
	}
	return err
}

// entraMessage is Entra ID's error and description from a failed token
// request's body ({"error","error_description"}), without the trace and
// correlation ids that make every message unique.
func entraMessage(afe *azidentity.AuthenticationFailedError) string {
	body, err := runtime.Payload(afe.RawResponse)
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err != nil || json.Unmarshal(body, &e) != nil || (e.Error == "" && e.Description == "") {
		return firstLine(afe.Error())
	}
	desc := e.Description
	if i := strings.Index(desc, "Trace ID:"); i >= 0 {
		desc = desc[:i]
	}
	return strings.TrimSpace(e.Error + ": " + strings.TrimSpace(desc))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// shorten makes s fit for an error: one line, no control characters, the
// secret redacted, at most maxMessageRunes. The secret goes whole, in
// pieces and URL-escaped: Entra ID or a proxy may echo part of it, or the
// token request's form body that carries it escaped.
func shorten(s, secret string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = redact.Secret(s, secret)
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if utf8.RuneCountInString(s) > maxMessageRunes {
		s = string([]rune(s)[:maxMessageRunes]) + "…"
	}
	return s
}

// withoutURLs replaces the URLs in a message from another library with
// "[URL]", and drops azidentity's troubleshooting link: errors name
// endpoints, never URLs.
func withoutURLs(s string) string {
	s, _, _ = strings.Cut(s, " To troubleshoot, visit ")
	var b strings.Builder
	for {
		i := strings.Index(s, "http://")
		if j := strings.Index(s, "https://"); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString("[URL]")
		s = s[i:]
		end := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' || r == ')' || r == '>' })
		if end < 0 {
			return b.String()
		}
		s = s[end:]
	}
}

// quoteShort quotes the start of s for an error message.
func quoteShort(s string) string { return flex.QuoteShort(s) }
