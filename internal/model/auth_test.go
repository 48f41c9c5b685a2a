package model

import (
	"errors"
	"testing"
	"time"
)

type statusErr int

func (e statusErr) Error() string {
	return "HTTP " + map[statusErr]string{401: "401: You are not permitted to access this resource", 403: "403", 500: "500"}[e]
}
func (e statusErr) HTTPStatus() int { return int(e) }

func TestHealthAuthFailure(t *testing.T) {
	at := time.Unix(100, 0)
	rec := func(errs ...error) Health {
		h := Health{}
		for i, err := range errs {
			r := Reading{Endpoint: Endpoint(string(rune('a' + i))), At: at}
			if err != nil {
				r.Err = err
			} else {
				r.Data = 1
			}
			h.record(r)
		}
		return h
	}
	plain401 := errorWithStatus{401}
	for _, tc := range []struct {
		name   string
		h      Health
		status int
		ok     bool
	}{
		{"all 401", rec(plain401, plain401, nil), 401, true},
		{"not permitted 401 counts as 403", rec(statusErr(401), nil), 403, true},
		{"403", rec(statusErr(403), statusErr(403)), 403, true},
		{"401 wins over 403", rec(statusErr(403), plain401), 401, true},
		{"a 500 among them", rec(plain401, statusErr(500)), 0, false},
		{"transport error", rec(plain401, errors.New("connection refused")), 0, false},
		{"nothing failing", rec(nil), 0, false},
	} {
		st, ok := tc.h.AuthFailure()
		if st != tc.status || ok != tc.ok {
			t.Errorf("%s: got %d %v, want %d %v", tc.name, st, ok, tc.status, tc.ok)
		}
	}
	// A success clears the status.
	h := rec(plain401)
	h.record(Reading{Endpoint: "a", At: at.Add(time.Second), Data: 1})
	if h["a"].Status != 0 {
		t.Errorf("status %d after a success", h["a"].Status)
	}
}

type errorWithStatus struct{ s int }

func (e errorWithStatus) Error() string   { return "HTTP 401 Unauthorized: Authentication failed." }
func (e errorWithStatus) HTTPStatus() int { return e.s }
