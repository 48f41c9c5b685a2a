package poller

import (
	"github.com/mirrortop/mirrortop/internal/model"
)

// The wire types below follow the documented JSON shapes of Bitbucket's
// mirroring REST resources. Every field is lenient (see flex.go) and unknown
// fields are ignored, so that a server's variations do not break decoding.

type pageMeta struct {
	Size          flexInt   `json:"size"`
	Limit         flexInt   `json:"limit"`
	Start         flexInt   `json:"start"`
	IsLastPage    *flexBool `json:"isLastPage"`
	NextPageStart *flexInt  `json:"nextPageStart"`
}

type restErrors struct {
	Errors []struct {
		Message       string `json:"message"`
		Context       string `json:"context"`
		ExceptionName string `json:"exceptionName"`
	} `json:"errors"`
	Message string `json:"message"`
}

type wireStatus struct {
	State       flexString `json:"state"`
	MemberCount flexInt    `json:"memberCount"`
	Discovering *flexBool  `json:"discovering"`
	SyncedRepos *flexInt   `json:"syncedRepos"`
	TotalRepos  *flexInt   `json:"totalRepos"`
}

func (w wireStatus) model() model.ServerStatus {
	s := model.ServerStatus{State: upper(w.State), MemberCount: int(w.MemberCount)}
	if w.Discovering != nil || w.SyncedRepos != nil || w.TotalRepos != nil {
		s.HasProgress = true
		s.Progress = model.Progress{
			Discovering: w.Discovering != nil && bool(*w.Discovering),
			SyncedRepos: derefInt(w.SyncedRepos),
			TotalRepos:  derefInt(w.TotalRepos),
		}
	}
	return s
}

func derefInt(p *flexInt) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

type wireAppProps struct {
	Version     flexString `json:"version"`
	BuildNumber flexString `json:"buildNumber"`
	DisplayName flexString `json:"displayName"`
}

type wireMirrorServer struct {
	ID             flexString `json:"id"`
	Name           flexString `json:"name"`
	BaseURL        flexString `json:"baseUrl"`
	Enabled        flexBool   `json:"enabled"`
	LastSeenDate   flexTime   `json:"lastSeenDate"`
	MirrorType     flexString `json:"mirrorType"`
	ProductVersion flexString `json:"productVersion"`
}

func (w wireMirrorServer) model() model.MirrorServer {
	return model.MirrorServer{
		ID: string(w.ID), Name: string(w.Name), BaseURL: string(w.BaseURL), Enabled: bool(w.Enabled),
		LastSeen: w.LastSeenDate.Time(), MirrorType: upper(w.MirrorType), ProductVersion: string(w.ProductVersion),
	}
}

type wireRequest struct {
	ID             flexString `json:"id"`
	State          flexString `json:"state"`
	MirrorID       flexString `json:"mirrorId"`
	MirrorName     flexString `json:"mirrorName"`
	MirrorBaseURL  flexString `json:"mirrorBaseUrl"`
	MirrorType     flexString `json:"mirrorType"`
	ProductVersion flexString `json:"productVersion"`
}

func (w wireRequest) model() model.MirrorRequest {
	return model.MirrorRequest{
		ID: string(w.ID), State: upper(w.State), MirrorID: string(w.MirrorID), MirrorName: string(w.MirrorName),
		MirrorBaseURL: string(w.MirrorBaseURL), MirrorType: upper(w.MirrorType), ProductVersion: string(w.ProductVersion),
	}
}

type wireProject struct {
	ID   flexString `json:"id"`
	Key  flexString `json:"key"`
	Name flexString `json:"name"`
}

type wireRepo struct {
	Links struct {
		Clone []wireNamedLink `json:"clone"`
	} `json:"links"`
	ID         flexString  `json:"id"`
	Slug       flexString  `json:"slug"`
	Name       flexString  `json:"name"`
	State      flexString  `json:"state"`
	Project    wireProject `json:"project"`
	Properties struct {
		ContentHash  flexString `json:"contentHash"`
		MetadataHash flexString `json:"metadataHash"`
	} `json:"properties"`
}

func (w wireRepo) model() model.Repo {
	clone := ""
	for _, l := range w.Links.Clone {
		if l.Href != "" && (clone == "" || isHTTPName([]byte(l.Name))) {
			clone = string(l.Href)
		}
	}
	return model.Repo{CloneURL: clone,
		ID: string(w.ID), ProjectID: string(w.Project.ID), ProjectKey: string(w.Project.Key),
		Slug: string(w.Slug), Name: string(w.Name), State: upper(w.State),
		Hashes: model.Hashes{Content: string(w.Properties.ContentHash), Metadata: string(w.Properties.MetadataHash)},
	}
}

type wireUpstream struct {
	ID      flexString `json:"id"`
	BaseURL flexString `json:"baseUrl"`
	State   flexString `json:"state"`
}

type wireProgress struct {
	Discovering flexBool `json:"discovering"`
	SyncedRepos flexInt  `json:"syncedRepos"`
	TotalRepos  flexInt  `json:"totalRepos"`
}

