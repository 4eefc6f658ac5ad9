{{/*
The sidecar, as named templates for your own pod spec. Install this chart with mode=sidecar (it renders the
ConfigMap and the ServiceAccount), or add it as a dependency of your app's chart, and include:

  metadata:
    labels:
      {{- include "token-broker.sidecar.podLabels" $broker | nindent 8 }}
    annotations:
      {{- include "token-broker.sidecar.podAnnotations" $broker | nindent 8 }}
  spec:
    serviceAccountName: {{ include "token-broker.serviceAccountName" $broker }}
    initContainers:
      {{- include "token-broker.sidecar.initContainer" $broker | nindent 8 }}
    containers:
      - name: app
        env:
          {{- include "token-broker.sidecar.appEnv" $broker | nindent 12 }}
        volumeMounts:
          {{- include "token-broker.callerToken.volumeMount" $broker | nindent 12 }}
    volumes:
      {{- include "token-broker.sidecar.volumes" $broker | nindent 8 }}

With file sinks (values sinks, docs/sinks.md), add to each app container that reads the files, and to no other:

        volumeMounts:
          {{- include "token-broker.sinks.volumeMount" $broker | nindent 12 }}

It renders nothing while no sink is configured.

where, in a parent chart, `$broker := index .Subcharts "token-broker"` (the subchart's own context, so its values
and defaults apply). src/test/resources/deploy/app-chart is a complete example, rendered by the tests.

The broker is a native sidecar (an init container with restartPolicy: Always, Kubernetes 1.29+): it starts before
the app containers, its startup probe waits for readiness (a token with runway for every required service), so the
app containers start only once the broker can serve them; it stops after them. Its API listens on loopback only
(127.0.0.1, or ::1 with ipFamily ipv6).

With fleet.enabled, every pod that includes the sidecar joins the fleet: its broker reads and writes the shared
cache in Redis (fleet.redis), so the pods need egress to Redis and the fleet's Secrets must exist in their namespace.
*/}}

{{/* A list item for the pod's initContainers. */}}
{{- define "token-broker.sidecar.initContainer" -}}
{{- $_ := include "token-broker.validate" . -}}
{{- $_ := include "token-broker.validatePod" . -}}
- {{ include "token-broker.container" . | indent 2 | trim }}
  restartPolicy: Always
{{- end }}

{{/* List items for the pod's volumes. */}}
{{- define "token-broker.sidecar.volumes" -}}
{{ include "token-broker.volumes" . }}
{{ include "token-broker.callerToken.volume" . }}
{{- with include "token-broker.sinks.volume" . }}
{{ . }}
{{- end }}
{{- end }}

{{/*
The sink volume: in memory (tmpfs), so a credential never reaches the node's disk, and gone with the pod. Mounted in
the broker's container (token-broker.container) and in the app containers that include
token-broker.sinks.volumeMount, read-only; every container that mounts it can read the credentials it holds.
*/}}
{{- define "token-broker.sinks.volume" -}}
{{- if .Values.sinks }}
- name: token-broker-sinks
  emptyDir:
    medium: Memory
    sizeLimit: {{ .Values.sidecar.sinks.sizeLimit }}
{{- end }}
{{- end }}

{{/* A list item for an app container's volumeMounts: the sink files, read-only; nothing without sinks. */}}
{{- define "token-broker.sinks.volumeMount" -}}
{{- if .Values.sinks }}
- name: token-broker-sinks
  mountPath: {{ .Values.sidecar.sinks.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Mapping entries for the pod's labels: workload identity's opt-in and the PodMonitor's selector. */}}
{{- define "token-broker.sidecar.podLabels" -}}
token-broker.acme.com/sidecar: {{ include "token-broker.fullname" . }}
{{- with include "token-broker.identityPodLabels" . }}
{{ . }}
{{- end }}
{{- end }}

{{/*
Mapping entries for the pod's annotations. With the webhook opt-in, the webhook skips the app's containers
(identity.workloadIdentity.appContainers): the broker's identity must reach the broker alone (issue 11).
*/}}
{{- define "token-broker.sidecar.podAnnotations" -}}
{{ include "token-broker.podAnnotations" . }}
{{- if include "token-broker.usesWebhook" . }}
azure.workload.identity/skip-containers: {{ join ";" .Values.identity.workloadIdentity.appContainers | quote }}
{{- end }}
{{- end }}

{{/* Environment for the app containers: where the broker is and where the caller token is. */}}
{{- define "token-broker.sidecar.appEnv" -}}
- name: TOKEN_BROKER_URL
  value: {{ printf "http://%s:%d" (include "token-broker.loopbackUrlHost" .) (int .Values.ports.api) | quote }}
- name: TOKEN_BROKER_CALLER_TOKEN_FILE
  value: {{ printf "%s/token" .Values.sidecar.callerToken.path | quote }}
{{- end }}

{{/*
The app's identity towards the broker: a projected service-account token with the broker's audience, refreshed by
the kubelet. The app reads it at each call and sends it as "Authorization: Bearer <token>".
*/}}
{{- define "token-broker.callerToken.volume" -}}
- name: token-broker-caller
  projected:
    sources:
      - serviceAccountToken:
          audience: {{ include "token-broker.callerAudience" . }}
          expirationSeconds: {{ .Values.sidecar.callerToken.expirationSeconds }}
          path: token
{{- end }}

{{- define "token-broker.callerToken.volumeMount" -}}
- name: token-broker-caller
  mountPath: {{ .Values.sidecar.callerToken.path }}
  readOnly: true
{{- end }}
