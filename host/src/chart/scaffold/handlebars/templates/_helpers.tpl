{{!-- Named templates (partials) shared by every template of the chart. --}}

{{!-- The chart's name, or nameOverride: at most 63 characters, the limit of a DNS label. --}}
{{#*inline "<CHARTNAME>.name"}}
{{trimSuffix "-" (trunc 63 (default Chart.Name Values.nameOverride))}}
{{/inline}}

{{!--
The fully qualified app name: fullnameOverride, else RELEASE-NAME, or just the release name
when it already contains the chart's name. At most 63 characters, the limit of a DNS label.
--}}
{{#*inline "<CHARTNAME>.fullname"}}
{{#if Values.fullnameOverride}}{{trimSuffix "-" (trunc 63 Values.fullnameOverride)}}{{else if (contains (default Chart.Name Values.nameOverride) Release.Name)}}{{trimSuffix "-" (trunc 63 Release.Name)}}{{else}}{{trimSuffix "-" (trunc 63 (printf "%s-%s" Release.Name (default Chart.Name Values.nameOverride)))}}{{/if}}
{{/inline}}

{{!-- NAME-VERSION, for the `helm.sh/chart` label. --}}
{{#*inline "<CHARTNAME>.chart"}}
{{trimSuffix "-" (trunc 63 (replace "+" "_" (printf "%s-%s" Chart.Name Chart.Version)))}}
{{/inline}}

{{!-- The labels of every object. --}}
{{#*inline "<CHARTNAME>.labels"}}
helm.sh/chart: {{include "<CHARTNAME>.chart" this}}
{{include "<CHARTNAME>.selectorLabels" this}}
{{#if Chart.AppVersion}}
app.kubernetes.io/version: {{quote Chart.AppVersion}}
{{/if}}
app.kubernetes.io/managed-by: {{Release.Service}}
{{/inline}}

{{!-- The labels that select the pods: they never change once installed. --}}
{{#*inline "<CHARTNAME>.selectorLabels"}}
app.kubernetes.io/name: {{include "<CHARTNAME>.name" this}}
app.kubernetes.io/instance: {{Release.Name}}
{{/inline}}

{{!-- The service account the pods run as. --}}
{{#*inline "<CHARTNAME>.serviceAccountName"}}
{{#if Values.serviceAccount.create}}{{default (include "<CHARTNAME>.fullname" this) Values.serviceAccount.name}}{{else}}{{default "default" Values.serviceAccount.name}}{{/if}}
{{/inline}}
