{{/*
Names and labels. Every template here takes the token-broker chart's context: `.` inside this chart, or
`(index .Subcharts "token-broker")` from a parent chart that depends on it.
*/}}

{{- define "token-broker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "token-broker.fullname" -}}
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

{{- define "token-broker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "token-broker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "token-broker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "token-broker.labels" -}}
helm.sh/chart: {{ include "token-broker.chart" . }}
{{ include "token-broker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{- define "token-broker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "token-broker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "token-broker.configMapName" -}}
{{- printf "%s-config" (include "token-broker.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "token-broker.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Paths inside the container. The image's WORKDIR is /app; Spring Boot reads /app/config/application.yml first. */}}
{{- define "token-broker.configDir" -}}/app/config{{- end }}
{{- define "token-broker.identityDir" -}}/var/run/secrets/token-broker/identity{{- end }}
{{- define "token-broker.federatedTokenDir" -}}/var/run/secrets/token-broker/azure-identity{{- end }}
{{- define "token-broker.federatedTokenFile" -}}{{ include "token-broker.federatedTokenDir" . }}/azure-identity-token{{- end }}
{{- define "token-broker.tlsDir" -}}/var/run/secrets/token-broker/tls{{- end }}

{{/*
The audience of the callers' service-account tokens: sidecar.callerToken.audience, else one per release, so that a
token minted for one broker deployment is refused by every other.
*/}}
{{- define "token-broker.callerAudience" -}}
{{- default (printf "token-broker.%s.%s" .Release.Namespace .Release.Name) .Values.sidecar.callerToken.audience }}
{{- end }}

{{/* The Secret holding the API's certificate and key: the operator's, or the one cert-manager writes. */}}
{{- define "token-broker.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "token-broker.fullname" .) | trunc 63 | trimSuffix "-") .Values.tls.existingSecret }}
{{- end }}

{{/* Whether the webhook of AKS workload identity is asked to mutate the pod (identity.workloadIdentity.useWebhook). */}}
{{- define "token-broker.usesWebhook" -}}
{{- if and (eq .Values.identity.mode "workload-identity") .Values.identity.workloadIdentity.useWebhook }}true{{ end }}
{{- end }}
{{/*
Whether fleet mode is on: fleet.enabled when set (true or false), else the mode's default, on in node mode only (one
broker per node: without the shared cache every node would fetch every token).
*/}}
{{- define "token-broker.fleetEnabled" -}}
{{- if kindIs "invalid" .Values.fleet.enabled }}
{{- if eq .Values.mode "node" }}true{{ end }}
{{- else if .Values.fleet.enabled }}true{{ end }}
{{- end }}

{{- define "token-broker.livenessPath" -}}/actuator/health/liveness{{- end }}
{{- define "token-broker.readinessPath" -}}/actuator/health/readiness{{- end }}
{{- define "token-broker.prometheusPath" -}}/actuator/prometheus{{- end }}

{{/*
Addresses by ipFamily: the loopback the sidecar's API listens on (127.0.0.1, or ::1 in an IPv6-only pod), the
wildcard of the other listeners (0.0.0.0, or :: whose dual-stack socket takes IPv4 and IPv6), and the loopback as a
URL's host (an IPv6 literal in brackets, RFC 3986).
*/}}
{{- define "token-broker.loopbackAddress" -}}{{ ternary "::1" "127.0.0.1" (eq .Values.ipFamily "ipv6") }}{{- end }}
{{- define "token-broker.wildcardAddress" -}}{{ ternary "0.0.0.0" "::" (eq .Values.ipFamily "ipv4") }}{{- end }}
{{- define "token-broker.loopbackUrlHost" -}}{{ ternary "[::1]" "127.0.0.1" (eq .Values.ipFamily "ipv6") }}{{- end }}
{{- define "token-broker.apiAddress" -}}
{{- if eq .Values.mode "sidecar" }}{{ include "token-broker.loopbackAddress" . }}{{ else }}{{ include "token-broker.wildcardAddress" . }}{{ end }}
{{- end }}

{{/* Checks the values the schema cannot express. */}}
{{- define "token-broker.validate" -}}
{{- $identity := .Values.identity }}
{{- if and (eq $identity.mode "client-secret") (not $identity.clientSecret.existingSecret) }}
{{- fail "identity.mode client-secret needs identity.clientSecret.existingSecret (a Secret holding the client secret)" }}
{{- end }}
{{- if and (eq $identity.mode "client-certificate") (not $identity.clientCertificate.existingSecret) }}
{{- fail "identity.mode client-certificate needs identity.clientCertificate.existingSecret" }}
{{- end }}
{{- if and (has $identity.mode (list "client-secret" "client-certificate")) (or (not $identity.tenantId) (not $identity.clientId)) }}
{{- fail (printf "identity.mode %s needs identity.tenantId and identity.clientId" $identity.mode) }}
{{- end }}
{{- if eq (int .Values.ports.api) (int .Values.ports.management) }}
{{- fail "ports.api and ports.management must differ" }}
{{- end }}
{{- $sidecar := eq .Values.mode "sidecar" }}
{{- if and .Values.sinks (not $sidecar) }}
{{- fail "sinks: sidecar mode only (the files are shared through an emptyDir with the app containers of the same pod)" }}
{{- end }}
{{- if and (kindIs "map" .Values.config) (hasKey .Values.config "sinks") }}
{{- fail "config.sinks: use sinks (the chart renders broker.sinks and mounts their volume)" }}
{{- end }}
{{- range $name, $sink := .Values.sinks }}
{{- if and (hasKey $sink "mode") (not (kindIs "string" $sink.mode)) }}
{{- fail (printf "sinks.%s.mode: quote it (\"0440\"): YAML reads an unquoted 0440 as the number 288" $name) }}
{{- end }}
{{- if not (hasKey (default (dict) $.Values.config.services) $sink.service) }}
{{- fail (printf "sinks.%s.service: %s is not a key of config.services" $name $sink.service) }}
{{- end }}
{{- end }}
{{- if and $sidecar (eq $identity.mode "managed-identity") (not $identity.allowNodeIdentity) }}
{{- fail "identity.mode managed-identity in sidecar mode lets every container of the pod (and every pod on the node) take the node's identity from IMDS: use workload-identity, or set identity.allowNodeIdentity=true to accept that" }}
{{- end }}
{{- if and (eq .Values.mode "node") (eq $identity.mode "managed-identity") (not $identity.allowNodeIdentity) }}
{{- fail "identity.mode managed-identity in node mode needs the identity on every node (the broker runs on each), where IMDS serves it to every pod of the cluster: use workload-identity, or set identity.allowNodeIdentity=true to accept that" }}
{{- end }}
{{- if eq .Values.mode "node" }}
{{- with .Values.node.updateStrategy }}
{{- if and (eq (toString .maxUnavailable) "0") (eq (toString .maxSurge) "0") }}
{{- fail "node.updateStrategy: maxUnavailable and maxSurge cannot both be 0 (the DaemonSet could never roll)" }}
{{- end }}
{{- if and (ne (toString .maxUnavailable) "0") (ne (toString .maxSurge) "0") }}
{{- fail "node.updateStrategy: set maxUnavailable or maxSurge to 0 (a DaemonSet surges only with maxUnavailable 0)" }}
{{- end }}
{{- end }}
{{- end }}
{{- if and $identity.additional (ne $identity.mode "workload-identity") }}
{{- fail "identity.additional needs identity.mode workload-identity (extra client ids federated to the same service account)" }}
{{- end }}
{{- $aliases := keys (default (dict) $identity.additional) }}
{{- $config := default (dict) .Values.config }}
{{- $aliases = concat $aliases (keys (default (dict) (get $config "identities"))) }}
{{- range $name, $service := (default (dict) (get $config "services")) }}
{{- if and (kindIs "map" $service) (hasKey $service "identity") (not (has (toString $service.identity) $aliases)) }}
{{- fail (printf "config.services.%s.identity %q names no identity: list it under identity.additional (known: %s)" $name (toString $service.identity) (join ", " (sortAlpha $aliases))) }}
{{- end }}
{{- end }}
{{- if and $sidecar (include "token-broker.usesWebhook" .) }}
{{- $apps := default (list) $identity.workloadIdentity.appContainers }}
{{- if not $apps }}
{{- fail "identity.workloadIdentity.useWebhook in sidecar mode needs identity.workloadIdentity.appContainers: every other container of the pod, named in azure.workload.identity/skip-containers so that the webhook gives them nothing" }}
{{- end }}
{{- if has .Values.sidecar.containerName $apps }}
{{- fail (printf "identity.workloadIdentity.appContainers must not name the broker's own container %q" .Values.sidecar.containerName) }}
{{- end }}
{{- end }}
{{- /* issue 12, item 9: without fleet mode each instance rotates on its own and regenerates a key its peers serve */}}
{{- $rotation := get (default (dict) (get (default (dict) (get $config "keys")) "rotation")) "interval" }}
{{- if and $rotation (not (has (toString $rotation) (list "0" "0s" "0m" "0h" "0d"))) (not (include "token-broker.fleetEnabled" .)) }}
{{- if $sidecar }}
{{- fail "config.keys.rotation.interval needs fleet.enabled in sidecar mode: every pod's sidecar would rotate the keys on its own and regenerate a key the others still serve" }}
{{- else if eq .Values.mode "node" }}
{{- fail "config.keys.rotation.interval needs fleet.enabled in node mode: every node's broker would rotate the keys on its own and regenerate a key the others still serve" }}
{{- else if gt (int .Values.standalone.replicas) 1 }}
{{- fail (printf "config.keys.rotation.interval needs fleet.enabled with %d replicas: each would rotate the keys on its own and regenerate a key the others still serve (or set standalone.replicas=1)" (int .Values.standalone.replicas)) }}
{{- end }}
{{- end }}
{{- with .Values.tls }}
{{- if .enabled }}
{{- if $sidecar }}
{{- fail "tls.enabled is for standalone and node mode: the sidecar's API listens on loopback only" }}
{{- end }}
{{- $issuer := default (dict) .certManager.issuerRef }}
{{- if and (not .existingSecret) (not $issuer.name) }}
{{- fail "tls.enabled needs tls.existingSecret or tls.certManager.issuerRef.name" }}
{{- end }}
{{- if and .existingSecret $issuer.name }}
{{- fail "tls.existingSecret and tls.certManager.issuerRef: set one, not both" }}
{{- end }}
{{- end }}
{{- end }}
{{- if $sidecar }}
{{- $audience := include "token-broker.callerAudience" . }}
{{- $issuers := default (list) (get (default (dict) (get $config "access")) "issuers") }}
{{- if $issuers }}
{{- $accepted := false }}
{{- range $issuers }}
{{- if or (not .audiences) (has $audience .audiences) }}{{- $accepted = true }}{{- end }}
{{- end }}
{{- if not $accepted }}
{{- fail (printf "the app's caller token has audience %q (sidecar.callerToken.audience, default token-broker.<namespace>.<release>), which no entry of config.access.issuers[].audiences lists: the broker would refuse every call. Leave audiences out (the chart fills in the caller audience) or list it" $audience) }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $sidecar }}
{{- $grace := int (ternary .Values.node.terminationGracePeriodSeconds .Values.standalone.terminationGracePeriodSeconds (eq .Values.mode "node")) }}
{{- $stopping := add (int .Values.shutdown.preStopSleepSeconds) (int .Values.shutdown.timeoutSeconds) }}
{{- if ge (int $stopping) $grace }}
{{- fail (printf "shutdown.preStopSleepSeconds (%d) + shutdown.timeoutSeconds (%d) must stay below %s.terminationGracePeriodSeconds (%d): Kubernetes kills the broker at the end of the grace period, cutting off requests in flight" (int .Values.shutdown.preStopSleepSeconds) (int .Values.shutdown.timeoutSeconds) .Values.mode $grace) }}
{{- end }}
{{- end }}
{{- include "token-broker.validateFleet" . }}
{{- end }}

{{/*
Checks of the pod the broker runs in (the standalone Deployment, the node DaemonSet, the sidecar's initContainer):
values the ConfigMap alone does not need, so that the chart's defaults still render and lint.
*/}}
{{- define "token-broker.validatePod" -}}
{{- $identity := .Values.identity }}
{{- if eq $identity.mode "workload-identity" }}
{{- if or (not $identity.tenantId) (not $identity.clientId) }}
{{- fail "identity.mode workload-identity needs identity.tenantId and identity.clientId: the broker reads its own projected token (not the webhook's environment), so they are written into its configuration" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Fleet mode's checks. Its encryption keys and the Redis password reach the broker only as environment variables from
Secrets: settings that would put them, or a second broker.fleet, into the ConfigMap are refused.
*/}}
{{- define "token-broker.validateFleet" -}}
{{- if hasKey (default (dict) .Values.config) "fleet" }}
{{- fail "config.fleet is not used: set fleet.* instead (encryption keys and the Redis password come from Secrets, never from the ConfigMap)" }}
{{- end }}
{{- $extra := default (dict) .Values.extraConfig }}
{{- $broker := get $extra "broker" }}
{{- if and (kindIs "map" $broker) (hasKey $broker "fleet") }}
{{- fail "extraConfig.broker.fleet is not used: set fleet.* instead (encryption keys and the Redis password come from Secrets, never from the ConfigMap)" }}
{{- end }}
{{- $spring := get $extra "spring" }}
{{- if kindIs "map" $spring }}
{{- $data := get $spring "data" }}
{{- if kindIs "map" $data }}
{{- $redis := get $data "redis" }}
{{- if and (kindIs "map" $redis) (hasKey $redis "password") }}
{{- fail "extraConfig.spring.data.redis.password would be rendered into the ConfigMap: use fleet.redis.passwordSecret" }}
{{- end }}
{{- end }}
{{- end }}
{{- if include "token-broker.fleetEnabled" . }}
{{- /* Node mode turns fleet mode on unless fleet.enabled says otherwise: name the cause and the way out. */}}
{{- $cause := "fleet.enabled" }}
{{- $wayOut := "" }}
{{- if and (eq .Values.mode "node") (kindIs "invalid" .Values.fleet.enabled) }}
{{- $cause = "mode node (fleet mode on by default)" }}
{{- $wayOut = ": set it, or set fleet.enabled=false to run each node's broker alone, fetching every token itself" }}
{{- end }}
{{- with .Values.fleet }}
{{- if not .redis.host }}
{{- fail (printf "%s needs fleet.redis.host (the Redis server's address)%s" $cause $wayOut) }}
{{- end }}
{{- if not .encryption.existingSecret }}
{{- fail (printf "%s needs fleet.encryption.existingSecret (a Secret with one entry per key id in fleet.encryption.keyIds, each the base64 of 32 random bytes)%s" $cause $wayOut) }}
{{- end }}
{{- if not (has .encryption.activeKey .encryption.keyIds) }}
{{- fail (printf "fleet.encryption.activeKey %q must be one of fleet.encryption.keyIds %v" (toString .encryption.activeKey) .encryption.keyIds) }}
{{- end }}
{{- if and .redis.username (not .redis.passwordSecret.name) }}
{{- fail "fleet.redis.username needs fleet.redis.passwordSecret.name (the user's password)" }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Where the broker reads config.services when servicesFile is on: the ConfigMap's services.yml.
*/}}
{{- define "token-broker.servicesFilePath" -}}/app/config/services.yml{{- end }}

{{/*
config.services as a services file (broker.services-file), when servicesFile is on.
*/}}
{{- define "token-broker.servicesYaml" -}}
{{- dict "services" (default (dict) .Values.config.services) | toYaml }}
{{- end }}

{{/*
The operator configuration, rendered as config/application.yml. Chart-owned keys (addresses, ports, identity
files, and with fleet.enabled broker.fleet and the spring.data.redis connection) are merged last so values cannot
contradict the pod spec. Secrets never appear here: they reach the container as files or environment variables.
*/}}
{{- define "token-broker.applicationYaml" -}}
{{- $identity := .Values.identity }}
{{- $id := dict "mode" $identity.mode }}
{{- if $identity.tenantId }}{{- $_ := set $id "tenant-id" $identity.tenantId }}{{- end }}
{{- if $identity.clientId }}{{- $_ := set $id "client-id" $identity.clientId }}{{- end }}
{{- if eq $identity.mode "client-secret" }}
{{- $_ := set $id "client-secret-file" (printf "%s/%s" (include "token-broker.identityDir" .) $identity.clientSecret.key) }}
{{- else if eq $identity.mode "client-certificate" }}
{{- $_ := set $id "certificate-path" (printf "%s/%s" (include "token-broker.identityDir" .) $identity.clientCertificate.key) }}
{{- $_ := set $id "send-certificate-chain" $identity.clientCertificate.sendCertificateChain }}
{{- else if eq $identity.mode "workload-identity" }}
{{- /* The chart's own projection, mounted in the broker's container alone (even with the webhook opt-in). */}}
{{- $_ := set $id "token-file" (include "token-broker.federatedTokenFile" .) }}
{{- end }}
{{- $broker := deepCopy (default (dict) .Values.config) }}
{{- if .Values.servicesFile }}
{{- /* The services go to services.yml beside this file (token-broker.servicesYaml), out of Spring's Environment. */}}
{{- $_ := unset $broker "services" }}
{{- $_ := set $broker "services-file" (include "token-broker.servicesFilePath" .) }}
{{- end }}
{{- $_ := set $broker "identity" (mergeOverwrite (default (dict) (get $broker "identity")) $id) }}
{{- if $identity.additional }}
{{- $identities := default (dict) (get $broker "identities") }}
{{- range $alias, $extra := $identity.additional }}
{{- $_ := set $identities $alias (dict
  "mode" "workload-identity"
  "tenant-id" (default $identity.tenantId $extra.tenantId)
  "client-id" $extra.clientId
  "token-file" (include "token-broker.federatedTokenFile" $)) }}
{{- end }}
{{- $_ := set $broker "identities" $identities }}
{{- end }}
{{- /* Issuers without audiences accept the callers' audience (token-broker.callerAudience). */}}
{{- $access := get $broker "access" }}
{{- if and (kindIs "map" $access) (get $access "issuers") }}
{{- $audience := include "token-broker.callerAudience" . }}
{{- range $access.issuers }}
{{- if not .audiences }}{{- $_ := set . "audiences" (list $audience) }}{{- end }}
{{- end }}
{{- end }}
{{- if .Values.sinks }}
{{- /* Files in the sink volume, mounted in the broker's container at sidecar.sinks.mountPath. */}}
{{- $sinks := dict }}
{{- range $name, $sink := .Values.sinks }}
{{- $entry := dict "service" $sink.service "path" (printf "%s/%s" (trimSuffix "/" $.Values.sidecar.sinks.mountPath) $sink.file) }}
{{- with $sink.format }}{{- $_ := set $entry "format" . }}{{- end }}
{{- with $sink.mode }}{{- $_ := set $entry "mode" (toString .) }}{{- end }}
{{- with $sink.onUnusable }}{{- $_ := set $entry "on-unusable" . }}{{- end }}
{{- $_ := set $sinks $name $entry }}
{{- end }}
{{- $_ := set $broker "sinks" $sinks }}
{{- end }}
{{- $server := dict "address" (include "token-broker.apiAddress" .) "port" (int .Values.ports.api) }}
{{- if eq .Values.mode "standalone" }}
{{- /* Behind a Service, which spreads load per connection: renewed every 1000 requests so new pods get their share
   (the image keeps connections as long as they are used: a sidecar or a node broker has no one to share with). */}}
{{- $_ := set $server "tomcat" (dict "max-keep-alive-requests" 1000) }}
{{- end }}
{{- /* Requests in flight get this long once the broker is told to stop; new connections are refused meanwhile. */}}
{{- $spring := dict "lifecycle" (dict "timeout-per-shutdown-phase" (printf "%ds" (int .Values.shutdown.timeoutSeconds))) }}
{{- if .Values.tls.enabled }}
{{- /* Spring Boot's own SSL bundle properties: PEM files from the mounted Secret, re-read when the kubelet updates it. */}}
{{- $_ := set $server "ssl" (dict "bundle" "api") }}
{{- $tlsDir := include "token-broker.tlsDir" . }}
{{- $_ := set $spring "ssl" (dict "bundle" (dict "pem" (dict "api" (dict
  "reload-on-update" true
  "keystore" (dict "certificate" (printf "%s/tls.crt" $tlsDir) "private-key" (printf "%s/tls.key" $tlsDir)))))) }}
{{- end }}
{{- $owned := dict
  "server" $server
  "management" (dict "server" (dict "address" (include "token-broker.wildcardAddress" .) "port" (int .Values.ports.management)))
  "broker" $broker }}
{{- $_ := set $owned "spring" $spring }}
{{- if eq .Values.logFormat "json" }}
{{- /* Spring Boot's structured logging; text is its default. logging.level and the rest stay the operator's (extraConfig). */}}
{{- $_ := set $owned "logging" (dict "structured" (dict "format" (dict "console" .Values.logJsonFormat))) }}
{{- end }}
{{- if include "token-broker.fleetEnabled" . }}
{{- with .Values.fleet }}
{{- /* Not the keys: they come from the Secret as BROKER_FLEET_ENCRYPTION_KEYS_<ID> (token-broker.container). */}}
{{- $_ := set $broker "fleet" (dict
  "enabled" true
  "key-prefix" .keyPrefix
  "lock-lease" .lockLease
  "peer-wait" .peerWait
  "shared-budget" .sharedBudget
  "encryption" (dict "active-key" .encryption.activeKey)) }}
{{- /* Not the password: SPRING_DATA_REDIS_PASSWORD. */}}
{{- $redis := dict "host" .redis.host "port" (int .redis.port) "ssl" (dict "enabled" .redis.tls) }}
{{- with .redis.username }}{{- $_ := set $redis "username" . }}{{- end }}
{{- $_ := set $owned "spring" (mergeOverwrite $spring (dict "data" (dict "redis" $redis))) }}
{{- end }}
{{- end }}
{{- $config := mergeOverwrite (deepCopy (default (dict) .Values.extraConfig)) $owned }}
{{- toYaml $config }}
{{- end }}

{{- define "token-broker.configChecksum" -}}
{{- if .Values.servicesFile }}
{{- /* The services file is read at start only: a change to it must roll the pods too. */}}
{{- printf "%s\n---\n%s" (include "token-broker.applicationYaml" .) (include "token-broker.servicesYaml" .) | sha256sum }}
{{- else }}
{{- include "token-broker.applicationYaml" . | sha256sum }}
{{- end }}
{{- end }}

{{/* The broker container, without the sidecar's restartPolicy. */}}
{{- define "token-broker.container" -}}
name: {{ ternary .Values.sidecar.containerName "token-broker" (eq .Values.mode "sidecar") }}
image: {{ include "token-broker.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
ports:
  - name: broker-api
    containerPort: {{ .Values.ports.api }}
    protocol: TCP
  - name: broker-mgmt
    containerPort: {{ .Values.ports.management }}
    protocol: TCP
{{- $fleet := include "token-broker.fleetEnabled" . }}
{{- if or .Values.jvmOptions .Values.env (eq .Values.identity.mode "client-certificate") $fleet .Values.proxy.url }}
env:
  {{- if .Values.jvmOptions }}
  - name: JDK_JAVA_OPTIONS
    value: {{ .Values.jvmOptions | quote }}
  {{- end }}
  {{- with .Values.identity.clientCertificate }}
  {{- if and (eq $.Values.identity.mode "client-certificate") .passwordKey }}
  - name: BROKER_IDENTITY_CERTIFICATEPASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ .existingSecret }}
        key: {{ .passwordKey }}
  {{- end }}
  {{- end }}
  {{- if $fleet }}
  {{- with .Values.fleet }}
  {{- if .redis.passwordSecret.name }}
  - name: SPRING_DATA_REDIS_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ .redis.passwordSecret.name }}
        key: {{ .redis.passwordSecret.key }}
  {{- end }}
  {{- $secret := .encryption.existingSecret }}
  {{- range .encryption.keyIds }}
  {{- /* Bound by Spring Boot as broker.fleet.encryption.keys.<id>. */}}
  - name: BROKER_FLEET_ENCRYPTION_KEYS_{{ upper . }}
    valueFrom:
      secretKeyRef:
        name: {{ $secret }}
        key: {{ . }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- with .Values.proxy }}
  {{- if .url }}
  {{- /* Read by the broker as curl reads them; credentials bound as broker.upstream.proxy.* */}}
  - name: HTTPS_PROXY
    value: {{ .url | quote }}
  {{- if .noProxy }}
  - name: NO_PROXY
    value: {{ .noProxy | quote }}
  {{- end }}
  {{- if .existingSecret }}
  - name: BROKER_UPSTREAM_PROXY_USERNAME
    valueFrom:
      secretKeyRef:
        name: {{ .existingSecret }}
        key: {{ .usernameKey }}
  - name: BROKER_UPSTREAM_PROXY_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ .existingSecret }}
        key: {{ .passwordKey }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- with .Values.env }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
startupProbe:
  httpGet:
    path: {{ ternary (include "token-broker.readinessPath" .) (include "token-broker.livenessPath" .) (eq .Values.mode "sidecar") }}
    port: broker-mgmt
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.startup.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: {{ include "token-broker.livenessPath" . }}
    port: broker-mgmt
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
{{- if or (ne .Values.mode "sidecar") .Values.probes.readiness.enabled }}
readinessProbe:
  httpGet:
    path: {{ include "token-broker.readinessPath" . }}
    port: broker-mgmt
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
{{- end }}
{{- /*
Behind a Service: the endpoints controller drops a terminating pod at once, but kube-proxy and callers learn it a little
later, so the broker keeps serving this long before it is told to stop. Kubernetes' own sleep action from 1.30 (no
process in the container), before that the image's sleep (coreutils). A native sidecar stops after the app
containers: nothing to wait for.
*/}}
{{- $preStop := int .Values.shutdown.preStopSleepSeconds }}
{{- if and (ne .Values.mode "sidecar") (gt $preStop 0) }}
lifecycle:
  preStop:
    {{- if semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version }}
    sleep:
      seconds: {{ $preStop }}
    {{- else }}
    exec:
      command: ["sleep", "{{ $preStop }}"]
    {{- end }}
{{- end }}
resources:
  {{- toYaml .Values.resources | nindent 2 }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: token-broker-config
    mountPath: {{ include "token-broker.configDir" . }}
    readOnly: true
  - name: token-broker-tmp
    mountPath: /tmp
  {{- if has .Values.identity.mode (list "client-secret" "client-certificate") }}
  - name: token-broker-identity
    mountPath: {{ include "token-broker.identityDir" . }}
    readOnly: true
  {{- else if eq .Values.identity.mode "workload-identity" }}
  - name: token-broker-azure-identity
    mountPath: {{ include "token-broker.federatedTokenDir" . }}
    readOnly: true
  {{- end }}
  {{- if .Values.tls.enabled }}
  - name: token-broker-tls
    mountPath: {{ include "token-broker.tlsDir" . }}
    readOnly: true
  {{- end }}
  {{- if and (eq .Values.mode "sidecar") .Values.sinks }}
  - name: token-broker-sinks
    mountPath: {{ .Values.sidecar.sinks.mountPath }}
  {{- end }}
{{- end }}

{{/*
The broker's volumes: its config, /tmp, its credential and the API's TLS Secret, each mounted in the broker's container
alone. Files are world-readable (0444) on purpose: in a sidecar the broker cannot choose the pod's fsGroup, and
without one the kubelet leaves Secret files root:root, so 0440 would lock uid 10001 out (issue 11); the volume's
mount, not the mode, keeps the other containers away. A projected service-account token gets 0600 and its owner
from the kubelet whenever every container shares one runAsUser or the pod sets fsGroup (then group-readable), and
this mode otherwise.
*/}}
{{- define "token-broker.volumes" -}}
- name: token-broker-config
  configMap:
    name: {{ include "token-broker.configMapName" . }}
- name: token-broker-tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if eq .Values.identity.mode "client-secret" }}
- name: token-broker-identity
  secret:
    secretName: {{ .Values.identity.clientSecret.existingSecret }}
    defaultMode: 0444
    items:
      - key: {{ .Values.identity.clientSecret.key }}
        path: {{ .Values.identity.clientSecret.key }}
{{- else if eq .Values.identity.mode "client-certificate" }}
- name: token-broker-identity
  secret:
    secretName: {{ .Values.identity.clientCertificate.existingSecret }}
    defaultMode: 0444
    items:
      - key: {{ .Values.identity.clientCertificate.key }}
        path: {{ .Values.identity.clientCertificate.key }}
{{- else if eq .Values.identity.mode "workload-identity" }}
{{- /* What the webhook would inject, for the broker alone: Entra ID exchanges it for the identity's tokens. */}}
- name: token-broker-azure-identity
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken:
          audience: api://AzureADTokenExchange
          expirationSeconds: {{ .Values.identity.workloadIdentity.tokenExpirationSeconds }}
          path: {{ include "token-broker.federatedTokenFile" . | base }}
{{- end }}
{{- if .Values.tls.enabled }}
- name: token-broker-tls
  secret:
    secretName: {{ include "token-broker.tlsSecretName" . }}
    defaultMode: 0444
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
{{- end }}

{{/*
Pod labels: workload identity's webhook label, only with identity.workloadIdentity.useWebhook. Without it the webhook
leaves the pod alone; with it, it injects AZURE_* and its token into every container it does not skip.
*/}}
{{- define "token-broker.identityPodLabels" -}}
{{- if include "token-broker.usesWebhook" . -}}
azure.workload.identity/use: "true"
{{- end }}
{{- end }}

{{/* Pod annotations: Prometheus scraping and a checksum of the config, so a config change rolls the pods. */}}
{{- define "token-broker.podAnnotations" -}}
checksum/token-broker-config: {{ include "token-broker.configChecksum" . }}
{{- if .Values.metrics.annotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.ports.management | quote }}
prometheus.io/path: {{ include "token-broker.prometheusPath" . }}
{{- end }}
{{- end }}
