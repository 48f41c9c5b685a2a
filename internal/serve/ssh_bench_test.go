package serve

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// These benchmarks serve the console over real SSH on loopback: the
// clients are golang.org/x/crypto/ssh sessions with a pty, reading what
// the server sends as a terminal would. The clients live in the same
// process as the server (their memory and CPU are counted with it).

// Sizes and durations of the benchmarks.
const (
	// benchViewers is the "many" of the benchmarks: 20 viewers.
	benchViewers = 20
	// benchBigRepos is the large estate: that many repositories, every
	// one stuck on one node (as many mismatches).
	benchBigRepos = 100_000

	// reqRepos is the estate of the request benchmark, reqFast and
	// reqSlow its poll intervals, reqWindow each measured window. The
	// poller waits its interval ±10 % after each fetch, so a window's
	// count is off by up to one per endpoint at its ends: short intervals
	// and long windows keep that small beside the count (~180 requests
	// to the primary a window).
	reqRepos  = 300
	reqFast   = 250 * time.Millisecond
	reqSlow   = time.Second
	reqWindow = 25 * time.Second

	// keyWindow is how long the sessions press keys; keyGap the pause
	// between a frame and a session's next key; keyRefreshEvery how often
	// a full round is asked for meanwhile.
	keyWindow       = 20 * time.Second
	keyGap          = 250 * time.Millisecond
	keyRefreshEvery = 2 * time.Second

	// steadyWindow is how long the steady refresh is measured, after
	// steadySettle; steadyFast and steadySlow the poll intervals;
	// steadyW and steadyH the terminal, the size of the local console's
	// figure (BenchmarkWireSteadyRefresh in internal/ui).
	steadyFast   = time.Second
	steadySlow   = 5 * time.Second
	steadyWindow = 10 * time.Second
	steadySettle = 3 * time.Second
	steadyW      = 120
	steadyH      = 40

	// frameWait bounds the wait for one expected frame.
	frameWait = 2 * time.Minute
)

var keyCPUProfile = flag.String("keycpu", "", "BenchmarkKeyLatency20Sessions writes a CPU profile of its keys' window to this file")

var viewerHeapProfile = flag.String("viewerheap", "", "BenchmarkMemoryPerViewer writes a heap profile to this file with every viewer connected")

// benchServer is a served console on the simulator: a hub, its SSH
// server on loopback, and the client key it lets in (as a viewer).
type benchServer struct {
	sim     *sim.Sim // nil when the simulator runs in a child process
	stopSim func()
	cfg     *config.Config
	hub     *Hub
	srv     *SSHServer
	addr    string
	client  gossh.Signer
	host    gossh.PublicKey
	cancel  context.CancelFunc
	done    chan struct{}
	// restoreProcs ends the server's oversubscription (Oversubscribe).
	restoreProcs func()
}

// startBenchServer starts the simulator with so (advanced by advance when
// its clock is manual), a hub on it with the poll intervals fast and
// slow, and the SSH server, and waits for the first complete round.
func startBenchServer(b *testing.B, so sim.Options, advance, fast, slow time.Duration) *benchServer {
	b.Helper()
	s, err := sim.Start(so)
	if err != nil {
		b.Fatal(err)
	}
	if so.Manual && advance > 0 {
		s.Advance(advance)
	}
	bs := startBenchServerOn(b, s.ConfigTOML(), s.Close, fast, slow, 0)
	bs.sim = s
	return bs
}

// benchSimEnv, set, makes the test binary a simulator child process
// serving the estate it holds (JSON: benchSimSpec).
const benchSimEnv = "MIRRORTOP_SERVE_BENCH_SIM"

// benchSimEnd ends the config a simulator child process prints.
const benchSimEnd = "# --- end of config ---"

// benchSimSpec is what a simulator child process serves.
type benchSimSpec struct {
	Options sim.Options
	Advance time.Duration
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(benchSimEnv); spec != "" {
		os.Exit(runBenchSim(spec))
	}
	os.Exit(m.Run())
}

