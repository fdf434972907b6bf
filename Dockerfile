# Build: a static binary, no cgo.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/prometheus/common/version.Version=${VERSION}" \
      -o /out/azure-ea-exporter .

# Run: distroless static, as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/azure-ea-exporter /usr/local/bin/azure-ea-exporter
USER 65532:65532
EXPOSE 9743
ENTRYPOINT ["/usr/local/bin/azure-ea-exporter"]
