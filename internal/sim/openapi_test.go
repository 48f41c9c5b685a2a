package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The simulator's mirroring resources are checked against Atlassian's
// published OpenAPI document for Bitbucket Data Center 9.4
// (bitbucket-9.4-openapi.json, components.schemas named below). Each
// schema is encoded as property -> JSON type (and enum, where the document
// gives one); a property the document declares must have its type, and a
// property it does not declare is a deviation.

// apiProp is one property of a schema: its JSON type ("string", "integer",
// "number", "boolean", "object", "array"), the schema of an object or of
// an array's items ("" for none, or a primitive type for arrays), and its
// enum.
type apiProp struct {
	typ  string
	ref  string
	enum []string
}

func str() apiProp            { return apiProp{typ: "string"} }
func integer() apiProp        { return apiProp{typ: "integer"} }
func boolean() apiProp        { return apiProp{typ: "boolean"} }
func obj(ref string) apiProp  { return apiProp{typ: "object", ref: ref} }
func arr(item string) apiProp { return apiProp{typ: "array", ref: item} }
func enum(v ...string) apiProp {
	return apiProp{typ: "string", enum: v}
}

// spec94 holds the schemas of the 9.4 document that the mirroring
// resources answer with. "" as a ref is a free-form object.
var spec94 = map[string]map[string]apiProp{
	// A paged answer (the inline page object of each paged resource).
	"Page": {"isLastPage": boolean(), "limit": {typ: "number"}, "nextPageStart": integer(), "size": {typ: "number"}, "start": integer(), "values": arr("")},
	"RestMirrorServer": {"baseUrl": str(), "enabled": boolean(), "id": str(), "lastSeenDate": str(),
		"mirrorType": enum("SINGLE", "FARM"), "name": str(), "productVersion": str()},
	"RestMirroringRequest": {"id": integer(), "mirrorBaseUrl": str(), "mirrorId": str(), "mirrorName": str(),
		"mirrorType": enum("SINGLE", "FARM"), "productVersion": str(), "state": enum("PENDING", "ACCEPTED", "REJECTED")},
	"EnrichedRepository": {"archived": boolean(), "defaultBranch": str(), "description": str(), "forkable": boolean(),
		"hierarchyId": str(), "id": integer(), "links": obj(""), "name": str(), "origin": obj(""), "partition": integer(),
		"project": obj("RestProject"), "properties": obj("EnrichedRepositoryProperties"), "public": boolean(),
		"relatedLinks": obj(""), "scmId": str(), "scope": str(), "slug": str(),
		"state": enum("AVAILABLE", "INITIALISATION_FAILED", "INITIALISING", "OFFLINE"), "statusMessage": str()},
	// EnrichedRepository.properties, inline in the document.
	"EnrichedRepositoryProperties": {"contentHash": str(), "defaultBranchId": str(), "metadataHash": str()},
	"RestProject": {"avatar": str(), "avatarUrl": str(), "description": str(), "id": integer(), "key": str(), "links": obj(""),
		"name": str(), "public": boolean(), "scope": str(), "type": enum("NORMAL", "PERSONAL")},
	"RestMirroredRepositoryDescriptor": {"links": obj(""), "mirrorServer": obj("RestMirrorServer")},
	"RestUpstreamServer":               {"baseUrl": str(), "id": str(), "state": enum("INITIALIZING", "PENDING", "INSTALLED", "UNKNOWN", "REMOVED")},
	"RestSyncProgress":                 {"discovering": boolean(), "syncedRepos": integer(), "totalRepos": integer()},
	"RestClusterNode":                  {"address": obj("RestNodeAddress"), "buildVersion": str(), "id": str(), "local": boolean(), "name": str()},
	// RestClusterNode.address, inline in the document.
	"RestNodeAddress": {"address": str(), "port": integer()},
	"RestMirroredRepository": {"available": boolean(), "cloneUrls": arr("RestNamedLink"), "lastUpdated": str(), "mirrorName": str(),
		"pushUrls": arr("RestNamedLink"), "repositoryId": str(),
		"status": enum("NOT_MIRRORED", "INITIALIZING", "AVAILABLE", "ERROR_INITIALIZING", "ERROR_AVAILABLE")},
	"RestNamedLink": {"href": str(), "name": str()},
	"RestMirrorRepositorySynchronizationStatus": {"externalRepoId": str(), "failedSyncCount": integer(), "hashes": obj("RestHashes"),
		"initialSyncDate": str(), "lastSyncDate": str(), "localProjectId": integer(), "localRepoId": integer(), "upstreamId": str()},
	// RestMirrorRepositorySynchronizationStatus.hashes, inline.
	"RestHashes":       {"content": str(), "metadata": str()},
	"RestRefSyncQueue": {"values": arr("RestFarmSynchronizationRequest")},
	"RestFarmSynchronizationRequest": {"attempt": integer(), "createdAt": str(), "externalRepoId": str(),
		"type": enum("incremental", "snapshot")},
	"RestRepositoryLockOwner": {"externalRepositoryId": str(), "lockAcquireTime": str(), "nodeId": str(), "requestId": str(), "threadName": str()},
	"RestUpstreamSettings":    {"mode": enum("ALL_PROJECTS", "SELECTED_PROJECTS"), "projectIds": arr("string")},
}

