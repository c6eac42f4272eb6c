{{#*inline "guestbook.labels"}}
app.kubernetes.io/part-of: {{Release.Name}}
app.kubernetes.io/managed-by: {{Release.Service}}
helm.sh/chart: {{Chart.Name}}-{{Chart.Version}}
{{/inline}}

{{#*inline "guestbook.serviceAccountName"}}
{{#if Values.serviceAccount.create}}{{default (printf "%s-guestbook" Release.Name) Values.serviceAccount.name}}{{else}}{{default "default" Values.serviceAccount.name}}{{/if}}
{{/inline}}
