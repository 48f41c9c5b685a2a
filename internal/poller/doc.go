// Package poller reads Bitbucket Data Center's mirroring REST APIs and turns
// the answers into model readings on a schedule.
//
// Client speaks to one base URL (the primary, a farm's load balancer, or one
// mirror node) and decodes leniently: string-or-number ids, epoch-or-ISO
// dates, open-ended enums, unknown fields, capped pages. The two big lists
// (the primary's repositories, a node's repoSyncStatus) are read by a
// reflection-free scanner when a page has the documented types, reusing the
// previous cycle's strings, and its unchanged entries for sync statuses
// (scan.go, fastpage.go). Poller runs
// the fetches on fast and slow intervals with bounded concurrency per host,
// exponential backoff with jitter and Retry-After, skips the big lists while
// the cheap signals show no change (watch.go), and emits every outcome as a
// model.Reading. It never touches the UI.
package poller
