// Package amwebhook is an Alertmanager webhook receiver for tests: it keeps
// every alert Alertmanager notifies it of and lets a test wait for the ones
// it expects.
package amwebhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
)

// Alert is one alert of a webhook notification (Alertmanager's webhook
// payload, version 4).
type Alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Name returns the alertname label.
func (a Alert) Name() string { return a.Labels["alertname"] }

// message is the webhook payload, as far as the tests read it.
type message struct {
	Version  string  `json:"version"`
	Receiver string  `json:"receiver"`
	Alerts   []Alert `json:"alerts"`
}

// Receiver is an http.Handler for Alertmanager's webhook_configs. It is safe
// for concurrent use.
type Receiver struct {
	mu      sync.Mutex
	alerts  []Alert
	errs    []error
	changed chan struct{} // closed and replaced on every notification
}

// NewReceiver returns a receiver that has received nothing.
func NewReceiver() *Receiver {
	return &Receiver{changed: make(chan struct{})}
}

// ServeHTTP takes one notification.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	msg, err := decode(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
	} else {
		r.alerts = append(r.alerts, msg.Alerts...)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

func decode(req *http.Request) (message, error) {
	var msg message
	if req.Method != http.MethodPost {
		return msg, fmt.Errorf("webhook called with %s, want POST", req.Method)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return msg, fmt.Errorf("reading the webhook body: %w", err)
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return msg, fmt.Errorf("decoding the webhook body: %w: %s", err, body)
	}
	if msg.Version != "4" {
		return msg, fmt.Errorf("webhook payload version %q, want 4: %s", msg.Version, body)
	}
	return msg, nil
}

// Alerts returns every alert received so far, in arrival order, and the
// notifications that could not be read.
func (r *Receiver) Alerts() ([]Alert, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.alerts), slices.Clone(r.errs)
}

// WaitFor returns the alerts received once done(alerts) holds, or the
// alerts so far with ctx's error when ctx ends first. done is called after
// every notification.
func (r *Receiver) WaitFor(ctx context.Context, done func([]Alert) bool) ([]Alert, error) {
	for {
		r.mu.Lock()
		alerts, changed := slices.Clone(r.alerts), r.changed
		r.mu.Unlock()
		if done(alerts) {
			return alerts, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return alerts, fmt.Errorf("waiting for alerts: %w", context.Cause(ctx))
		}
	}
}
