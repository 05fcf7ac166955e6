{{/* Names and labels shared by the chart's templates. */}}
{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "sluice.operatorSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "sluice.minioSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: minio
{{- end -}}

{{- define "sluice.kafkaSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: kafka
{{- end -}}

{{- define "sluice.operatorName" -}}{{ include "sluice.fullname" . }}-operator{{- end -}}
{{- define "sluice.minioName" -}}{{ include "sluice.fullname" . }}-minio{{- end -}}
{{- define "sluice.kafkaName" -}}{{ include "sluice.fullname" . }}-kafka{{- end -}}
{{/* The dev broker's bootstrap address, also its advertised listener: <release>-kafka.<namespace>.svc:9092. */}}
{{- define "sluice.kafkaBootstrap" -}}{{ printf "%s.%s.svc:9092" (include "sluice.kafkaName" .) .Release.Namespace }}{{- end -}}

{{/* The storage endpoint the operator defaults to: the configured one, else the dev MinIO. */}}
{{- define "sluice.storageEndpoint" -}}
{{- if .Values.storage.endpoint -}}
{{- .Values.storage.endpoint -}}
{{- else if .Values.minio.enabled -}}
{{- printf "http://%s.%s.svc:9000" (include "sluice.minioName" .) .Release.Namespace -}}
{{- else -}}
{{- fail "storage.endpoint is required when minio.enabled is false: set it to your S3 endpoint, e.g. https://s3.example.com" -}}
{{- end -}}
{{- end -}}

{{/* The Secret (keys accessKey, secretKey) holding the default storage credentials. */}}
{{- define "sluice.storageSecret" -}}
{{- if .Values.storage.credentialsSecret -}}
{{- .Values.storage.credentialsSecret -}}
{{- else if .Values.minio.enabled -}}
{{- include "sluice.minioName" . -}}
{{- else -}}
{{- fail "storage.credentialsSecret is required when minio.enabled is false: name a Secret with keys accessKey and secretKey" -}}
{{- end -}}
{{- end -}}

{{/* Restricted Pod Security Standard container settings. */}}
{{- define "sluice.restrictedContainerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
