package poller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Call is one HTTP request that changes something on a server: what a
// confirmation shows and what Send executes.
type Call struct {
	Method string
	Path   string
	// Body is sent as JSON when not nil.
	Body any
	// Shown, when not nil, is what people see of the body instead of Body
	// (in confirmations and the audit log): the body with its credentials
	// left out.
	Shown any
}

// BodyText is the JSON body as shown to people ("" when none): Shown when
// set, else Body.
func (c Call) BodyText() string {
	body := c.Body
	if c.Shown != nil {
		body = c.Shown
	}
	if body == nil {
		return ""
	}
	b, err := json.Marshal(body)
	if err != nil {
		return ""
	}
	return string(b)
}

// Answer is what a server said to a Call.
type Answer struct {
	Status int
	// Body is the start of the answer's body (at most 64 KiB).
	Body []byte
}

// Send executes a call. A non-2xx answer is returned as an *HTTPError
// (with the server's message) together with its Answer.
func (c *Client) Send(ctx context.Context, call Call) (Answer, error) {
	var ans Answer
	status, err := c.do(ctx, call.Method, call.Path, nil, call.Body, func(r io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(r, 64<<10))
		ans.Body = b
		return err
	})
	ans.Status = status
	return ans, err
}

// AcceptRequestCall approves a pending mirroring request on the primary.
func AcceptRequestCall(id string) Call {
	return Call{Method: http.MethodPost, Path: mirroringPrefix + "requests/" + url.PathEscape(id) + "/accept"}
}

// RejectRequestCall rejects a pending mirroring request on the primary.
func RejectRequestCall(id string) Call {
	return Call{Method: http.MethodPost, Path: mirroringPrefix + "requests/" + url.PathEscape(id) + "/reject"}
}

// SyncCall is the synchronization trigger where the layout has one: 8.x
// and older list (deprecated, answering 410 Gone on 8.x) POSTs for a farm
// or one repository; 9.x has none, and ok is false. repoID "" means the
// whole farm.
func SyncCall(l model.Layout, upstreamID, repoID string) (call Call, ok bool) {
	if l != model.Layout8 {
		return Call{}, false
	}
	res := "synchronization"
	if repoID != "" {
		res = "repos/" + url.PathEscape(repoID) + "/synchronization"
	}
	return Call{Method: http.MethodPost, Path: mirroringPrefix + "upstreamServers/" + url.PathEscape(upstreamID) + "/" + res}, true
}

// AddProjectCall adds a project (the primary's numeric id) to a farm.
func AddProjectCall(l model.Layout, upstreamID, projectID string) Call {
	return Call{Method: http.MethodPost, Path: MirrorPath(l, upstreamID, "syncSettings/projects/"+url.PathEscape(projectID))}
}

// RemoveProjectCall removes a project from a farm.
func RemoveProjectCall(l model.Layout, upstreamID, projectID string) Call {
	return Call{Method: http.MethodDelete, Path: MirrorPath(l, upstreamID, "syncSettings/projects/"+url.PathEscape(projectID))}
}

// MirrorAllProjectsCall switches a farm to mirror every project.
func MirrorAllProjectsCall(l model.Layout, upstreamID string) Call {
	return Call{Method: http.MethodPut, Path: MirrorPath(l, upstreamID, "syncSettings/mode"), Body: model.ModeAllProjects}
}

// Fetch GETs path and returns at most max bytes of a 2xx answer's body, for
// resources that are not JSON (such as git's ref advertisement).
func (c *Client) Fetch(ctx context.Context, path string, query url.Values, max int64) ([]byte, error) {
	var body []byte
	_, err := c.do(ctx, http.MethodGet, path, query, nil, func(r io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(r, max+1))
		if int64(len(b)) > max {
			return fmt.Errorf("answer larger than %d bytes", max)
		}
		body = b
		return err
	})
	return body, err
}
