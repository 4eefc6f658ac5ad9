"""Tests of bench/bench.py's burst client: python3 -m unittest discover -s bench -p 'test_*.py'"""

import http.server
import shutil
import threading
import unittest

import bench


class Handler(http.server.BaseHTTPRequestHandler):

    served = 0

    def do_GET(self):
        refused = self.headers.get("Authorization") != "Bearer good" and self.path == "/guarded"
        body = b'{"error":"no"}' if refused else b'{"accessToken":"x"}'
        if self.path == "/varying":
            # answers of different lengths, as tokens are; every other one refused
            Handler.served += 1
            refused = Handler.served % 2 == 0
            body = b'{"accessToken":"' + b"x" * Handler.served + b'"}'
        self.send_response(401 if refused else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # the listen backlog is taken when the server binds: a burst of 20 must not overflow it
    request_queue_size = 64


@unittest.skipIf(shutil.which("ab") is None, "ApacheBench (apache2-utils) is not installed")
class AbBurstTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def test_every_answer_is_counted_with_its_latency_percentiles(self):
        burst = bench.ab_burst(f"{self.base}/open", concurrency=20)
        self.assertEqual(burst["requests"], 20)
        self.assertEqual(burst["ok"], 20)
        self.assertEqual(len(burst), 5)
        self.assertLessEqual(burst["p50_ms"], burst["p99_ms"])
        self.assertLessEqual(burst["p99_ms"], burst["max_ms"])

    def test_answers_of_different_lengths_are_counted_by_status(self):
        Handler.served = 0
        self.assertEqual(bench.ab_burst(f"{self.base}/varying", concurrency=20)["ok"], 10)

    def test_refused_answers_are_not_ok(self):
        self.assertEqual(bench.ab_burst(f"{self.base}/guarded", ["Authorization: Bearer bad"], concurrency=20)["ok"], 0)
        self.assertEqual(bench.ab_burst(f"{self.base}/guarded", ["Authorization: Bearer good"], concurrency=20)["ok"],
                         20)


if __name__ == "__main__":
    unittest.main()