type wireClusterNode struct {
	ID      flexString `json:"id"`
	Name    flexString `json:"name"`
	Address struct {
		Address flexString `json:"address"`
		Port    flexInt    `json:"port"`
	} `json:"address"`
	BuildVersion flexString `json:"buildVersion"`
	Local        flexBool   `json:"local"`
}

type wireSettings struct {
	Mode       flexString   `json:"mode"`
	ProjectIDs []flexString `json:"projectIds"`
}

type wireSyncStatus struct {
	ExternalRepoID  flexString `json:"externalRepoId"`
	LocalRepoID     flexInt    `json:"localRepoId"`
	FailedSyncCount flexInt    `json:"failedSyncCount"`
	InitialSyncDate flexTime   `json:"initialSyncDate"`
	LastSyncDate    flexTime   `json:"lastSyncDate"`
	Hashes          struct {
		Content  flexString `json:"content"`
		Metadata flexString `json:"metadata"`
	} `json:"hashes"`
}

func (w wireSyncStatus) model() model.RepoSyncStatus {
	return model.RepoSyncStatus{
		ExternalRepoID: string(w.ExternalRepoID),
		LocalRepoID:    model.Int32(int(w.LocalRepoID)), FailedSyncCount: model.Int32(int(w.FailedSyncCount)),
		InitialSyncDate: model.MillisOf(w.InitialSyncDate.Time()), LastSyncDate: model.MillisOf(w.LastSyncDate.Time()),
		Hashes: model.Hashes{Content: string(w.Hashes.Content), Metadata: string(w.Hashes.Metadata)},
	}
}

type wireQueueItem struct {
	ExternalRepoID flexString `json:"externalRepoId"`
	Type           flexString `json:"type"`
	Attempt        flexInt    `json:"attempt"`
	CreatedAt      flexTime   `json:"createdAt"`
}

type wireLockOwner struct {
	ExternalRepositoryID flexString `json:"externalRepositoryId"`
	NodeID               flexString `json:"nodeId"`
	RequestID            flexString `json:"requestId"`
	ThreadName           flexString `json:"threadName"`
	LockAcquireTime      flexTime   `json:"lockAcquireTime"`
}

type wireDelayed struct {
	RepositoryID   flexString `json:"repositoryId"`
	ProjectKey     flexString `json:"projectKey"`
	RepositorySlug flexString `json:"repositorySlug"`
}

// wireHashRepo is one repository of the undocumented repo-hashes payload;
// it accepts the plausible spellings of the id and hash fields.
type wireHashRepo struct {
	ID           flexString `json:"id"`
	RepositoryID flexString `json:"repositoryId"`
	Slug         flexString `json:"slug"`
	ContentHash  flexString `json:"contentHash"`
	MetadataHash flexString `json:"metadataHash"`
	Content      flexString `json:"content"`
	Metadata     flexString `json:"metadata"`
	Hashes       *struct {
		Content  flexString `json:"content"`
		Metadata flexString `json:"metadata"`
	} `json:"hashes"`
}

func (w wireHashRepo) id() string {
	if w.ID != "" {
		return string(w.ID)
	}
	return string(w.RepositoryID)
}

func (w wireHashRepo) hashes() model.Hashes {
	h := model.Hashes{Content: string(w.ContentHash), Metadata: string(w.MetadataHash)}
	if h.Content == "" {
		h.Content = string(w.Content)
	}
	if h.Metadata == "" {
		h.Metadata = string(w.Metadata)
	}
	if w.Hashes != nil {
		if h.Content == "" {
			h.Content = string(w.Hashes.Content)
		}
		if h.Metadata == "" {
			h.Metadata = string(w.Hashes.Metadata)
		}
	}
	return h
}

type wireNamedLink struct {
	Name flexString `json:"name"`
	Href flexString `json:"href"`
}

type wireMirroredRepo struct {
	RepositoryID flexString      `json:"repositoryId"`
	MirrorName   flexString      `json:"mirrorName"`
	Available    flexBool        `json:"available"`
	LastUpdated  flexTime        `json:"lastUpdated"`
	Status       flexString      `json:"status"`
	CloneURLs    []wireNamedLink `json:"cloneUrls"`
	PushURLs     []wireNamedLink `json:"pushUrls"`
	Links        struct {
		Clone []wireNamedLink `json:"clone"`
	} `json:"links"`
}

func links(ws []wireNamedLink) []model.NamedLink {
	out := make([]model.NamedLink, 0, len(ws))
	for _, w := range ws {
		if w.Href != "" {
			out = append(out, model.NamedLink{Name: string(w.Name), Href: string(w.Href)})
		}
	}
	return out
}

func (w wireMirroredRepo) model() model.MirroredRepo {
	clone := links(w.CloneURLs)
	if len(clone) == 0 {
		clone = links(w.Links.Clone)
	}
	return model.MirroredRepo{RepositoryID: string(w.RepositoryID), MirrorName: string(w.MirrorName), Available: bool(w.Available),
		LastUpdated: w.LastUpdated.Time(), Status: upper(w.Status), CloneURLs: clone, PushURLs: links(w.PushURLs)}
}
