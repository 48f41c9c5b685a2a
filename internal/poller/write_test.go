package poller

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mirrortop/mirrortop/internal/model"
)

func TestWriteCallsByLayout(t *testing.T) {
	cases := []struct {
		got  Call
		want string
	}{
		{AcceptRequestCall("7"), "POST /rest/mirroring/latest/requests/7/accept"},
		{RejectRequestCall("7"), "POST /rest/mirroring/latest/requests/7/reject"},
		{AddProjectCall(model.Layout9, "u1", "3"), "POST /rest/mirroring/latest/syncSettings/projects/3"},
		{AddProjectCall(model.Layout8, "u1", "3"), "POST /rest/mirroring/latest/upstreamServers/u1/settings/projects/3"},
		{RemoveProjectCall(model.Layout9, "u1", "3"), "DELETE /rest/mirroring/latest/syncSettings/projects/3"},
		{RemoveProjectCall(model.Layout8, "u1", "3"), "DELETE /rest/mirroring/latest/upstreamServers/u1/settings/projects/3"},
		{MirrorAllProjectsCall(model.Layout9, "u1"), "PUT /rest/mirroring/latest/syncSettings/mode"},
		{MirrorAllProjectsCall(model.Layout8, "u1"), "PUT /rest/mirroring/latest/upstreamServers/u1/settings/mode"},
	}
	for _, c := range cases {
		if got := c.got.Method + " " + c.got.Path; got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	if c, ok := SyncCall(model.Layout8, "u1", "12"); !ok || c.Path != "/rest/mirroring/latest/upstreamServers/u1/repos/12/synchronization" {
		t.Errorf("8.x repo sync %v %v", c, ok)
	}
	if c, ok := SyncCall(model.Layout8, "u1", ""); !ok || c.Path != "/rest/mirroring/latest/upstreamServers/u1/synchronization" {
		t.Errorf("8.x farm sync %v %v", c, ok)
	}
	if _, ok := SyncCall(model.Layout9, "u1", "12"); ok {
		t.Error("9.x has no sync trigger")
	}
	if b := MirrorAllProjectsCall(model.Layout9, "").BodyText(); b != `"ALL_PROJECTS"` {
		t.Errorf("mode body %s: must be a JSON string", b)
	}
}

func TestSendBodiesAndStatuses(t *testing.T) {
	var gotBody, gotCT, gotToken string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotCT, gotToken = string(b), r.Header.Get("Content-Type"), r.Header.Get("X-Atlassian-Token")
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusNoContent)
		case "/gone":
			w.WriteHeader(http.StatusGone)
			_, _ = w.Write([]byte(`{"errors":[{"message":"This operation is no longer supported"}]}`))
		}
	}))
	defer srv.Close()
	c, _ := NewClient(ClientOptions{BaseURL: srv.URL})
	ans, err := c.Send(context.Background(), Call{Method: http.MethodPut, Path: "/ok", Body: "ALL_PROJECTS"})
	if err != nil || ans.Status != http.StatusNoContent || gotBody != `"ALL_PROJECTS"` || gotCT != "application/json" || gotToken != "no-check" {
		t.Errorf("send: %+v %v body=%q ct=%q token=%q", ans, err, gotBody, gotCT, gotToken)
	}
	ans, err = c.Send(context.Background(), Call{Method: http.MethodPost, Path: "/gone"})
	var he *HTTPError
	if !errors.As(err, &he) || ans.Status != http.StatusGone || he.Message != "This operation is no longer supported" {
		t.Errorf("410: %+v %v", ans, err)
	}
}
