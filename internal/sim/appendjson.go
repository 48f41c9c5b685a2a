package sim

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The simulator's biggest answers (pages of repositories and of sync
// statuses, 100 000 entries at scale) are written by hand rather than by
// reflection, so that benchmarks measure mirrortop and not the simulator's
// encoder. Their output is byte for byte what encoding/json writes for the
// same values (appendjson_test.go checks it); hostile mode still goes through
// the reflective path, which rewrites display strings.

// jsonAppender is a value that appends its own JSON encoding.
type jsonAppender interface {
	appendJSON(dst []byte) []byte
}

func appendKey(dst []byte, comma bool, key string) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func appendStringField(dst []byte, comma bool, key, v string) []byte {
	dst = appendKey(dst, comma, key)
	if jsonSafe(v) {
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // a string always encodes
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendSafeField appends a string the simulator made itself from digits,
// hex digits, dashes and the like, which never needs escaping.
func appendSafeField(dst []byte, comma bool, key, v string) []byte {
	dst = append(appendKey(dst, comma, key), '"')
	dst = append(dst, v...)
	return append(dst, '"')
}

func appendIntField(dst []byte, comma bool, key string, v int) []byte {
	return strconv.AppendInt(appendKey(dst, comma, key), int64(v), 10)
}

func appendBoolField(dst []byte, comma bool, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(dst, comma, key), v)
}

func appendLinks(dst []byte, links []link) []byte {
	if links == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, l := range links {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendStringField(append(dst, '{'), false, "href", l.Href)
		if l.Name != "" {
			dst = appendStringField(dst, true, "name", l.Name)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func (p page) appendJSON(dst []byte) []byte {
	vals, ok := p.Values.(jsonAppender)
	if !ok {
		return nil
	}
	dst = appendIntField(append(dst, '{'), false, "size", p.Size)
	dst = appendIntField(dst, true, "limit", p.Limit)
	dst = appendBoolField(dst, true, "isLastPage", p.IsLastPage)
	dst = appendIntField(dst, true, "start", p.Start)
	dst = vals.appendJSON(appendKey(dst, true, "values"))
	if p.NextPageStart != nil {
		dst = appendIntField(dst, true, "nextPageStart", *p.NextPageStart)
	}
	return append(dst, '}')
}

// syncStatusList is a page's sync statuses.
type syncStatusList []syncStatusJSON

func (l syncStatusList) appendJSON(dst []byte) []byte { return appendArray(dst, l) }

// appendArray appends a JSON array of values that append themselves.
func appendArray[T any, P interface {
	*T
	appendJSON([]byte) []byte
}](dst []byte, l []T) []byte {
	dst = append(dst, '[')
	for i := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = P(&l[i]).appendJSON(dst)
	}
	return append(dst, ']')
}

func (v *syncStatusJSON) appendJSON(dst []byte) []byte {
	dst = appendSafeField(append(dst, '{'), false, "externalRepoId", v.ExternalRepoID)
	dst = appendSafeField(dst, true, "upstreamId", v.UpstreamID)
	dst = appendIntField(dst, true, "localRepoId", v.LocalRepoID)
	dst = appendIntField(dst, true, "localProjectId", v.LocalProjectID)
	dst = appendIntField(dst, true, "failedSyncCount", v.FailedSyncCount)
	dst = appendSafeField(dst, true, "initialSyncDate", v.InitialSyncDate)
	dst = appendSafeField(dst, true, "lastSyncDate", v.LastSyncDate)
	dst = appendSafeField(append(appendKey(dst, true, "hashes"), '{'), false, "content", v.Hashes.Content)
	dst = append(appendSafeField(dst, true, "metadata", v.Hashes.Metadata), '}')
	dst = appendStringField(dst, true, "repoSlug", v.RepoSlug)
	return append(dst, '}')
}

// repoList is a page's repositories.
type repoList []repoJSON

func (l repoList) appendJSON(dst []byte) []byte { return appendArray(dst, l) }

func (v *repoJSON) appendJSON(dst []byte) []byte {
	dst = appendStringField(append(dst, '{'), false, "slug", v.Slug)
	dst = appendIntField(dst, true, "id", v.ID)
	dst = appendStringField(dst, true, "name", v.Name)
	dst = appendStringField(dst, true, "hierarchyId", v.HierarchyID)
	dst = appendStringField(dst, true, "scmId", v.ScmID)
	dst = appendStringField(dst, true, "state", v.State)
	dst = appendStringField(dst, true, "statusMessage", v.StatusMessage)
	dst = appendBoolField(dst, true, "forkable", v.Forkable)
	p := &v.Project
	dst = appendStringField(append(appendKey(dst, true, "project"), '{'), false, "key", p.Key)
	dst = appendIntField(dst, true, "id", p.ID)
	dst = appendStringField(dst, true, "name", p.Name)
	dst = appendStringField(dst, true, "description", p.Description)
	dst = appendBoolField(dst, true, "public", p.Public)
	dst = appendStringField(dst, true, "type", p.Type)
	dst = append(appendKey(dst, true, "links"), '{')
	dst = append(appendLinks(appendKey(dst, false, "self"), p.Links.Self), '}', '}')
	dst = appendBoolField(dst, true, "public", v.Public)
	dst = appendBoolField(dst, true, "archived", v.Archived)
	dst = append(appendKey(dst, true, "links"), '{')
	dst = appendLinks(appendKey(dst, false, "clone"), v.Links.Clone)
	dst = append(appendLinks(appendKey(dst, true, "self"), v.Links.Self), '}')
	dst = appendSafeField(append(appendKey(dst, true, "properties"), '{'), false, "contentHash", v.Properties.ContentHash)
	dst = appendSafeField(dst, true, "metadataHash", v.Properties.MetadataHash)
	if v.Properties.DefaultBranchID != "" {
		dst = appendStringField(dst, true, "defaultBranchId", v.Properties.DefaultBranchID)
	}
	return append(dst, '}', '}')
}
