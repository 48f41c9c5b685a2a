// Package model holds mirrortop's domain types and the pure logic over them:
// farms, nodes, repositories, hashes, queue depth, mismatches, lag and health.
//
// It does no I/O and knows nothing of the terminal. Readings produced by the
// poller are folded into a State with State.Apply; everything shown on screen
// or printed by the snapshot command is derived from that State.
package model