// runBenchSim serves a simulator, prints its config and waits for its
// standard input to close.
func runBenchSim(spec string) int {
	var sp benchSimSpec
	if err := json.Unmarshal([]byte(spec), &sp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := sim.Start(sp.Options)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	if sp.Options.Manual && sp.Advance > 0 {
		s.Advance(sp.Advance)
	}
	fmt.Println(s.ConfigTOML())
	fmt.Println(benchSimEnd)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startBenchServerApart is startBenchServer with the simulator in a child
// process: the servers' work (answering 100 000-repository lists) is then
// not counted with, nor competes in-process with, the console's.
func startBenchServerApart(b *testing.B, so sim.Options, advance, fast, slow time.Duration, fps int) *benchServer {
	b.Helper()
	spec, err := json.Marshal(benchSimSpec{Options: so, Advance: advance})
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The simulator stands for servers on other machines: at the lowest
	// CPU priority, its work (encoding 100 000-entry pages) takes only
	// the CPU the console leaves, as it would on a machine of its own.
	if nice, err := exec.LookPath("nice"); err == nil {
		cmd = exec.Command(nice, "-n", "19", os.Args[0], "-test.run=^$")
	}
	cmd.Env = append(os.Environ(), benchSimEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() { in.Close(); _ = cmd.Wait() }
	var conf strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != benchSimEnd {
		conf.WriteString(sc.Text() + "\n")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return startBenchServerOn(b, conf.String(), stop, fast, slow, fps)
}

// startBenchServerOn starts a hub on the simulator whose config is conf
// (stopSim stops that simulator), polled every fast and slow, and the SSH
// server drawing fps frames a second at most (0: [serve] fps), and waits
// for the first complete round.
func startBenchServerOn(b *testing.B, conf string, stopSim func(), fast, slow time.Duration, fps int) *benchServer {
	b.Helper()
	cfg, err := config.Parse("bench", []byte(conf))
	if err != nil {
		stopSim()
		b.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		stopSim()
		b.Fatal(err)
	}
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.Timeout = fast, slow, time.Minute
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/bench"})
	if err != nil {
		stopSim()
		b.Fatal(err)
	}
	hub := NewHub(p, HubOptions{Thresholds: cfg.Alerts.Thresholds(), NoSnapshots: true}) // as serve --ssh alone

	// The client's key, let in as a viewer; the server's host key.
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	keysPath := filepath.Join(dir, "authorized_keys")
	line := `role="viewer" ` + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " bench\n"
	if err := os.WriteFile(keysPath, []byte(line), 0o600); err != nil {
		b.Fatal(err)
	}
	keys, err := LoadAuthorizedKeys(keysPath)
	if err != nil {
		b.Fatal(err)
	}
	hostKey, _, err := LoadOrCreateHostKey(filepath.Join(dir, "host_key"))
	if err != nil {
		b.Fatal(err)
	}
	th, err := themes.Load("dark", "")
	if err != nil {
		b.Fatal(err)
	}
	control := Control(p)
	console := func(sess *Session) (tea.Model, error) {
		opt := ui.Options{Shared: hub.Shared(), Updates: sess.Updates, Control: control, Served: true, ReadOnly: true,
			Theme: th, Fast: cfg.Poll.Fast, Slow: cfg.Poll.Slow}
		return ui.Guard(ui.New(opt), nil), nil
	}
	if fps == 0 {
		fps = cfg.Serve.FPS
	}
	srv, err := NewSSHServer(hub, SSHOptions{HostKey: hostKey, Keys: keys, FPS: fps, MaxSessions: 2 * benchViewers, Console: console})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()

	ctx, cancel := context.WithCancel(context.Background())
	bs := &benchServer{stopSim: stopSim, cfg: cfg, hub: hub, srv: srv, addr: ln.Addr().String(), client: signer,
		host: hostKey.PublicKey(), cancel: cancel, done: make(chan struct{}), restoreProcs: Oversubscribe()} // as serve runs
	go func() { defer close(bs.done); hub.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Minute); !hub.Ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			bs.close(nil)
			b.Fatal("the first round never came in")
		}
	}
	return bs
}

// close ends the clients, then the server, the hub and the simulator.
func (bs *benchServer) close(clients []*benchClient) {
	for _, c := range clients {
		c.close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = bs.srv.Shutdown(ctx)
	bs.cancel()
	<-bs.done
	bs.stopSim()
	bs.restoreProcs()
}

// benchClient is one SSH client with a pty on the console: it counts
// the bytes it receives and, while it has a terminal emulator, keeps the
// screen, to tell when an awaited pane title is on it.
type benchClient struct {
	conn  *gossh.Client
	sess  *gossh.Session
	stdin io.Writer
	bytes atomic.Int64
	ended chan struct{}

	mu   sync.Mutex
	emu  *vt.Emulator
	want string         // the pane title awaited on the screen ("": none)
	seen chan time.Time // when it showed
	drop bool           // let the emulator go once want is seen
}

// dial opens a session of w×h columns and rows; emulate gives it a
// terminal emulator (needed by waitTitle).
func (bs *benchServer) dial(b *testing.B, w, h int, emulate bool) *benchClient {
	b.Helper()
	conn, err := gossh.Dial("tcp", bs.addr, &gossh.ClientConfig{User: "bench", Auth: []gossh.AuthMethod{gossh.PublicKeys(bs.client)},
		HostKeyCallback: gossh.FixedHostKey(bs.host), Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := conn.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	c := &benchClient{conn: conn, sess: sess, stdin: stdin, ended: make(chan struct{}), seen: make(chan time.Time, 1)}
	if emulate {
		c.emu = vt.NewEmulator(w, h)
		go func() { _, _ = io.Copy(io.Discard, c.emu) }() // its answers to the program's queries
	}
	go c.read(stdout)
	return c
}

// read takes in what the server sends until the session ends.
func (c *benchClient) read(r io.Reader) {
	defer close(c.ended)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.bytes.Add(int64(n))
			c.mu.Lock()
			if c.emu != nil {
				_, _ = c.emu.Write(buf[:n])
				if c.want != "" && strings.HasPrefix(titleRow(c.emu), c.want) {
					c.want = ""
					select {
					case c.seen <- time.Now():
					default: // an earlier one nobody took
					}
					if c.drop {
						_ = c.emu.Close()
						c.emu = nil
					}
				}
			}
			c.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// titleRow is the text of the screen's pane title row (the third: the
// header and the pane tabs are above it).
func titleRow(e *vt.Emulator) string {
	var sb strings.Builder
	for x := range e.Width() {
		cell := e.CellAt(x, 2)
		switch {
		case cell == nil:
			sb.WriteByte(' ')
		default:
			sb.WriteString(cell.Content)
		}
	}
	return sb.String()
}

// press sends keys and returns when the screen's title row begins with
// title, and how long that took from the send; drop lets the emulator go
// then.
func (c *benchClient) press(keys, title string, drop bool) (time.Duration, error) {
	c.mu.Lock()
	if c.emu == nil {
		c.mu.Unlock()
		return 0, errors.New("no terminal emulator")
	}
	c.want, c.drop = title, drop
	start := time.Now()
	c.mu.Unlock()
	if _, err := io.WriteString(c.stdin, keys); err != nil {
		return 0, err
	}
	select {
	case at := <-c.seen:
		return at.Sub(start), nil
	case <-c.ended:
		return 0, errors.New("the session ended")
	case <-time.After(frameWait):
		c.mu.Lock()
		row := ""
		if c.emu != nil {
			row = titleRow(c.emu)
		}
		c.mu.Unlock()
		return 0, fmt.Errorf("no %q on screen after %v (title row %q)", title, frameWait, row)
	}
}

// waitTitle waits for the first frame: the Farms pane.
func (c *benchClient) waitTitle(b *testing.B) {
	b.Helper()
	c.mu.Lock()
	ok := c.emu != nil && strings.HasPrefix(titleRow(c.emu), " Farms")
	if !ok {
		c.want = " Farms"
	}
	c.mu.Unlock()
	if ok {
		return
	}
	select {
	case <-c.seen:
	case <-c.ended:
		b.Fatal("the session ended before its first frame")
	case <-time.After(frameWait):
		b.Fatalf("no first frame after %v", frameWait)
	}
}

func (c *benchClient) close() {
	_ = c.sess.Close()
	_ = c.conn.Close()
	<-c.ended
	c.mu.Lock()
	if c.emu != nil {
		_ = c.emu.Close()
		c.emu = nil
	}
	c.mu.Unlock()
}

// BenchmarkPrimaryRequestsPerViewer counts the requests the primary
// receives over three windows of reqWindow on a simulator in real time
// with its random pushes: one viewer connected over SSH; benchViewers
// connected (the others connecting and each opening the Mismatches pane
// in that window); one again (the others gone). primary-ratio is the
// second window's count over the mean of the other two (target ≤ 1.02),
// all-ratio the same for every server.
func BenchmarkPrimaryRequestsPerViewer(b *testing.B) {
	for b.Loop() {
		bs := startBenchServer(b, sim.Options{Repos: reqRepos, Seed: 1}, 0, reqFast, reqSlow)
		clients := []*benchClient{bs.dial(b, 80, 24, true)}
		clients[0].waitTitle(b)
		if _, err := clients[0].press("2", " Mismatches", true); err != nil {
			b.Fatal(err)
		}
		time.Sleep(2 * reqSlow) // the poller in its stride

		var primary, all [4]int
		count := func(i int) { primary[i], all[i] = bs.sim.RequestCount("primary", ""), bs.sim.RequestCount("", "") }
		start := time.Now()
		count(0)
		time.Sleep(time.Until(start.Add(reqWindow)))
		count(1)
		for range benchViewers - 1 {
			c := bs.dial(b, 80, 24, true)
			clients = append(clients, c)
			c.waitTitle(b)
			if _, err := c.press("2", " Mismatches", true); err != nil {
				b.Fatal(err)
			}
		}
		if n := bs.srv.Sessions(); n != benchViewers {
			b.Fatalf("%d sessions, want %d", n, benchViewers)
		}
		time.Sleep(time.Until(start.Add(2 * reqWindow)))
		count(2)
		for _, c := range clients[1:] {
			c.close()
		}
		clients = clients[:1]
		time.Sleep(time.Until(start.Add(3 * reqWindow)))
		count(3)
		bs.close(clients)

		perMin := func(n int) float64 { return float64(n) * float64(time.Minute) / float64(reqWindow) }
		ratio := func(c [4]int) float64 { return float64(c[2]-c[1]) / (float64(c[1]-c[0]+c[3]-c[2]) / 2) }
		if primary[1] == primary[0] || primary[3] == primary[2] {
			b.Fatal("the primary received no request in a window with one viewer")
		}
		b.ReportMetric(perMin(primary[1]-primary[0]), "primary-req/min-1")
		b.ReportMetric(perMin(primary[2]-primary[1]), fmt.Sprintf("primary-req/min-%d", benchViewers))
		b.ReportMetric(perMin(primary[3]-primary[2]), "primary-req/min-1-again")
		b.ReportMetric(ratio(primary), "primary-ratio")
		b.ReportMetric(ratio(all), "all-ratio")
	}
}

// heapInuse is the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkMemoryPerViewer measures the heap each viewer adds at
// benchBigRepos repositories and as many mismatches: one viewer opens the
// Mismatches pane, then benchViewers more do; MB/viewer is the heap in
// use after the others over their number (target ≤ 8). No round runs
// meanwhile (the poll intervals are an hour). The clients' side of each
// connection is counted too.
func BenchmarkMemoryPerViewer(b *testing.B) {
	for b.Loop() {
		bs := startBenchServer(b, sim.Options{Repos: benchBigRepos, StuckRepos: benchBigRepos, Manual: true, Seed: 1, PushEvery: -1},
			time.Minute, time.Hour, time.Hour)
		open := func() *benchClient {
			c := bs.dial(b, 80, 24, true)
			c.waitTitle(b)
			if _, err := c.press("2", " Mismatches", true); err != nil {
				b.Fatal(err)
			}
			return c
		}
		clients := []*benchClient{open()}
		time.Sleep(time.Second) // its last frames out
		one := heapInuse()
		for range benchViewers {
			clients = append(clients, open())
		}
		time.Sleep(time.Second)
		many := heapInuse()
		if *viewerHeapProfile != "" {
			f, err := os.Create(*viewerHeapProfile)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				b.Fatal(err)
			}
			_ = f.Close()
		}
		if n := bs.srv.Sessions(); n != benchViewers+1 {
			b.Fatalf("%d sessions, want %d", n, benchViewers+1)
		}
		bs.close(clients)

		mb := func(n uint64) float64 { return float64(n) / (1 << 20) }
		b.ReportMetric(mb(one), "heap-MB-1")
		b.ReportMetric(mb(many), fmt.Sprintf("heap-MB-%d", benchViewers+1))
		b.ReportMetric((mb(many)-mb(one))/benchViewers, "MB/viewer")
	}
}

// BenchmarkKeyLatency20Sessions measures key press to frame over SSH with
// benchViewers sessions at once on benchBigRepos repositories (as many
// mismatches). Each session presses "2" and "1" in turn (keyGap after
// each frame) for keyWindow; the time from a key's send until the other
// pane's title is on the client's screen is taken, and key-p50/p99/max-ms
// are over every press of every session (target p99 ≤ 50). In
// "decoding" a full round is asked for every keyRefreshEvery, so that
// one is always being fetched, decoded and applied; "steady" has no
// round meanwhile, for comparison. The simulator runs in a child process
// at the lowest CPU priority, as the real servers are elsewhere; the
// server runs oversubscribed, as serve does (Oversubscribe). The frame
// cap paces what the client sees: a key's frame waits for the renderer's
// next tick, up to a frame period. The plain runs use serve's cap
// ([serve] fps, 60 by default); the "-20fps" runs the local console's.
func BenchmarkKeyLatency20Sessions(b *testing.B) {
	for _, tc := range []struct {
		name   string
		rounds bool
		fps    int
	}{{"decoding", true, 0}, {"steady", false, 0}, {"decoding-20fps", true, 20}, {"steady-20fps", false, 20}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				keyLatency(b, tc.rounds, tc.fps)
			}
		})
	}
}

func keyLatency(b *testing.B, rounds bool, fps int) {
	bs := startBenchServerApart(b, sim.Options{Repos: benchBigRepos, StuckRepos: benchBigRepos, Manual: true, Seed: 1, PushEvery: -1},
		time.Minute, time.Hour, time.Hour, fps)
	clients := make([]*benchClient, benchViewers)
	for i := range clients {
		clients[i] = bs.dial(b, 80, 24, true)
		clients[i].waitTitle(b)
	}
	// Reads of the primary's repository list, as the state records them
	// (a new list, or one found unchanged), while the keys are pressed.
	lastRead := func() (at time.Time) {
		bs.hub.Shared().Read(func(st *model.State) { at = maxTime(st.Primary.ReposAt, st.Primary.ReposCheckedAt) })
		return at
	}
	var lists atomic.Int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		prev := lastRead()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if at := lastRead(); !at.Equal(prev) {
					prev = at
					lists.Add(1)
				}
			}
		}
	})
	var refreshes sync.WaitGroup
	if rounds {
		refreshes.Go(func() {
			t := time.NewTicker(keyRefreshEvery)
			defer t.Stop()
			for {
				bs.hub.Poller().Refresh()
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
	}
	var mu sync.Mutex
	var lat []time.Duration
	var failed error
	var wg sync.WaitGroup
	if *keyCPUProfile != "" {
		f, err := os.Create(*keyCPUProfile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	end := time.Now().Add(keyWindow)
	for i, c := range clients {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * keyGap / benchViewers) // not all at once
			steps := [2]struct{ key, title string }{{"2", " Mismatches"}, {"1", " Farms"}}
			for n := 0; time.Now().Before(end); n++ {
				d, err := c.press(steps[n%2].key, steps[n%2].title, false)
				mu.Lock()
				if err != nil {
					failed = cmpOr(failed, err)
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
				if err != nil {
					return
				}
				// At a random phase of the frame clock, as a person
				// presses: a fixed gap that is a whole number of frame
				// periods after a frame would press just after every
				// tick and measure a whole period each time.
				time.Sleep(keyGap/2 + mrand.N(keyGap))
			}
		})
	}
	wg.Wait()
	close(stop)
	refreshes.Wait()
	watch.Wait()
	bs.close(clients)
	if failed != nil {
		b.Fatal(failed)
	}
	if len(lat) == 0 {
		b.Fatal("no key press measured")
	}
	if rounds && lists.Load() == 0 {
		b.Fatal("no round was fetched while the keys were pressed")
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "key-p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "key-p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "key-max-ms")
	b.ReportMetric(float64(len(lat)), "presses")
	// Reads of the primary's repository list while the keys were pressed
	// (one a round).
	b.ReportMetric(float64(lists.Load()), "repo-list-reads")
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// cmpOr returns the first non-nil error.
func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// BenchmarkSSHSteadyRefreshBytes counts the bytes one SSH session of
// steadyW×steadyH receives on a steady estate (no pushes, no failed
// syncs, a simulator clock that does not move) polled every steadyFast:
// over steadyWindow, after steadySettle, bytes/s and bytes/refresh (per
// fast poll round, the console's clock ticking with it), to set beside
// the local console's figure (BenchmarkWireSteadyRefresh in internal/ui,
// same terminal size); changes/s counts the shared state's change
// notifications (several per round: each batch of readings).
func BenchmarkSSHSteadyRefreshBytes(b *testing.B) {
	for b.Loop() {
		bs := startBenchServer(b, sim.Options{Manual: true, Seed: 1, PushEvery: -1, FailRate: -1}, 10*time.Minute, steadyFast, steadySlow)
		c := bs.dial(b, steadyW, steadyH, true)
		c.waitTitle(b)
		time.Sleep(steadySettle)
		updates, unsubscribe := bs.hub.Shared().Subscribe()
		var changes atomic.Int64
		counted := make(chan struct{})
		go func() {
			defer close(counted)
			for range updates {
				changes.Add(1)
			}
		}()
		before := c.bytes.Load()
		start := time.Now()
		time.Sleep(steadyWindow)
		sent := c.bytes.Load() - before
		took := time.Since(start)
		unsubscribe()
		<-counted
		bs.close([]*benchClient{c})
		if changes.Load() == 0 {
			b.Fatal("the state did not change in the window: nothing polled")
		}
		perSecond := float64(sent) / took.Seconds()
		b.ReportMetric(perSecond, "bytes/s")
		b.ReportMetric(perSecond*steadyFast.Seconds(), "bytes/refresh")
		b.ReportMetric(float64(changes.Load())/took.Seconds(), "changes/s")
	}
}
