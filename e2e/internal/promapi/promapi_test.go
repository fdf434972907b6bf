package promapi

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestQuery(t *testing.T) {
	tests := []struct {
		name, answer string
		want         Result
		wantErr      string
	}{
		{
			name:   "vector",
			answer: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1700000000.5,"2.5"]}]}}`,
			want:   Result{Type: "vector", Series: []Series{{Labels: map[string]string{"a": "1"}, Value: "2.5"}}},
		},
		{
			name:   "empty vector",
			answer: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			want:   Result{Type: "vector"},
		},
		{
			name:   "matrix keeps the last value",
			answer: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"7"]]}]}}`,
			want:   Result{Type: "matrix", Series: []Series{{Labels: map[string]string{}, Value: "7"}}},
		},
		{
			name:   "scalar",
			answer: `{"status":"success","warnings":["w"],"data":{"resultType":"scalar","result":[1,"NaN"]}}`,
			want:   Result{Type: "scalar", Series: []Series{{Value: "NaN"}}, Warnings: []string{"w"}},
		},
		{
			name:    "error",
			answer:  `{"status":"error","errorType":"bad_data","error":"parse error"}`,
			wantErr: "bad_data: parse error",
		},
		{
			name:    "not JSON",
			answer:  `<html>`,
			wantErr: "not an API answer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var form map[string][]string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/query" || r.Method != http.MethodPost {
					http.NotFound(w, r)
					return
				}
				_ = r.ParseForm()
				form = r.PostForm
				_, _ = w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			c := &Client{BaseURL: srv.URL}
			got, err := c.Query(t.Context(), `up{job="x"}`, time.UnixMilli(1700000000250))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if form["query"][0] != `up{job="x"}` || form["time"][0] != "1700000000.250" {
				t.Errorf("sent %v", form)
			}
		})
	}
}
