package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// faultJSON is a fault on the control server: the body of POST /faults and
// the entries of GET /faults (which add left).
type faultJSON struct {
	Target            string `json:"target"`
	Path              string `json:"path"`
	Status            int    `json:"status"`
	RetryAfterSeconds int64  `json:"retryAfterSeconds"`
	DelayMs           int64  `json:"delayMs"`
	Body              string `json:"body"`
	ContentType       string `json:"contentType"`
	Size              int64  `json:"size"`
	Hang              bool   `json:"hang"`
	Reset             bool   `json:"reset"`
	Hostile           bool   `json:"hostile"`
	Down              bool   `json:"down,omitempty"`
	Times             int    `json:"times"`
	// SkewSeconds, when non-zero, sets the target's clock skew instead
	// (SetClockSkew); GET /faults lists each skew so.
	SkewSeconds int64 `json:"skewSeconds,omitempty"`
	// Left is, for a fault limited by times, how many matching requests it
	// still applies to.
	Left *int `json:"left,omitempty"`
}

type controlError struct {
	Error string `json:"error"`
}

// newControl builds the control server (see ControlURL).
func (s *Sim) newControl() *server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", s.ctlListFaults)
	mux.HandleFunc("POST /faults", s.ctlAddFault)
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /targets/{target}/down", func(w http.ResponseWriter, r *http.Request) {
		s.ctlSetDown(w, r.PathValue("target"), true)
	})
	mux.HandleFunc("POST /targets/{target}/up", func(w http.ResponseWriter, r *http.Request) {
		s.ctlSetDown(w, r.PathValue("target"), false)
	})
	mux.HandleFunc("POST /targets/{target}/leave", func(w http.ResponseWriter, r *http.Request) {
		s.ctlSetMember(w, r.PathValue("target"), false)
	})
	mux.HandleFunc("POST /targets/{target}/join", func(w http.ResponseWriter, r *http.Request) {
		s.ctlSetMember(w, r.PathValue("target"), true)
	})
	mux.HandleFunc("POST /hostile", s.ctlHostile)
	mux.HandleFunc("POST /locks", s.ctlLock)
	// Other methods on these paths, and other paths.
	for path, allow := range map[string]string{
		"/faults":                 "GET, POST, DELETE",
		"/targets/{target}/down":  "POST",
		"/targets/{target}/up":    "POST",
		"/targets/{target}/leave": "POST",
		"/targets/{target}/join":  "POST",
		"/hostile":                "POST",
		"/locks":                  "POST",
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			ctlFail(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+allow+")")
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ctlFail(w, http.StatusNotFound, "no control resource at "+r.URL.Path)
	})
	return &server{s: s, target: "control", inner: mux, plain: true}
}

// ControlURL returns the base URL of the control server: a plain HTTP
// server on 127.0.0.1, without authentication, that drives faults from
// outside a test. Its routes:
//
//   - POST /faults with a JSON object {"target": "primary", "path":
//     "/rest/mirroring/latest/repos", "status": 503, "retryAfterSeconds":
//     5, "delayMs": 0, "body": "…", "contentType": "…", "size": 0,
//     "hang": false, "reset": false, "hostile": false, "times": 0} sets a
//     fault like SetFault (every field may be left out; "down": true takes
//     the target down instead, and "skewSeconds": 45 sets its clock skew):
//     204, 400 for a bad body, 404 for an unknown target.
//   - DELETE /faults clears every fault and clock skew (204).
//   - GET /faults lists the active faults in that form, oldest first, with
//     "left" for those limited by times, then the clock skews as
//     {"target", "skewSeconds"} by target.
//   - POST /targets/{target}/down and /targets/{target}/up run
//     SetTargetDown, with the target path-escaped (eu%2Feu-2): 204, or 404
//     for an unknown target.
//   - POST /targets/{farm}%2F{node}/leave and .../join run SetMember: the
//     node leaves or joins its farm's cluster (204, or 404 for an unknown
//     node).
//   - POST /hostile with the body true or false runs SetHostile (204).
//   - POST /locks with {"farm": "eu", "repo": 12, "heldSeconds": 1500}
//     runs StickLock, with "release": true ReleaseLock: 204, 400 for a bad
//     body or repository, 404 for an unknown farm.
//
// Errors come as {"error": "…"}.
func (s *Sim) ControlURL() string { return s.control.url() }

func ctlFail(w http.ResponseWriter, status int, msg string) {
	writeGL(w, status, controlError{msg})
}

