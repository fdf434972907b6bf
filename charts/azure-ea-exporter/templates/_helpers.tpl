{{/* The chart's name, or nameOverride. */}}
{{- define "azure-ea-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name of the release's objects: fullnameOverride, or release-name, without repeating the name. */}}
{{- define "azure-ea-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "azure-ea-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels that select the pod. They never change after install: Deployment selectors are immutable. */}}
{{- define "azure-ea-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "azure-ea-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "azure-ea-exporter.labels" -}}
helm.sh/chart: {{ include "azure-ea-exporter.chart" . }}
{{ include "azure-ea-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "azure-ea-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "azure-ea-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "azure-ea-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The Secret holding the EA API key: the user's, or the chart's. */}}
{{- define "azure-ea-exporter.secretName" -}}
{{- .Values.apiKey.existingSecret | default (include "azure-ea-exporter.fullname" .) }}
{{- end }}

{{/* Whether the pod gets the key Secret: every mode but the demo. */}}
{{- define "azure-ea-exporter.mountsKey" -}}
{{- if not .Values.demo }}true{{ end }}
{{- end }}

{{/* Where the key Secret and the config file are mounted; NOTES.txt and values.yaml name these paths. */}}
{{- define "azure-ea-exporter.secretDir" -}}/etc/azure-ea-exporter/secret{{- end }}
{{- define "azure-ea-exporter.configDir" -}}/etc/azure-ea-exporter/config{{- end }}

{{/* The exporter's flags. The key is only ever a file path here. */}}
{{- define "azure-ea-exporter.args" -}}
- --web.listen-address=:9743
- --log.level={{ .Values.logLevel }}
- --log.format={{ .Values.logFormat }}
- --refresh.interval={{ .Values.refreshInterval }}
{{- if .Values.demo }}
- --demo
{{- else if .Values.config }}
{{- if .Values.enrollment }}
{{- fail "enrollment and config cannot both be set: put the enrollment in config (the exporter refuses --ea.enrollment with --config.file)" }}
{{- end }}
- --config.file={{ include "azure-ea-exporter.configDir" . }}/config.yml
{{- else }}
{{- with .Values.enrollment }}
- --ea.enrollment={{ . }}
{{- end }}
- --ea.api-key-file={{ include "azure-ea-exporter.secretDir" . }}/{{ .Values.apiKey.secretKey }}
{{- end }}
{{- with .Values.extraArgs }}
{{ toYaml . }}
{{- end }}
{{- end }}
