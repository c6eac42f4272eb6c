{{- define "lifecycle.labels" -}}
app.kubernetes.io/name: lifecycle
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "lifecycle.selector" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
