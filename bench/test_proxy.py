"""Tests of bench/bench.py's proxy figures: python3 -m unittest discover -s bench -p 'test_*.py'"""

import datetime
import unittest

import bench

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8080/services/fraud-scoring
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.02ms  41.30ms   90.12%
    Req/Sec     7.71k   512.33     8.60k    71.00%
  Latency Distribution
     50%    1.87ms
     75%    2.30ms
     90%    2.95ms
     99%  850.00us
  153412 requests in 10.00s, 30.12MB read
  Socket errors: connect 0, read 3, write 0, timeout 0
  Non-2xx or 3xx responses: 12
Requests/sec:  15341.20
Transfer/sec:      3.01MB
"""


def run(p50, p99, rps, non_2xx=0):
    return {"p50_ms": p50, "p99_ms": p99, "requests_per_second": rps, "non_2xx": non_2xx}


class ParseWrkTest(unittest.TestCase):

    def test_reads_rate_percentiles_in_milliseconds_and_errors(self):
        result = bench.parse_wrk(WRK_OUTPUT)

        self.assertEqual(result["requests_per_second"], 15341.2)
        self.assertEqual(result["p50_ms"], 1.87)
        self.assertEqual(result["p99_ms"], 0.85)
        self.assertEqual(result["max_ms"], 41.3)
        self.assertEqual(result["non_2xx"], 12)
        self.assertEqual(result["socket_errors"], "connect 0, read 3, write 0, timeout 0")

    def test_a_clean_run_has_no_errors(self):
        output = WRK_OUTPUT.replace("  Socket errors: connect 0, read 3, write 0, timeout 0\n", "") \
            .replace("  Non-2xx or 3xx responses: 12\n", "")

        result = bench.parse_wrk(output)

        self.assertEqual(result["non_2xx"], 0)
        self.assertEqual(result["socket_errors"], "none")


class ProxyFiguresTest(unittest.TestCase):

    def test_added_latency_is_at_one_connection_and_throughput_under_load(self):
        direct = {"latency": run(0.5, 1.0, 1800), "load": run(4.0, 20.0, 6000)}
        proxied = {"latency": run(1.25, 2.5, 700), "load": run(9.0, 40.0, 4500, non_2xx=2)}

        result = bench.proxy_comparison(direct, proxied)

        self.assertEqual(result["added_p50_ms"], 0.75)
        self.assertEqual(result["added_p99_ms"], 1.5)
        self.assertEqual(result["throughput_vs_direct"], 0.75)
        self.assertEqual(result["non_2xx"], 2)

    def test_headline_takes_the_worse_body_size_of_each_figure(self):
        sizes = {"small": {"added_p50_ms": 0.4, "throughput_vs_direct": 0.6, "non_2xx": 0},
                 "large": {"added_p50_ms": 3.2, "throughput_vs_direct": 0.9, "non_2xx": 0}}

        result = bench.proxy_headline(sizes)

        self.assertEqual((result["added_p50_ms"], result["added_p50_body"]), (3.2, "large"))
        self.assertEqual((result["throughput_vs_direct"], result["throughput_body"]), (0.6, "small"))

    def test_targets_are_met_only_within_bounds_and_without_errors(self):
        proxy = {"added_p50_ms": 1.0, "added_p50_body": "large", "throughput_vs_direct": 0.8,
                 "throughput_body": "small", "non_2xx": 0}

        self.assertEqual([t["met"] for t in bench.proxy_targets(proxy)], [True, True])
        self.assertEqual([t["met"] for t in bench.proxy_targets({**proxy, "added_p50_ms": 1.01,
                                                                 "throughput_vs_direct": 0.79})], [False, False])
        self.assertEqual([t["met"] for t in bench.proxy_targets({**proxy, "non_2xx": 1})], [False, False])

    def test_large_body_is_json_of_the_exact_size(self):
        body = bench.scoring_body(bench.PROXY_LARGE_BYTES)

        self.assertEqual(len(body), 1_000_000)
        self.assertLess(len(body), 1024 * 1024)
        self.assertTrue(body.startswith(b'{"data":"') and body.endswith(b'"}'))

    def test_credential_must_outlive_the_runs(self):
        now = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc)

        self.assertTrue(bench.outlives("2026-12-07T12:10:01Z", 600, now))
        self.assertFalse(bench.outlives("2026-12-07T12:10:00Z", 600, now))


if __name__ == "__main__":
    unittest.main()
