// Package recording writes and reads mirrortop recordings: the readings a
// console applied to its state, in the order and batches it applied them,
// so that a replay applies the same readings through the same code and
// shows what the console showed.
//
// # Format (version 1)
//
// A recording is a file that starts with the 20 bytes
// "MIRRORTOP-RECORDING\n" and the format version as an unsigned varint,
// followed by frames. A frame is
//
//	0xF5                 sync byte
//	kind                 one byte: 'H' header, 'T' types, 'B' batch,
//	                     'C' commit, 'P' paused mirror, 'N' note, 'G' gap
//	length               unsigned varint: bytes of payload
//	at                   signed varint: the frame's time, Unix nanoseconds
//	crc                  4 bytes, big-endian CRC-32C of kind, at and payload
//	payload              length bytes, zstd-compressed
//
// Every frame is framed alone (its own zstd frame and checksum), so a
// reader indexes a file by reading the frame heads only, and damage is
// found where a frame's head or checksum does not hold: a replay plays the
// frames before it and says where it stopped. Decoding a frame's value
// does depend on earlier frames: it needs the 'T' frame's type
// definitions, and a batch's big lists are deltas against earlier batches
// (see below), so frames are decoded in order from the start.
//
// The first frame is the header: JSON (see Header) with the format
// version, the version of mirrortop that wrote it, the targets (URLs
// without user info), the start time, the alert thresholds and the poll
// intervals. The second is 'T': the gob type definitions of the frames'
// values (and a zero value of each of wireBatch, wireCommit, wirePaused,
// wireGap and wireNote, in that order), which a reader puts before each frame's
// value to decode it. Then, in the order the state saw them:
//
//   - 'B' a batch of readings the state applied at the frame's time (one
//     console round: see Round): each reading's target, endpoint, times,
//     outcome (an error as its message and HTTP status) and data. The big
//     lists (the primary's repositories, a node's repoSyncStatus, repo
//     hashes, out-of-sync repositories, queue items, locks) are stored as
//     a delta against the previous list of the same target and endpoint —
//     runs copied from it and the entries that are new — so a list read
//     again unchanged costs a few bytes; the first one is stored whole.
//   - 'C' the farms whose mismatch computations the state committed (the
//     computations run off the state's goroutine; their order against the
//     batches decides what they saw, so it is recorded).
//   - 'P' a GitLab mirror found paused by an action.
//   - 'N' what actions and the state folder told the state beside the
//     readings: a GitLab update requested and followed, a resolution added
//     to a mirror's conflict history, the history loaded at the start.
//   - 'G' batches the writer had to drop (the disk did not keep up), with
//     how many.
//
// Batch, commit, paused, note and gap payloads are each one gob value of the
// types in wire.go. A recording never holds credentials: target URLs lose their
// user info, error messages lose any URL user info and the secrets the
// writer is told of, and readings carry no tokens or passwords. Server
// strings are kept as the servers sent them: they are sanitized where
// shown, as live.
//
// A reader refuses a file of a newer format version, says so for an
// empty file, and stops at the first damaged frame.
package recording
