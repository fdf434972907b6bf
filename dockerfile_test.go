package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks what no Docker engine here can: the image is built in
// two stages into a static binary, runs as a non-root user, exposes the
// default port and starts the exporter in exec form.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []struct{ what, re string }{
		{"a build stage", `(?m)^FROM golang:\S+ AS build$`},
		{"a static build", `CGO_ENABLED=0 go build`},
		{"a second, minimal stage", `(?m)^FROM gcr\.io/distroless/static\S*$`},
		{"the binary copied from the build stage", `(?m)^COPY --from=build `},
		{"a non-root user", `(?m)^USER [1-9][0-9]*(:[1-9][0-9]*)?$`},
		{"the default port", `(?m)^EXPOSE 9743$`},
		{"an exec-form entrypoint", `(?m)^ENTRYPOINT \["/usr/local/bin/azure-ea-exporter"\]$`},
	} {
		if !regexp.MustCompile(want.re).MatchString(df) {
			t.Errorf("Dockerfile lacks %s (%s)", want.what, want.re)
		}
	}
	if strings.Count(df, "\nFROM ")+boolInt(strings.HasPrefix(df, "FROM ")) < 2 {
		t.Error("Dockerfile is not multi-stage")
	}
	// The port must be the one the flags default to.
	if !strings.Contains(mainSource(t), `kingpinflag.AddFlags(app, ":9743")`) {
		t.Error("EXPOSE 9743 no longer matches the default --web.listen-address")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func mainSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
