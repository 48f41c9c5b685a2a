package model

// HashUnknown reports whether a hash carries no information: empty, or the
// all-zero digest Bitbucket stores for a repository whose hash was never
// computed. Such a hash is neither in sync nor a mismatch.
func HashUnknown(h string) bool {
	if h == "" {
		return true
	}
	for i := 0; i < len(h); i++ {
		if h[i] != '0' {
			return false
		}
	}
	return true
}

// HashState compares a primary hash with a mirror hash.
type HashState int

// The outcomes of comparing two hashes.
const (
	HashEqual HashState = iota
	HashDiffer
	HashUnknownState
)

// CompareHash compares primary and mirror hashes: unknown when either is
// unknown, else equal or differ (case-insensitively, as hex digests).
func CompareHash(primary, mirror string) HashState {
	if primary == mirror { // shared strings compare without reading them
		if HashUnknown(primary) {
			return HashUnknownState
		}
		return HashEqual
	}
	if HashUnknown(primary) || HashUnknown(mirror) {
		return HashUnknownState
	}
	if equalFoldASCII(primary, mirror) {
		return HashEqual
	}
	return HashDiffer
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
