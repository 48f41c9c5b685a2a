// Package sim simulates a Bitbucket Data Center primary and its Smart
// Mirroring farms on loopback HTTP servers, with realistic sync dynamics and
// switchable faults, for mirrortop's demo, tests and benchmarks.
//
// Every simulated server is a real HTTP server on 127.0.0.1: one for the
// primary (upstream) and, for each mirror farm, one per mirror node plus one
// load balancer that forwards each request to the next node that is up. The
// servers answer the documented mirroring REST endpoints of both the
// Bitbucket 9.x and the 8.x mirror layout, including the quirks seen on real
// servers (memberCount as a string, lastSeenDate in epoch milliseconds,
// upper-case queue item types, a bare integer for the queue count, the
// all-zero "empty" hash).
//
// State changes are driven by a discrete-event loop on a simulated clock:
// pushes on the primary fill each farm's ref-changes queue, a fixed pool of
// workers per farm syncs the changed repositories onto every node that is
// up, node syncs fail at a configurable rate and are retried, and a
// scheduled full sync per farm catches up whatever was missed. With a manual
// clock, time only moves through [Sim.Advance], and the run is fully
// deterministic for a given seed.
package sim