func (s *Sim) ctlListFaults(w http.ResponseWriter, r *http.Request) {
	s.faultMu.Lock()
	out := make([]faultJSON, 0, len(s.faults))
	for _, e := range s.faults {
		f := e.f
		fj := faultJSON{
			Target: e.target, Path: e.prefix, Status: f.Status,
			RetryAfterSeconds: int64((f.RetryAfter + time.Second - 1) / time.Second),
			DelayMs:           f.Delay.Milliseconds(), Body: f.Body, ContentType: f.ContentType,
			Size: f.Size, Hang: f.Hang, Reset: f.Reset, Hostile: f.Hostile, Times: f.Times,
		}
		if f.Times > 0 {
			left := e.left
			fj.Left = &left
		}
		out = append(out, fj)
	}
	targets := make([]string, 0, len(s.skews))
	for t := range s.skews {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	for _, t := range targets {
		out = append(out, faultJSON{Target: t, SkewSeconds: int64(s.skews[t] / time.Second)})
	}
	s.faultMu.Unlock()
	writeGL(w, http.StatusOK, out)
}

func (s *Sim) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		ctlFail(w, http.StatusBadRequest, err.Error())
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in faultJSON
	if err := dec.Decode(&in); err != nil {
		ctlFail(w, http.StatusBadRequest, "the body is not a fault: "+err.Error())
		return
	}
	if dec.More() {
		ctlFail(w, http.StatusBadRequest, "the body holds more than one JSON value")
		return
	}
	var bad []string
	if in.Status != 0 && (in.Status < 200 || in.Status > 599) {
		bad = append(bad, "status must be 0 or from 200 to 599")
	}
	if in.RetryAfterSeconds < 0 || in.DelayMs < 0 || in.Size < 0 || in.Times < 0 {
		bad = append(bad, "retryAfterSeconds, delayMs, size and times must not be negative")
	}
	if in.RetryAfterSeconds > 1<<31 || in.DelayMs > 1<<40 {
		bad = append(bad, "retryAfterSeconds or delayMs is too large")
	}
	if in.Path != "" && !strings.HasPrefix(in.Path, "/") {
		bad = append(bad, "path must be empty or start with /")
	}
	if in.Left != nil {
		bad = append(bad, "left cannot be set")
	}
	if in.Down && in.Target == "" {
		bad = append(bad, "down needs a target")
	}
	if in.SkewSeconds != 0 && in.Target == "" {
		bad = append(bad, "skewSeconds needs a target")
	}
	if in.SkewSeconds > 1<<31 || in.SkewSeconds < -(1<<31) {
		bad = append(bad, "skewSeconds is too large")
	}
	if len(bad) > 0 {
		ctlFail(w, http.StatusBadRequest, strings.Join(bad, "; "))
		return
	}
	if in.Target != "" && !s.knownTarget(in.Target) {
		ctlFail(w, http.StatusNotFound, "no target "+in.Target)
		return
	}
	f := Fault{
		Status: in.Status, RetryAfter: time.Duration(in.RetryAfterSeconds) * time.Second,
		Delay: time.Duration(in.DelayMs) * time.Millisecond, Body: in.Body, ContentType: in.ContentType,
		Size: in.Size, Hang: in.Hang, Reset: in.Reset, Hostile: in.Hostile, Times: in.Times, Down: in.Down,
		Skew: time.Duration(in.SkewSeconds) * time.Second,
	}
	ctlDone(w, in.Target, s.SetFault(in.Target, in.Path, f))
}

func (s *Sim) ctlSetMember(w http.ResponseWriter, target string, member bool) {
	farmName, nodeName, _ := strings.Cut(target, "/")
	ctlDone(w, target, s.SetMember(farmName, nodeName, member))
}

func (s *Sim) ctlSetDown(w http.ResponseWriter, target string, down bool) {
	ctlDone(w, target, s.SetTargetDown(target, down))
}

// ctlDone answers a control request that changed target: 204, 404 when
// the target is unknown, 500 on another error.
func ctlDone(w http.ResponseWriter, target string, err error) {
	switch {
	case errors.Is(err, errNoTarget):
		ctlFail(w, http.StatusNotFound, "no target "+target)
	case err != nil:
		ctlFail(w, http.StatusInternalServerError, err.Error())
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Sim) ctlHostile(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		ctlFail(w, http.StatusBadRequest, err.Error())
		return
	}
	var on bool
	if err := json.Unmarshal(b, &on); err != nil {
		ctlFail(w, http.StatusBadRequest, "the body must be true or false")
		return
	}
	s.SetHostile(on)
	w.WriteHeader(http.StatusNoContent)
}

// lockJSON is the body of POST /locks.
type lockJSON struct {
	Farm        string `json:"farm"`
	Repo        int    `json:"repo"`
	HeldSeconds int64  `json:"heldSeconds"`
	Release     bool   `json:"release"`
}

func (s *Sim) ctlLock(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		ctlFail(w, http.StatusBadRequest, err.Error())
		return
	}
	var l lockJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil || l.Farm == "" || l.HeldSeconds < 0 {
		ctlFail(w, http.StatusBadRequest, `the body must be {"farm": NAME, "repo": ID, "heldSeconds": N, "release": false}`)
		return
	}
	if l.Release {
		err = s.ReleaseLock(l.Farm, l.Repo)
	} else {
		err = s.StickLock(l.Farm, l.Repo, time.Duration(l.HeldSeconds)*time.Second)
	}
	if err != nil && !errors.Is(err, errNoTarget) {
		ctlFail(w, http.StatusBadRequest, err.Error())
		return
	}
	ctlDone(w, "farm "+l.Farm, err)
}
