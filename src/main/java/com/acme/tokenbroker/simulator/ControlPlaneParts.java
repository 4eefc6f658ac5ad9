package com.acme.tokenbroker.simulator;

/**
 * The parts of a region an API answers with.
 *
 * @param region the region's name, address, directory and clock
 * @param gate the checks every control-plane call passes
 * @param operations the region's key regenerations
 */
record ControlPlaneParts(RegionContext region, ControlPlaneGate gate, RegenerationOperations operations) {
}