// deviations94 are the places where the simulator departs from the 9.4
// document on purpose, to play what real servers send; each is explained
// where the simulator serves it. Keyed by schema.property, the value is
// what is allowed instead: a JSON type, or "extra" for a property the
// document does not declare, or "enum" for a value outside its enum.
var deviations94 = map[string]string{
	// repoSyncStatus entries carry repoSlug (the v806 docs example shows it).
	"RestMirrorRepositorySynchronizationStatus.repoSlug": "extra",
	// mirrorServers' lastSeenDate as epoch milliseconds (Atlassian's own
	// Jenkins plugin fixture).
	"RestMirrorServer.lastSeenDate": "integer",
	// productType, from the 8.16 docs' RestMirrorServer example.
	"RestMirrorServer.productType": "extra",
	// productType and addonDescriptorUri, from the 8.x docs'
	// RestMirroringRequest.
	"RestMirroringRequest.productType":        "extra",
	"RestMirroringRequest.addonDescriptorUri": "extra",
	// The queue's type in capitals, as the document's own example
	// ("INCREMENTAL") and Java enums have it, not as its enum.
	"RestFarmSynchronizationRequest.type": "enum",
	// mirrorRepos carries links.clone (Atlassian's Jenkins integration
	// requires and reads it).
	"RestMirroredRepository.links": "extra",
}

