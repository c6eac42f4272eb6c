#!/usr/bin/env python3
"""Writes the benchmark chart twice: as a kubectl-chart Handlebars chart (`renderer:
handlebars`) and as a Helm (Go template) chart, which both tools render. Each has N Deployments and N Services, one template file each, using a
labels partial and toYaml, like `helm create` output repeated.

Usage: gen-chart.py OUT_DIR [N]   (writes OUT_DIR/hbs and OUT_DIR/helm)
"""
import os
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300

chart_yaml = "apiVersion: v2\nname: bench\nversion: 0.1.0\nappVersion: \"1.0.0\"\n"
values = """image:
  repository: nginx
  tag: "1.27"
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: 80
resources:
  requests:
    cpu: 50m
    memory: 64Mi
  limits:
    memory: 128Mi
podSecurityContext:
  runAsNonRoot: true
nodeSelector: {}
"""

hbs_helpers = """{{#*inline "bench.fullname"}}
{{trunc 63 (printf "%s-%s" Release.Name Chart.Name)}}
{{/inline}}
{{#*inline "bench.selectorLabels"}}
app.kubernetes.io/name: {{Chart.Name}}
app.kubernetes.io/instance: {{Release.Name}}
{{/inline}}
{{#*inline "bench.labels"}}
helm.sh/chart: {{Chart.Name}}-{{Chart.Version}}
{{include "bench.selectorLabels" this}}
app.kubernetes.io/version: {{quote Chart.AppVersion}}
app.kubernetes.io/managed-by: {{Release.Service}}
{{/inline}}
"""

hbs_deployment = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{> bench.fullname}}-%(i)d
  labels: {{nindent 4 (include "bench.labels" this)}}
spec:
  replicas: 1
  selector:
    matchLabels: {{nindent 6 (include "bench.selectorLabels" this)}}
      component: c%(i)d
  template:
    metadata:
      labels: {{nindent 8 (include "bench.selectorLabels" this)}}
        component: c%(i)d
    spec:
      securityContext: {{nindent 8 (toYaml Values.podSecurityContext)}}
      containers:
        - name: app
          image: "{{Values.image.repository}}:{{default Chart.AppVersion Values.image.tag}}"
          imagePullPolicy: {{Values.image.pullPolicy}}
          ports:
            - name: http
              containerPort: {{Values.service.port}}
              protocol: TCP
          livenessProbe:
            httpGet: {path: /, port: http}
          readinessProbe:
            httpGet: {path: /, port: http}
          resources: {{nindent 12 (toYaml Values.resources)}}
"""

hbs_service = """apiVersion: v1
kind: Service
metadata:
  name: {{> bench.fullname}}-%(i)d
  labels: {{nindent 4 (include "bench.labels" this)}}
spec:
  type: {{Values.service.type}}
  ports:
    - port: {{Values.service.port}}
      targetPort: http
      protocol: TCP
      name: http
  selector: {{nindent 4 (include "bench.selectorLabels" this)}}
    component: c%(i)d
"""

go_helpers = """{{- define "bench.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "bench.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "bench.labels" -}}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{ include "bench.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
"""

go_deployment = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "bench.fullname" . }}-%(i)d
  labels:
    {{- include "bench.labels" . | nindent 4 }}
spec:
  replicas: 1
  selector:
    matchLabels:
      {{- include "bench.selectorLabels" . | nindent 6 }}
      component: c%(i)d
  template:
    metadata:
      labels:
        {{- include "bench.selectorLabels" . | nindent 8 }}
        component: c%(i)d
    spec:
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.service.port }}
              protocol: TCP
          livenessProbe:
            httpGet: {path: /, port: http}
          readinessProbe:
            httpGet: {path: /, port: http}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
"""

go_service = """apiVersion: v1
kind: Service
metadata:
  name: {{ include "bench.fullname" . }}-%(i)d
  labels:
    {{- include "bench.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:
    {{- include "bench.selectorLabels" . | nindent 4 }}
    component: c%(i)d
"""


def write(flavour, helpers, deployment, service, renderer=""):
    root = os.path.join(out, flavour)
    os.makedirs(os.path.join(root, "templates"), exist_ok=True)
    with open(os.path.join(root, "Chart.yaml"), "w") as f:
        f.write(chart_yaml + renderer)
    with open(os.path.join(root, "values.yaml"), "w") as f:
        f.write(values)
    with open(os.path.join(root, "templates", "_helpers.tpl"), "w") as f:
        f.write(helpers)
    for i in range(n):
        with open(os.path.join(root, "templates", "deployment-%03d.yaml" % i), "w") as f:
            f.write(deployment % {"i": i})
        with open(os.path.join(root, "templates", "service-%03d.yaml" % i), "w") as f:
            f.write(service % {"i": i})


write("hbs", hbs_helpers, hbs_deployment, hbs_service, "renderer: handlebars\n")
write("helm", go_helpers, go_deployment, go_service)
