package amwebhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const notification = `{"version":"4","receiver":"test","status":"firing","alerts":[
 {"status":"firing","labels":{"alertname":"A","x":"1"},"annotations":{"summary":"s"}}]}`

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWaitForSeesLaterNotifications(t *testing.T) {
	r := NewReceiver()
	srv := httptest.NewServer(r)
	defer srv.Close()
	got := make(chan []Alert, 1)
	go func() {
		alerts, _ := r.WaitFor(context.Background(), func(a []Alert) bool { return len(a) == 2 })
		got <- alerts
	}()
	for range 2 {
		if code := post(t, srv.URL, notification); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	select {
	case alerts := <-got:
		if alerts[1].Name() != "A" || alerts[1].Labels["x"] != "1" || alerts[1].Annotations["summary"] != "s" {
			t.Errorf("alerts %+v", alerts)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitFor did not return after the second notification")
	}
}

func TestWaitForEndsWithTheContext(t *testing.T) {
	r := NewReceiver()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.WaitFor(ctx, func([]Alert) bool { return false }); err == nil {
		t.Fatal("WaitFor returned without an error after its context ended")
	}
}

func TestBadNotificationsAreKept(t *testing.T) {
	r := NewReceiver()
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, body := range []string{`{`, `{"version":"3","alerts":[]}`} {
		if code := post(t, srv.URL, body); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", body, code)
		}
	}
	alerts, errs := r.Alerts()
	if len(alerts) != 0 || len(errs) != 2 {
		t.Errorf("alerts %v, errors %v", alerts, errs)
	}
}
