#!/usr/bin/env bash
# A token-broker caller in shell: bash, curl, sed, date and sha256sum (docs/clients.md).
#
# Source it and call `broker_credential SERVICE`: it sets BROKER_ACCESS_TOKEN, BROKER_REFRESH_BY and
# BROKER_SCORING_URI, asking the broker only once the cached answer's refreshBy has passed. Or run it:
#   token-client.sh [--calls N] [--interval S] [--max-wait S] SERVICE
# It reads the caller's token from TOKEN_BROKER_CALLER_TOKEN_FILE on each fetch (the kubelet rotates it), waits the
# broker's Retry-After on 503 or 429 up to TOKEN_BROKER_MAX_WAIT seconds in all, fails on 401 and 403, and keeps
# tokens out of argv (curl reads the header from a file descriptor) and out of its output.

: "${TOKEN_BROKER_URL:=http://127.0.0.1:8080}"
: "${TOKEN_BROKER_CALLER_TOKEN_FILE:=/var/run/secrets/token-broker/caller/token}"
: "${TOKEN_BROKER_MAX_WAIT:=30}"
declare -gA BROKER_CACHE_TOKEN=() BROKER_CACHE_REFRESH_BY=() BROKER_CACHE_SCORING_URI=()

# The value of a string field of the broker's flat JSON answer.
broker_json_field() {
  sed -nE 's/.*"'"$1"'":"([^"]*)".*/\1/p' <<<"$2"
}

# Seconds to wait from a Retry-After value: delta seconds or an HTTP date.
broker_retry_after() {
  local at
  if [[ $1 =~ ^[[:space:]]*([0-9]+)[[:space:]]*$ ]]; then
    echo "${BASH_REMATCH[1]}"
  elif [[ $1 =~ [^[:space:]] ]] && at=$(date -u -d "$1" +%s 2>/dev/null); then
    local delay=$((at - $(date -u +%s)))
    echo $((delay > 0 ? delay : 0))
  else
    echo 5
  fi
}

broker_credential() {
  local service=$1 now
  now=$(date -u +%s)
  if [[ -n ${BROKER_CACHE_TOKEN[$service]:-} ]] && ((now < BROKER_CACHE_REFRESH_BY[$service])); then
    BROKER_ACCESS_TOKEN=${BROKER_CACHE_TOKEN[$service]}
    BROKER_REFRESH_BY=$(date -u -d "@${BROKER_CACHE_REFRESH_BY[$service]}" +%Y-%m-%dT%H:%M:%SZ)
    BROKER_SCORING_URI=${BROKER_CACHE_SCORING_URI[$service]}
    return 0
  fi
  local waited=0 body headers status retry detail delay
  while true; do
    headers=$(mktemp) || return 2
    body=$(curl -sS -D "$headers" -w '\n%{http_code}' -H 'Accept: application/json' \
      -H @<(printf 'Authorization: Bearer %s\n' "$(<"$TOKEN_BROKER_CALLER_TOKEN_FILE")") \
      "$TOKEN_BROKER_URL/tokens/$service")
    status=${body##*$'\n'}
    body=${body%$'\n'*}
    retry=$(sed -nE 's/^[Rr]etry-[Aa]fter:(.*)$/\1/p' "$headers" | tr -d '\r')
    rm -f "$headers"
    case $status in
      200)
        BROKER_ACCESS_TOKEN=$(broker_json_field accessToken "$body")
        BROKER_REFRESH_BY=$(broker_json_field refreshBy "$body")
        BROKER_SCORING_URI=$(broker_json_field scoringUri "$body")
        BROKER_CACHE_TOKEN[$service]=$BROKER_ACCESS_TOKEN
        BROKER_CACHE_REFRESH_BY[$service]=$(date -u -d "$BROKER_REFRESH_BY" +%s)
        BROKER_CACHE_SCORING_URI[$service]=$BROKER_SCORING_URI
        return 0
        ;;
      429 | 503 | 000)
        # 000: no answer, e.g. the broker sidecar still starting
        detail=$(broker_json_field detail "$body")
        if [[ $status == 000 ]]; then delay=1; else delay=$(broker_retry_after "$retry"); fi
        if ((waited + delay > TOKEN_BROKER_MAX_WAIT)); then
          echo "error: $service: $status from the broker: ${detail:-unavailable}; retry after $delay s, beyond this caller's bound of $TOKEN_BROKER_MAX_WAIT s" >&2
          return 3
        fi
        echo "$service: $status from the broker: ${detail:-unavailable}; retrying in $delay s as Retry-After asks" >&2
        sleep "$delay"
        waited=$((waited + delay))
        ;;
      *)
        echo "error: $service: $status from the broker: $(broker_json_field detail "$body")" >&2
        return 2
        ;;
    esac
  done
}

# What may be printed of a token: its length and the start of its SHA-256.
broker_fingerprint() {
  local sum
  sum=$(printf '%s' "$1" | sha256sum)
  echo "${#1} chars, sha256:${sum:0:12}"
}

# The scoring call, with the credential as a bearer (every credential type is one), kept out of argv:
#   broker_credential fraud-scoring &&
#     curl -sS -H @<(printf 'Authorization: Bearer %s\n' "$BROKER_ACCESS_TOKEN") -H 'Content-Type: application/json' \
#       --data @request.json "$BROKER_SCORING_URI"

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -uo pipefail
  calls=1 interval=0
  while [[ $# -gt 1 ]]; do
    case $1 in
      --calls) calls=$2 ;;
      --interval) interval=$2 ;;
      --max-wait) TOKEN_BROKER_MAX_WAIT=$2 ;;
      *) echo "usage: $0 [--calls N] [--interval S] [--max-wait S] SERVICE" >&2; exit 64 ;;
    esac
    shift 2
  done
  service=${1:?usage: $0 [--calls N] [--interval S] [--max-wait S] SERVICE}
  for ((call = 0; call < calls; call++)); do
    ((call > 0)) && sleep "$interval"
    broker_credential "$service" || exit $?
    echo "$service: $(broker_fingerprint "$BROKER_ACCESS_TOKEN"), refreshBy $BROKER_REFRESH_BY"
  done
fi
