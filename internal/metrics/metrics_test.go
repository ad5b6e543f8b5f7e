package metrics

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveHTTP("/", "GET", 200, time.Millisecond)
	m.ApplicationReceived()
	m.ObserveSend(SendOK, time.Second)
	m.ObserveRecord(time.Millisecond)
}

// Labels stay bounded: no route is "unmatched", odd methods are "other".
func TestHTTPLabelsAreBounded(t *testing.T) {
	m := New()
	m.ObserveHTTP("", "GET", 404, time.Millisecond)
	m.ObserveHTTP("/offres/:slug", "BREW", 405, time.Millisecond)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "vivier_http_request_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			seen[labels["route"]+" "+labels["method"]+" "+labels["status"]] = true
		}
	}
	if !seen["unmatched GET 404"] || !seen["/offres/:slug other 405"] || len(seen) != 2 {
		t.Errorf("series: %v", seen)
	}
}

func TestBearerOK(t *testing.T) {
	r := httptest.NewRequest("GET", "/metrics", nil)
	if BearerOK(r, "") || BearerOK(r, "secret-secret-secret") {
		t.Error("no header accepted")
	}
	r.Header.Set("Authorization", "Bearer secret-secret-secret")
	if !BearerOK(r, "secret-secret-secret") || BearerOK(r, "autre-secret-secret") || BearerOK(r, "") {
		t.Error("token comparison")
	}
}
