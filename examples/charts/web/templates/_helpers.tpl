{{!-- Named partials shared by every template of the chart (Helm's _helpers.tpl). --}}

{{#*inline "web.fullname"}}
{{#if Values.fullnameOverride}}{{trunc 63 Values.fullnameOverride}}{{else}}{{trunc 63 (trimSuffix "-" (printf "%s-%s" Release.Name Chart.Name))}}{{/if}}
{{/inline}}

{{#*inline "web.selectorLabels"}}
app.kubernetes.io/name: {{Chart.Name}}
app.kubernetes.io/instance: {{Release.Name}}
{{/inline}}

{{#*inline "web.labels"}}
{{include "web.selectorLabels" this}}
app.kubernetes.io/version: {{quote Chart.AppVersion}}
app.kubernetes.io/managed-by: {{Release.Service}}
helm.sh/chart: {{Chart.Name}}-{{Chart.Version}}
{{/inline}}
