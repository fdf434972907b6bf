package transport

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/azure-ea-exporter/azure-ea-exporter/apiclient/internal/redact"
)

// maxMessageRunes bounds the API message kept in a StatusError.
const maxMessageRunes = 200

// apiMessage extracts the API's own message from an error body:
// {"error":{"code","message"}} (code string or number), {"message"}, or
// plain text. It is shortened, stripped of control characters, and scrubbed
// of the credential and the request URL (a server may echo either).
func apiMessage(body []byte, contentType, secret, rawURL string) string {
	msg := jsonMessage(body)
	if msg == "" {
		if looksHTML(body, contentType) {
			msg = "HTML error page"
		} else {
			msg = strings.TrimSpace(string(body))
		}
	}
	return sanitize(msg, secret, rawURL)
}

// htmlPage reports an error body that is an HTML page (told by its type or
// its first byte) and holds no JSON message of the API's: the answer of a
// proxy or gateway in front of it.
func htmlPage(body []byte, contentType string) bool {
	return jsonMessage(body) == "" && looksHTML(body, contentType)
}

func looksHTML(body []byte, contentType string) bool {
	return strings.HasPrefix(strings.TrimSpace(string(body)), "<") || strings.Contains(strings.ToLower(contentType), "html")
}

func jsonMessage(body []byte) string {
	var e struct {
		Error *struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Error == nil {
		return e.Message
	}
	code := strings.Trim(string(e.Error.Code), `"`)
	switch {
	case code == "" || code == "null":
		return e.Error.Message
	case e.Error.Message == "":
		return code
	}
	return code + ": " + e.Error.Message
}

// sanitize makes s safe to put in an error or a log line.
func sanitize(s, secret, rawURL string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if u, err := url.Parse(rawURL); err == nil {
		s = redactWhole(s, rawURL)
		s = redactWhole(s, u.RawQuery)
		s = redactWhole(s, u.Query().Encode())
	}
	s = redact.Secret(s, secret)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxMessageRunes {
		s = string([]rune(s)[:maxMessageRunes]) + "…"
	}
	return s
}

// redactWhole removes a part of the request URL from s. Short values are
// left alone: they would match by chance and are no secret.
func redactWhole(s, part string) string {
	if len(part) < 8 {
		return s
	}
	return strings.ReplaceAll(s, part, redact.Placeholder)
}
