package serve

import (
	"net/http"
	"strconv"

	"github.com/mirrortop/mirrortop/internal/metrics"
)

// Handler serves the HTTP side from the hub's published view, never
// causing a request to any polled server:
//
//	/healthz   200 "ok" while the hub runs, else 503
//	/readyz    200 "ready" once the first complete round is in, else 503
//	/snapshot  the latest snapshot JSON (made anew when the state changed
//	           since, see Fresh); 503 before the first round
//	/metrics   the shared state's metrics in the Prometheus exposition
//	           format (see package metrics), read at each scrape
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mc := metrics.New(h.shared, metrics.Options{Version: h.opts.Version, Thresholds: h.opts.Thresholds, Now: h.opts.Now, Notify: h.opts.Notify, Fetches: h.p.Fetches})
	mux.Handle("GET /metrics", metrics.Handler(metrics.NewRegistry(mc)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !h.Running() {
			plain(w, http.StatusServiceUnavailable, "stopped\n")
			return
		}
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !h.Ready() {
			plain(w, http.StatusServiceUnavailable, "not ready: the first complete round is not in yet\n")
			return
		}
		plain(w, http.StatusOK, "ready\n")
	})
	mux.HandleFunc("GET /snapshot", func(w http.ResponseWriter, r *http.Request) {
		v := h.Fresh(r.Context())
		if v == nil {
			plain(w, http.StatusServiceUnavailable, "not ready: the first complete round is not in yet\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(v.JSON)))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(v.JSON)
	})
	return mux
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
