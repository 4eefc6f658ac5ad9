"""Tests of bench/modes.py: python3 -m unittest discover -s bench -p 'test_*.py'"""

import os
import unittest

import modes

RESULTS = {
    "footprint_10_services": {"memory_after_hot_path": {"rss_mib": 250.0, "rss_anon_mib": 200.0,
                                                        "rss_file_mib": 50.0}},
    "fleet": {
        "instances": 20, "services": 10, "virtual_hours": 2,
        "alone": {"cold_token_calls": 200, "cold_metadata_calls": 200, "token_calls_per_hour": 400.0,
                  "metadata_calls_per_hour": 400.0, "failed_requests_or_refreshes": 0},
        "shared": {"cold_token_calls": 10, "cold_metadata_calls": 10, "token_calls_per_hour": 20.0,
                   "metadata_calls_per_hour": 20.0, "failed_requests_or_refreshes": 0},
    },
}


def by_label(result):
    return {row["label"]: row for row in result["modes"]}


class DeploymentModesTest(unittest.TestCase):

    def test_memory_counts_each_brokers_own_memory_and_the_mapped_files_once_per_node(self):
        rows = by_label(modes.deployment_modes(RESULTS))

        self.assertEqual(rows["sidecar, fleet off (default)"]["memory_mib"], 50 * 200 + 5 * 50)
        self.assertEqual(rows["node, fleet on (default)"]["memory_mib"], 5 * 200 + 5 * 50)
        self.assertEqual(rows["standalone, 2 replicas, fleet on"]["memory_mib"], 2 * 200 + 2 * 50)
        self.assertEqual(rows["sidecar, fleet off (default)"]["memory_per_node_mib"], 10 * 200 + 50)
        self.assertEqual(rows["node, fleet on (default)"]["memory_requested_mib"], 5 * 320)

    def test_without_fleet_every_broker_fetches_every_service_and_with_it_the_fleet_fetches_once(self):
        rows = by_label(modes.deployment_modes(RESULTS))

        # Measured: 2 token calls per broker and service and hour alone, 2 per service shared.
        self.assertEqual(rows["sidecar, fleet off (default)"]["token_calls_per_hour"], 50 * 10 * 2)
        self.assertEqual(rows["sidecar, fleet off (default)"]["token_calls_cold_start"], 50 * 10)
        self.assertEqual(rows["node, fleet off"]["token_calls_per_hour"], 5 * 10 * 2)
        for label in ("sidecar, fleet on", "node, fleet on (default)", "standalone, 2 replicas, fleet on"):
            self.assertEqual(rows[label]["token_calls_per_hour"], 10 * 2, label)
            self.assertEqual(rows[label]["token_calls_cold_start"], 10, label)
            self.assertEqual(rows[label]["metadata_reads_cold_start"], 10, label)

    def test_the_assumptions_are_parameters(self):
        result = modes.deployment_modes(RESULTS, pods=30, nodes=3, standalone_replicas=3)
        rows = by_label(result)

        self.assertEqual(rows["sidecar, fleet off (default)"]["brokers"], 30)
        self.assertEqual(rows["node, fleet on (default)"]["brokers"], 3)
        self.assertEqual(rows["standalone, 3 replicas, fleet on"]["nodes_with_broker"], 3)
        self.assertIsNone(result["measured"]["pss_mib"])

    def test_markdown_has_a_row_per_mode(self):
        table = modes.markdown(modes.deployment_modes(RESULTS))

        self.assertIn("| node, fleet on (default) | 5 | 1,250 MiB | 250 MiB | 1,600 MiB | 10 | 20 | 10 | 20 |", table)
        # The header and one row per mode.
        self.assertEqual(table.count("\n| "), 1 + 5)

    def test_the_committed_results_md_reads_back(self):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")) as file:
            results = modes.results_from_markdown(file.read())

        memory = results["footprint_10_services"]["memory_after_hot_path"]
        self.assertAlmostEqual(memory["rss_anon_mib"] + memory["rss_file_mib"], memory["rss_mib"], delta=0.2)
        self.assertGreater(results["fleet"]["alone"]["token_calls_per_hour"],
                           results["fleet"]["shared"]["token_calls_per_hour"])
        self.assertEqual(len(modes.deployment_modes(results)["modes"]), 5)


if __name__ == "__main__":
    unittest.main()
