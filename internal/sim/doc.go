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
//
// The servers also take the documented write requests. On the primary, a
// pending mirroring request can be accepted (a new 9.x farm named after the
// mirror starts listening and performs its initial sync of every project),
// rejected or deleted; [Sim.AddRequest] adds pending requests. On a farm
// (any node or its load balancer), the project selection can be changed
// with the 9.x syncSettings or the 8.x settings endpoints: an added
// project's repositories get SNAPSHOT queue items and appear on each node
// once synced there, a removed project's repositories leave every node at
// once, and switching to ALL_PROJECTS is, as documented, irreversible.
//
// With [Options.GitRepos], the first repositories are backed by real bare
// git repositories in a temporary directory: the primary and every node
// that mirrors them serve them read-only over git's smart HTTP protocol
// (git http-backend) under /scm/, pushes make real commits on the
// primary, and each successful node sync fetches them into the node's own
// copy, so a repository that does not sync on a node shows a real ref
// difference there.
//
// With [Options.GitLab], one more server plays a GitLab instance with the
// REST API of push mirrors (remote mirrors) and pull mirrors under
// /api/v4: projects and groups addressed by number or URL-encoded path,
// GitLab's pagination headers and Link, its rate-limit headers and 429
// answers on a per-token window of the simulated clock, and token
// authentication. Its mirrors follow GitLab's state machines on the same
// clock: push mirrors update after pushes and sync requests, retry a
// rejected push three times and stop on diverged refs; pull mirrors update
// every 30 minutes, back off after failures, pause after 14 of them, and
// throttle triggers within 5 minutes of the last update. Each scenario
// project is described at [GitLabOptions].
//
// Failures can be injected per server and path prefix with [Sim.SetFault]:
// error statuses with Retry-After, slow answers, fixed bodies (an HTML page,
// truncated or mistyped JSON; see [ParseFault] for the command-line form),
// enormous streamed bodies, requests that hang, connections reset without
// an answer, and answers whose display strings carry terminal control
// sequences, bidi overrides and invalid UTF-8 ([HostileSamples]; for every
// answer with [Options.Hostile]). [Sim.SetTargetDown] makes any server
// refuse connections. Every server's Date header follows the simulated
// clock, and [Sim.SetClockSkew] puts one server's clock off. A separate control server ([Sim.ControlURL]) drives
// all of this over HTTP from outside a test. With [Options.TLS], every
// server speaks HTTPS with a certificate from a throwaway CA ([Sim.CAFile]),
// valid or deliberately broken (expired, for the wrong name, or from
// another CA).
package sim