// checkSchema checks v against schema, reporting at path each property of
// the wrong type or outside its enum, and each undeclared one; seen
// collects the deviations met.
func checkSchema(v any, schema, path string, seen map[string]bool) []string {
	props, ok := spec94[schema]
	if !ok {
		return []string{path + ": no schema " + schema}
	}
	o, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %s is %s, want object", path, schema, jsonType(v))}
	}
	var errs []string
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val, at, dev := o[k], path+"."+k, schema+"."+k
		p, declared := props[k]
		if !declared {
			if deviations94[dev] == "extra" {
				seen[dev] = true
				continue
			}
			errs = append(errs, at+": not declared by "+schema)
			continue
		}
		if val == nil {
			continue // an absent value; Jackson leaves nulls out, but a null is no wrong type
		}
		if got := jsonType(val); got != p.typ && !(p.typ == "number" && got == "integer") {
			if deviations94[dev] == got {
				seen[dev] = true
				continue
			}
			errs = append(errs, fmt.Sprintf("%s: %s, want %s", at, got, p.typ))
			continue
		}
		if len(p.enum) > 0 && !slices.Contains(p.enum, val.(string)) {
			if deviations94[dev] == "enum" {
				seen[dev] = true
				continue
			}
			errs = append(errs, fmt.Sprintf("%s: %q not in %v", at, val, p.enum))
		}
		switch {
		case p.typ == "object" && p.ref != "":
			errs = append(errs, checkSchema(val, p.ref, at, seen)...)
		case p.typ == "array" && p.ref != "":
			for i, item := range val.([]any) {
				ip := fmt.Sprintf("%s[%d]", at, i)
				if _, prim := spec94[p.ref]; !prim {
					if got := jsonType(item); got != p.ref {
						errs = append(errs, fmt.Sprintf("%s: %s, want %s", ip, got, p.ref))
					}
					continue
				}
				errs = append(errs, checkSchema(item, p.ref, ip, seen)...)
			}
		}
	}
	return errs
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func TestConformsToOpenAPI94(t *testing.T) {
	s := startSim(t, quiet(Options{Repos: 12, User: "admin", Password: "pw", StuckRepos: 1,
		Farms: []FarmSpec{{Name: "eu", Layout: Layout9, Nodes: 2, AllProjects: true, Workers: 1, Diagnostics: true},
			{Name: "ap", Layout: Layout9, Nodes: 1, AllProjects: true}}}))
	// Something in every list: a queue, a worker's lock and a stuck one, a
	// repository out of sync, a pending request.
	for id := 1; id <= 6; id++ {
		s.Push(id)
	}
	if err := s.StickLock("eu", 9, 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Advance(90 * time.Second)
	for id := 1; id <= 4; id++ {
		s.Push(id)
	}
	c := newClient(t).withBasic("admin", "pw")
	prim := s.PrimaryURL() + api
	eu := farmInfo(t, s, "eu")
	node := eu.Nodes[0].URL + api
	type check struct {
		url    string
		schema string // "" with a primitive: a bare JSON value of that type
		prim   string
		array  bool // an array of schema
		paged  bool // a page of schema
	}
	checks := []check{
		{url: prim + "mirrorServers", schema: "RestMirrorServer", paged: true},
		{url: prim + "mirrorServers/" + s.farms[0].mirrorID, schema: "RestMirrorServer"},
		{url: prim + "requests", schema: "RestMirroringRequest", paged: true},
		// The document gives GET /repos a bare EnrichedRepository; the
		// resource pages (its own description, and every real server), so
		// it is checked as a page of them.
		{url: prim + "repos", schema: "EnrichedRepository", paged: true},
		{url: prim + "repos/3", schema: "EnrichedRepository"},
		{url: prim + "projects/" + strconv.Itoa(s.projects[0].id) + "/repos", schema: "EnrichedRepository", paged: true},
		{url: prim + "projects/" + strconv.Itoa(s.projects[0].id), schema: "RestProject"},
		{url: node + "upstreamServer", schema: "RestUpstreamServer"},
		{url: node + "progress", schema: "RestSyncProgress"},
		{url: node + "farmNodes", schema: "RestClusterNode", array: true},
		{url: node + "mirrorRepos/3", schema: "RestMirroredRepository"},
		{url: node + "supportInfo/repoSyncStatus", schema: "RestMirrorRepositorySynchronizationStatus", paged: true},
		{url: node + "supportInfo/projects/" + s.projects[0].key + "/repos/" + s.repos[1].slug + "/repoSyncStatus", schema: "RestMirrorRepositorySynchronizationStatus"},
		{url: node + "supportInfo/refChangesQueue", schema: "RestRefSyncQueue"},
		{url: node + "supportInfo/refChangesQueue/count", prim: "integer"},
		{url: node + "supportInfo/repo-lock-owners", schema: "RestRepositoryLockOwner", array: true},
		{url: node + "supportInfo/projects/" + s.projects[s.repos[9].project].key + "/repos/" + s.repos[9].slug + "/repo-lock-owner", schema: "RestRepositoryLockOwner"},
		{url: node + "supportInfo/out-of-sync-repos/content", prim: "string"},
		{url: node + "syncSettings", schema: "RestUpstreamSettings"},
	}
	seen := map[string]bool{}
	for _, ch := range checks {
		r := c.get(ch.url)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", ch.url, r.status, r.body)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(string(r.body)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Errorf("GET %s: %v", ch.url, err)
			continue
		}
		path := strings.TrimPrefix(strings.TrimPrefix(ch.url, prim), node)
		var errs []string
		items := 0
		switch {
		case ch.prim != "":
			if got := jsonType(v); got != ch.prim {
				errs = append(errs, fmt.Sprintf("%s: %s, want %s", path, got, ch.prim))
			}
			items = 1
		case ch.array:
			list, ok := v.([]any)
			if !ok {
				errs = append(errs, path+": want an array")
			}
			for i, it := range list {
				errs = append(errs, checkSchema(it, ch.schema, fmt.Sprintf("%s[%d]", path, i), seen)...)
			}
			items = len(list)
		case ch.paged:
			errs = append(errs, checkSchema(v, "Page", path, seen)...)
			if o, ok := v.(map[string]any); ok {
				list, _ := o["values"].([]any)
				for i, it := range list {
					errs = append(errs, checkSchema(it, ch.schema, fmt.Sprintf("%s.values[%d]", path, i), seen)...)
				}
				items = len(list)
			}
		default:
			errs = append(errs, checkSchema(v, ch.schema, path, seen)...)
			items = 1
		}
		if items == 0 {
			t.Errorf("GET %s: empty, nothing checked", ch.url)
		}
		for _, e := range errs {
			t.Error(e)
		}
	}
	// Every allowed deviation is still met: one that no longer happens
	// should be taken off the list.
	for d := range deviations94 {
		if !seen[d] {
			t.Errorf("deviation %s allowed but not met", d)
		}
	}
	// The diagnostics switch off: 409 with a RestErrors body, as documented.
	ap := farmInfo(t, s, "ap")
	c.expectStatus(http.MethodGet, ap.Nodes[0].URL+api+"supportInfo/out-of-sync-repos/content", http.StatusConflict)
}
