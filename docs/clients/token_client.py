#!/usr/bin/env python3
"""A token-broker caller in Python, standard library only (docs/clients.md).

It reads its own token from a file on each fetch (a projected service-account token, which the kubelet rotates),
keeps each service's answer until its refreshBy (not expiresAt: the broker refreshes ahead of it), waits the
broker's Retry-After on 503 or 429 within a bound, fails clearly on 401 and 403, and never prints a token.
"""
import argparse
import email.utils
import hashlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone


class BrokerError(Exception):
    """The broker refused the request (401, 403, 404, 400) or answered something unexpected."""


class BrokerUnavailable(BrokerError):
    """The broker had no usable token within the caller's bound on waiting (503, 429)."""


def fingerprint(secret):
    """What may be printed of a token: its length and the start of its SHA-256."""
    return "%d chars, sha256:%s" % (len(secret), hashlib.sha256(secret.encode()).hexdigest()[:12])


def parse_instant(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def retry_after_seconds(value, now, default=5.0):
    """Retry-After as delta seconds or an HTTP date (RFC 9110, section 10.2.3)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return default


class TokenClient:
    def __init__(self, broker_url, caller_token_file, max_wait=30.0, timeout=10.0, clock=time.time,
                 sleep=time.sleep, log=lambda message: print(message, file=sys.stderr)):
        self.broker_url = broker_url.rstrip("/")
        self.caller_token_file = caller_token_file
        self.max_wait = max_wait
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep
        self.log = log
        self._answers = {}
        self._lock = threading.Lock()  # one fetch at a time: threads asking together share its answer

    def credential(self, service):
        """The broker's answer for a service: accessToken, refreshBy, expiresAt, scoringUri and the rest."""
        with self._lock:
            answer = self._answers.get(service)
            if answer is None or self.clock() >= parse_instant(answer["refreshBy"]):
                answer = self._fetch(service)
                self._answers[service] = answer
            return answer

    def authorization(self, service):
        """The scoring call's Authorization header: every credential type (aml_token, key, aad_token) is a bearer."""
        return "Bearer " + self.credential(service)["accessToken"]

    def score(self, service, payload):
        """POST a JSON payload to the service's scoring URI with its credential."""
        request = urllib.request.Request(self.credential(service)["scoringUri"], data=json.dumps(payload).encode(),
                                         method="POST", headers={"Authorization": self.authorization(service),
                                                                 "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.load(response)

    def _fetch(self, service):
        waited = 0.0
        while True:
            with open(self.caller_token_file, encoding="ascii") as file:  # re-read: the kubelet rotates it
                caller_token = file.read().strip()
            request = urllib.request.Request(
                "%s/tokens/%s" % (self.broker_url, urllib.parse.quote(service, safe="")),
                headers={"Authorization": "Bearer " + caller_token, "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.load(response)
            except urllib.error.HTTPError as error:
                detail = "%d from the broker: %s" % (error.code, problem_detail(error))
                if error.code not in (429, 503):
                    raise BrokerError("%s: %s" % (service, detail)) from None
                delay = retry_after_seconds(error.headers.get("Retry-After"), self.clock())
            except urllib.error.URLError as error:  # e.g. the broker sidecar still starting
                detail, delay = "broker unreachable (%s)" % error.reason, 1.0
            if waited + delay > self.max_wait:
                raise BrokerUnavailable("%s: %s; retry after %.0f s, beyond this caller's bound of %.0f s"
                                        % (service, detail, delay, self.max_wait))
            self.log("%s: %s; retrying in %.0f s as Retry-After asks" % (service, detail, delay))
            self.sleep(delay)
            waited += delay


def problem_detail(error):
    """The detail of the broker's application/problem+json answer (it never names a token)."""
    try:
        return json.load(error).get("detail") or error.reason
    except ValueError:
        return error.reason


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fetch a service's credential from token-broker.")
    parser.add_argument("service")
    parser.add_argument("--broker", default=os.environ.get("TOKEN_BROKER_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--caller-token-file", default=os.environ.get(
        "TOKEN_BROKER_CALLER_TOKEN_FILE", "/var/run/secrets/token-broker/caller/token"))
    parser.add_argument("--max-wait", type=float, default=30.0, help="longest total wait on Retry-After, seconds")
    parser.add_argument("--calls", type=int, default=1, help="how many times to ask (the cache answers most)")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between calls")
    args = parser.parse_args(argv)
    client = TokenClient(args.broker, args.caller_token_file, max_wait=args.max_wait)
    try:
        for call in range(args.calls):
            if call:
                time.sleep(args.interval)
            answer = client.credential(args.service)
            print("%s: %s %s, refreshBy %s, expiresAt %s, stale %s" % (
                args.service, answer["credentialType"], fingerprint(answer["accessToken"]), answer["refreshBy"],
                answer["expiresAt"], answer["stale"]))
    except BrokerError as error:
        print("error: %s" % error, file=sys.stderr)
        return 3 if isinstance(error, BrokerUnavailable) else 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
