// Package promapi queries a Prometheus server over its HTTP API
// (/api/v1/query), the way Grafana's Prometheus data source does for an
// instant query. It knows just enough of the API for the end-to-end tests.
package promapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client queries one Prometheus.
type Client struct {
	// BaseURL is the server's root, such as http://127.0.0.1:9090.
	BaseURL string
	// HTTP makes the requests; nil means http.DefaultClient.
	HTTP *http.Client
}

// Result is what an instant query returned.
type Result struct {
	// Type is vector, scalar, matrix or string.
	Type string
	// Series holds one entry per series of a vector or matrix, and one
	// without labels for a scalar or string.
	Series []Series
	// Warnings are the server's warnings, if any.
	Warnings []string
}

// Series is one result series. A matrix series keeps its last value.
type Series struct {
	Labels map[string]string
	Value  string
}

// Float returns the value as a number.
func (s Series) Float() (float64, error) {
	return strconv.ParseFloat(s.Value, 64)
}

// Query evaluates expr at time at.
func (c *Client) Query(ctx context.Context, expr string, at time.Time) (Result, error) {
	form := url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, fmt.Errorf("query %q: %w", expr, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client().Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("query %q: %w", expr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, fmt.Errorf("query %q: reading the answer: %w", expr, err)
	}
	res, err := decode(body)
	if err != nil {
		return Result{}, fmt.Errorf("query %q: HTTP %d: %w", expr, resp.StatusCode, err)
	}
	return res, nil
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// envelope is the API's answer to every request.
type envelope struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	Data      json.RawMessage `json:"data"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// A sample is [unix seconds, "value"]; a vector series carries one, a
// matrix series a list of them.
type apiSeries struct {
	Metric map[string]string   `json:"metric"`
	Value  []json.RawMessage   `json:"value"`
	Values [][]json.RawMessage `json:"values"`
}

func decode(body []byte) (Result, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Result{}, fmt.Errorf("not an API answer: %w: %.200s", err, body)
	}
	if env.Status != "success" {
		return Result{}, fmt.Errorf("%s: %s", env.ErrorType, env.Error)
	}
	var data queryData
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return Result{}, fmt.Errorf("decoding data: %w", err)
	}
	res := Result{Type: data.ResultType, Warnings: env.Warnings}
	switch data.ResultType {
	case "vector", "matrix":
		var series []apiSeries
		if err := json.Unmarshal(data.Result, &series); err != nil {
			return Result{}, fmt.Errorf("decoding %s: %w", data.ResultType, err)
		}
		for _, s := range series {
			sample := s.Value
			if n := len(s.Values); n > 0 {
				sample = s.Values[n-1]
			}
			v, err := sampleValue(sample)
			if err != nil {
				return Result{}, err
			}
			res.Series = append(res.Series, Series{Labels: s.Metric, Value: v})
		}
	case "scalar", "string":
		var sample []json.RawMessage
		if err := json.Unmarshal(data.Result, &sample); err != nil {
			return Result{}, fmt.Errorf("decoding %s: %w", data.ResultType, err)
		}
		v, err := sampleValue(sample)
		if err != nil {
			return Result{}, err
		}
		res.Series = []Series{{Value: v}}
	default:
		return Result{}, fmt.Errorf("unknown result type %q", data.ResultType)
	}
	return res, nil
}

func sampleValue(sample []json.RawMessage) (string, error) {
	var v string
	if len(sample) != 2 || json.Unmarshal(sample[1], &v) != nil {
		return "", fmt.Errorf("malformed sample %s", sample)
	}
	return v, nil
}
