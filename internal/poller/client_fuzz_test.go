package poller

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func FuzzQueueCount(f *testing.F) {
	for _, s := range []string{
		"17", `"17"`, `{"count":17}`, `{"size":"17"}`, `{"value":" 3 "}`, `{"total":0}`,
		"0", "-0", "-1", `"-5"`, "1.5", "1e3", `"many"`, `{"count":null}`, `{"other":1}`,
		`{"count":{"n":1}}`, "[17]", "null", "true", "", " ", "9223372036854775807",
		"99999999999999999999", `{"count":1,"count":2}`, "17 garbage", `"\u0031\u0037"`,
	} {
		f.Add([]byte(s))
	}
	var body atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != mirroringPrefix+"supportInfo/refChangesQueue/count" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*body.Load())
	}))
	f.Cleanup(srv.Close)
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, Timeout: 10 * time.Second, MaxBody: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		body.Store(&data)
		n, err := c.RefChangesQueueCount(context.Background())
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("count %d from %q", n, data)
		}
		// A bare JSON integer is taken as it is.
		if json.Valid(data) {
			if v, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && v >= 0 && n != v {
				t.Errorf("count %d from %q, want %d", n, data, v)
			}
		}
	})
}

func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{
		`{"errors":[{"context":null,"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`,
		`{"errors":[{"message":""}],"message":"fallback"}`,
		`{"errors":[],"message":"line one\r\nline two"}`,
		`{"message":"404 Project Not Found"}`,
		`{"error":"invalid_token","error_description":"Token was revoked."}`,
		`{"message":{"base":["Mirror is disabled"]}}`,
		`{"message":["a","b"]}`,
		`<html><body>502 Bad Gateway</body></html>`,
		"plain text\nsecond line",
		`{"message":"` + strings.Repeat("é", 150) + `"}`,
		`{"errors":[{"message":"` + strings.Repeat("x", 300) + `"}]}`,
		``,
		`   `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, msg := range map[string]string{
			"readErrorMessage": readErrorMessage(strings.NewReader(string(data))),
			"gitlabMessage":    gitlabMessage(data),
		} {
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("%s(%q) = %q: more than one line", name, data, msg)
			}
			if len(msg) > 200+len("…") {
				t.Errorf("%s(%q): %d bytes, want at most 200 and an ellipsis", name, data, len(msg))
			}
		}
	})
}
